"""The audience of an invitation: a filter over registrants, and its count.

Always excluded: erased people, merged duplicates (their survivor stands for
them), people who stopped use of their data or opted out of mail, and people
already invited to or signed up for the event. Tier is the current tier
(services/tiers/tiers.py); age band, skills and interests come from the latest
survey answers (the age band falls back to the registrant's own). Nothing
personal leaves this module: filters are codes, people are public ids.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from itworks.fiscal import fiscal_year_bounds_utc, fiscal_year_of
from itworks.i18n import N_
from itworks.japanese import parse_prefecture
from itworks.models import ORIGINS, Event, EventSignup, Invitation, Registrant, utcnow
from itworks.services.errors import InvalidInput, NotFound
from itworks.services.kpi import measures
from itworks.services.privacy import scope
from itworks.services.surveys import responses as survey_responses
from itworks.services.tiers import segment
from itworks.services.tiers.lists import persona_options
from itworks.services.tiers.tiers import MESSAGES as TIER_MESSAGES
from itworks.services.tiers.tiers import (
    current_tier_subquery,
    latest_proposal_subquery,
    parse_tier,
)

MESSAGES = {
    "event": N_("イベントが見つかりません"),
    "origin": N_("U/Iターンは u_turn / i_turn / unknown のいずれかです"),
}


@dataclass(frozen=True)
class AudienceFilter:
    tier: str | None = None
    persona: str | None = None
    origin: str | None = None
    age_band: str | None = None
    residence_prefecture: str | None = None
    skills: tuple[str, ...] = ()  # any of them
    interests: tuple[str, ...] = ()  # any of them (the survey's event_interest)
    not_attended_this_fy: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The filter's set values (codes only), as saved with the batch."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if value in (None, (), [], False):
                continue
            out[key] = list(value) if isinstance(value, tuple) else value
        return out


def _codes(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    return tuple(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


def parse_filter(values: Mapping[str, Any], session: Session | None = None) -> AudienceFilter:
    """Read and check a filter (from the CLI or a form); InvalidInput names each bad field."""
    instrument = survey_responses.current_instrument()
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    text = {k: (str(v).strip() if isinstance(v, str | int) else v) for k, v in values.items()}
    if text.get("tier"):
        try:
            out["tier"] = parse_tier(text["tier"])
        except InvalidInput as exc:
            errors.update(exc.errors)
    if text.get("persona"):
        if session is not None and text["persona"] in persona_options(session):
            out["persona"] = text["persona"]
        else:
            errors["persona"] = TIER_MESSAGES["persona"]
    if text.get("origin"):
        if text["origin"] in ORIGINS:
            out["origin"] = text["origin"]
        else:
            errors["origin"] = MESSAGES["origin"]
    if text.get("residence_prefecture"):
        try:
            out["residence_prefecture"] = parse_prefecture(text["residence_prefecture"])
        except ValueError as exc:
            errors["residence_prefecture"] = exc.args[0]
    for name, question, many in (
        ("age_band", "age_band", False),
        ("skills", "skills", True),
        ("interests", "event_interest", True),
    ):
        codes = _codes(text.get(name)) if many else _codes(text.get(name))[:1]
        unknown = [c for c in codes if c not in instrument.question(question).codes]
        if unknown:
            errors[name] = N_("選択肢にないコードです: %(codes)s", codes=", ".join(unknown))
        elif codes:
            out[name] = codes if many else codes[0]
    out["not_attended_this_fy"] = bool(values.get("not_attended_this_fy"))
    if errors:
        raise InvalidInput(errors)
    return AudienceFilter(**out)


def get_event(session: Session, public_id: str) -> Event:
    event = session.scalar(sa.select(Event).where(Event.public_id == public_id))
    if event is None:
        raise NotFound(MESSAGES["event"])
    return event


def _person(column: Any) -> Any:
    """The survivor's id for a registrant id column (merged duplicates fold in)."""
    merged = aliased(Registrant)
    return (
        sa.select(sa.func.coalesce(merged.merged_into_id, merged.id))
        .where(merged.id == column)
        .scalar_subquery()
    )


def _candidates(
    session: Session, event: Event, flt: AudienceFilter, now: datetime
) -> list[tuple[int, str, str | None]]:
    """(id, public id, current tier) of the people the SQL part of the filter keeps."""
    current = current_tier_subquery()
    invited = (
        sa.select(_person(Invitation.registrant_id))
        .select_from(Invitation)
        .where(Invitation.event_id == event.id)
    )
    signed = (
        sa.select(_person(EventSignup.registrant_id))
        .select_from(EventSignup)
        .where(EventSignup.event_id == event.id, measures.applied())
    )
    query = (
        sa.select(Registrant.id, Registrant.public_id, current.c.tier)
        .outerjoin(current, current.c.registrant_id == Registrant.id)
        .where(
            scope.in_use(),
            Registrant.mail_opt_out_at.is_(None),
            Registrant.id.not_in(invited),
            Registrant.id.not_in(signed),
        )
        .order_by(Registrant.id)
    )
    if flt.tier:
        query = query.where(current.c.tier == flt.tier)
    if flt.origin:
        query = query.where(Registrant.origin == flt.origin)
    if flt.residence_prefecture:
        query = query.where(Registrant.residence_prefecture == flt.residence_prefecture)
    if flt.persona:
        # The same persona rule as the tier list (services/tiers/lists.py).
        chosen = persona_options(session).get(flt.persona, {})
        run = segment.latest_run(session)
        proposal = latest_proposal_subquery()
        query = query.join(proposal, proposal.c.registrant_id == Registrant.id).where(
            proposal.c.persona == str(chosen.get("description", ""))[:200],
            proposal.c.tier == chosen.get("tier"),
            proposal.c.run_id == (run.id if run else None),
        )
    if flt.not_attended_this_fy:
        start, end = fiscal_year_bounds_utc(fiscal_year_of(now))
        attended = (
            sa.select(_person(EventSignup.registrant_id))
            .select_from(EventSignup)
            .join(Event, Event.id == EventSignup.event_id)
            .where(
                measures.attended(),
                Event.starts_at >= start,
                Event.starts_at < end,
            )
        )
        query = query.where(Registrant.id.not_in(attended))
    return [tuple(row) for row in session.execute(query)]


def audience(
    session: Session, event: Event, flt: AudienceFilter, *, now: datetime | None = None
) -> list[tuple[int, str, str | None]]:
    """(id, public id, current tier) of everyone the filter selects for ``event``."""
    rows = _candidates(session, event, flt, now or utcnow())
    if not (flt.age_band or flt.skills or flt.interests):
        return rows
    answers = survey_responses.latest_answers(session, [r[0] for r in rows])
    bands = {}
    if flt.age_band:
        ids = [r[0] for r in rows]
        bands = dict(
            session.execute(
                sa.select(Registrant.id, Registrant.age_band).where(Registrant.id.in_(ids))
            ).all()
        )

    def keeps(registrant_id: int) -> bool:
        given = answers.get(registrant_id, {})
        if flt.age_band and (given.get("age_band") or bands.get(registrant_id)) != flt.age_band:
            return False
        if flt.skills and not set(flt.skills) & set(given.get("skills") or ()):
            return False
        if flt.interests and not set(flt.interests) & set(given.get("event_interest") or ()):
            return False
        return True

    return [row for row in rows if keeps(row[0])]


@dataclass(frozen=True)
class AudienceCount:
    count: int
    sample: list[str]  # a few public ids, nothing personal
    filter: dict[str, Any]


def count_audience(
    session: Session,
    event_public_id: str,
    flt: AudienceFilter,
    *,
    sample_size: int = 10,
    now: datetime | None = None,
) -> AudienceCount:
    """How many the filter selects, with a small sample of their public ids."""
    rows = audience(session, get_event(session, event_public_id), flt, now=now)
    ids = [public_id for _, public_id, _ in rows]
    sample = sorted(random.sample(ids, min(sample_size, len(ids))))
    return AudienceCount(len(ids), sample, flt.as_dict())
