"""The year's events and fairs with the people who applied and attended."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import fiscal, i18n, vocabulary
from itworks.fiscal import Period
from itworks.models import Event, EventSignup, Registrant
from itworks.services.kpi.counts import person_key
from itworks.tables import suppression
from itworks.tables.audience import Audience
from itworks.tables.table import Column, Table, frame

NOT_HELD = "未開催"
COLUMNS = [
    Column("kind", "種類", "text"),
    Column("fair_number", "回", "text"),
    Column("name", "名称", "text"),
    Column("held_on", "開催日", "text"),
    Column("applied", "申込数"),
    Column("attended", "参加者数"),
]


def events(session: Session, period: Period, audience: Audience) -> Table:
    """Each event of the fiscal year, earliest first: people who applied (not cancelled)
    and who attended, as of the period's cutoff. Fair figures are the specification's
    own measures and always shown; for the prefecture, other events' counts between
    1 and k−1 are hidden (no total is published, so nothing else needs hiding)."""
    cutoff = period.cutoff_utc
    # Count people, not rows: a merged duplicate's sign-up is the same person's.
    person = person_key()
    applied = sa.func.count(sa.distinct(person)).filter(EventSignup.status != "cancelled")
    attended = sa.func.count(sa.distinct(person)).filter(EventSignup.status == "attended")
    rows = session.execute(
        sa.select(
            Event.id, Event.kind, Event.name, Event.starts_at, Event.fair_number, applied, attended
        )
        .outerjoin(
            EventSignup,
            sa.and_(EventSignup.event_id == Event.id, EventSignup.signed_up_at < cutoff),
        )
        .outerjoin(Registrant, Registrant.id == EventSignup.registrant_id)
        .where(Event.starts_at >= period.start_utc, Event.starts_at < period.end_utc)
        .group_by(Event.id, Event.kind, Event.name, Event.starts_at, Event.fair_number)
        .order_by(Event.starts_at)
    ).all()
    k = audience.k

    def shown(n: int, official: bool) -> object:
        return suppression.primary_marker(k) if k and not official and 0 < n < k else n

    out, index = [], []
    for event_id, kind, name, starts_at, number, n_applied, n_attended in rows:
        held = starts_at < cutoff
        out.append(
            {
                "kind": i18n.label(vocabulary.EVENT_KIND_LABELS, kind),
                "fair_number": number,
                "name": name,
                "held_on": f"{starts_at.astimezone(fiscal.JST):%Y-%m-%d}"
                f"（{fiscal.wareki_date(starts_at)}）",
                "applied": shown(int(n_applied), kind == "fair"),
                "attended": shown(int(n_attended), kind == "fair") if held else NOT_HELD,
                "kind_code": kind,
            }
        )
        index.append(event_id)
    return Table(
        "events",
        "イベント・転職フェア",
        COLUMNS,
        frame(out, index, [c.key for c in COLUMNS]),
        audience,
    )
