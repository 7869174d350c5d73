"""Movement between tiers: each registrant's current tier at the end of one day
against the end of another, counted as a tier-to-tier table. Assignments are
never changed, so any past day can be replayed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import cast

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.fiscal import JST
from itworks.i18n import N_
from itworks.models import Registrant, SegmentationRun
from itworks.services.errors import InvalidInput
from itworks.services.tiers import tiers
from itworks.services.tiers.recontact import end_of
from itworks.tables import suppression
from itworks.vocabulary import TIERS

NONE = "none"
"""Row/column of registrants without a tier on that day."""
STATES = (*TIERS, NONE)
MESSAGES = {
    "date": N_("日付は 2022-04-01 の形で入力してください"),
    "order": N_("開始日は終了日以前にしてください"),
}


@dataclass(frozen=True)
class Movement:
    date_from: date
    date_to: date
    counts: pd.DataFrame  # STATES × STATES, rows = tier on date_from

    @property
    def moved(self) -> int:
        """People tiered on both days whose tier changed."""
        return int(sum(cast(int, self.counts.at[a, b]) for a in TIERS for b in TIERS if a != b))

    @property
    def newly_tiered(self) -> int:
        """People without a tier on the first day who have one on the second."""
        return int(sum(cast(int, self.counts.at[NONE, b]) for b in TIERS))

    def table(self, k: int | None = None) -> pd.DataFrame:
        """The counts with totals (``"計"``); small cells suppressed when ``k`` is given."""
        if k is not None:
            return suppression.suppress_crosstab(self.counts, k)
        full = self.counts.copy()
        full[suppression.TOTAL_LABEL] = full.sum(axis=1)
        full.loc[suppression.TOTAL_LABEL] = full.sum(axis=0)
        return full.astype(object)


DEFAULT_SPAN = timedelta(days=90)


def default_from(session: Session, date_to: date) -> date:
    """The first segmentation day within 90 days before ``date_to`` (else 90 days before):
    the earliest day in that span on which there are tiers to compare."""
    earliest = session.scalar(
        sa.select(sa.func.min(SegmentationRun.started_at)).where(
            SegmentationRun.started_at >= end_of(date_to - DEFAULT_SPAN),
            SegmentationRun.started_at < end_of(date_to),
        )
    )
    if earliest is None:
        return date_to - DEFAULT_SPAN
    if earliest.tzinfo is None:  # SQLite loses the column type through min()
        earliest = earliest.replace(tzinfo=UTC)
    return earliest.astimezone(JST).date()


def parse_dates(
    session: Session, raw_from: str | None, raw_to: str | None, default_to: date
) -> tuple[date, date]:
    """Read the two days (YYYY-MM-DD); ``to`` defaults to ``default_to``, ``from``
    to :func:`default_from`."""
    errors: dict[str, str] = {}
    values = {}
    for name, raw in (("from", raw_from), ("to", raw_to)):
        if raw is None or not raw.strip():
            continue
        try:
            values[name] = date.fromisoformat(raw.strip())
        except ValueError:
            errors[name] = MESSAGES["date"]
            continue
        if not 2000 <= values[name].year <= 2100:
            errors[name] = MESSAGES["date"]
    if errors:
        raise InvalidInput(errors)
    date_to = values.get("to", default_to)
    date_from = values["from"] if "from" in values else default_from(session, date_to)
    if date_from > date_to:
        raise InvalidInput({"from": MESSAGES["order"]})
    return date_from, date_to


def movement(session: Session, date_from: date, date_to: date) -> Movement:
    """Count registrants by tier at the end of ``date_from`` and of ``date_to``.

    Everyone registered by the end of ``date_to`` and not merged into another
    record counts; erased people keep their (non-personal) tiers, so past
    tables do not change.
    """
    if date_from > date_to:
        raise InvalidInput({"from": MESSAGES["order"]})
    before = tiers.current_tier_subquery(end_of(date_from), name="before")
    after = tiers.current_tier_subquery(end_of(date_to), name="after")
    a = sa.func.coalesce(before.c.tier, NONE)
    b = sa.func.coalesce(after.c.tier, NONE)
    rows = session.execute(
        sa.select(a, b, sa.func.count(Registrant.id))
        .select_from(Registrant)
        .outerjoin(before, before.c.registrant_id == Registrant.id)
        .outerjoin(after, after.c.registrant_id == Registrant.id)
        .where(Registrant.merged_into_id.is_(None), Registrant.registered_at < end_of(date_to))
        .group_by(a, b)
    ).all()
    counts = pd.DataFrame(0, index=list(STATES), columns=list(STATES), dtype="int64")
    for tier_a, tier_b, n in rows:
        counts.at[tier_a, tier_b] = int(n)
    return Movement(date_from, date_to, counts)
