"""Hires and their settling-in (定着) follow-ups at 3 and 12 months.

A hire is an introduction that reached ``hired``. ``Hire.hired_at`` is the
hire date, and the KGI counts a hire on that date (services/kpi/counts.py,
measure ``hires``), whenever it was entered.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.database import begin_write
from itworks.fiscal import JST
from itworks.i18n import N_
from itworks.models import (
    Company,
    Hire,
    Introduction,
    Registrant,
    SettlingFollowUp,
    User,
    utcnow,
)
from itworks.services import audit
from itworks.services.errors import Conflict, InvalidInput, NotFound
from itworks.services.privacy import scope
from itworks.vocabulary import (
    HIRE_TURNS,
    SETTLING_MONTHS,
    SETTLING_OUTCOME_LABELS,
    SETTLING_OUTCOMES,
)

__all__ = ["SETTLING_OUTCOME_LABELS", "SETTLING_OUTCOMES"]

TURNS = HIRE_TURNS
FOLLOW_UP_MONTHS = SETTLING_MONTHS
MESSAGES = {
    "turn": N_("UターンかIターンか（%(codes)s）を選んでください", codes=" / ".join(HIRE_TURNS)),
    "outcome": N_("結果は %(codes)s のいずれかです", codes=" / ".join(SETTLING_OUTCOMES)),
    "months": N_("定着確認は %(codes)s か月後です", codes=" / ".join(map(str, SETTLING_MONTHS))),
}


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def record_hire(
    session: Session,
    introduction: Introduction,
    hired_at: datetime,
    *,
    turn: str | None = None,
    moved_on: date | None = None,
) -> Hire:
    """Add the hire of an introduction and its two follow-ups (the caller commits).

    ``turn`` defaults to the registrant's origin when that is a U- or I-turn.
    """
    if turn is None:
        origin = session.scalar(
            sa.select(Registrant.origin).where(Registrant.id == introduction.registrant_id)
        )
        turn = origin if origin in TURNS else None
    if turn is not None and turn not in TURNS:
        raise InvalidInput({"turn": MESSAGES["turn"]})
    hire = Hire(
        registrant_id=introduction.registrant_id,
        company_id=introduction.company_id,
        introduction_id=introduction.id,
        hired_at=hired_at,
        turn=turn,
        moved_on=moved_on,
    )
    session.add(hire)
    session.flush()
    hired_on = hired_at.astimezone(JST).date()
    for months in FOLLOW_UP_MONTHS:
        session.add(
            SettlingFollowUp(hire_id=hire.id, months=months, due_on=add_months(hired_on, months))
        )
    return hire


def settling_due(session: Session, today: date) -> list[tuple[SettlingFollowUp, Hire]]:
    """Follow-ups whose date has come and that have no outcome yet, oldest first."""
    rows = session.execute(
        sa.select(SettlingFollowUp, Hire)
        .join(Hire, Hire.id == SettlingFollowUp.hire_id)
        .where(
            SettlingFollowUp.outcome.is_(None),
            SettlingFollowUp.due_on <= today,
            scope.person_in_use(Hire.registrant_id),
        )
        .order_by(SettlingFollowUp.due_on, SettlingFollowUp.id)
    ).all()
    return [(follow_up, hire) for follow_up, hire in rows]


def record_settling(
    session: Session,
    hire_public_id: str,
    months: int,
    outcome: str,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> SettlingFollowUp:
    """Record how a hire is doing at 3 or 12 months; commits."""
    errors = {}
    if outcome not in SETTLING_OUTCOMES:
        errors["outcome"] = MESSAGES["outcome"]
    if months not in SETTLING_MONTHS:
        errors["months"] = MESSAGES["months"]
    if errors:
        raise InvalidInput(errors)
    begin_write(session)
    hire = session.scalar(sa.select(Hire).where(Hire.public_id == hire_public_id))
    if hire is None:
        raise NotFound(N_("採用が見つかりません"))
    follow_up = session.scalar(
        sa.select(SettlingFollowUp).where(
            SettlingFollowUp.hire_id == hire.id, SettlingFollowUp.months == months
        )
    )
    if follow_up is None:
        raise NotFound(MESSAGES["months"])
    if follow_up.outcome is not None:
        raise Conflict(N_("この定着確認は記録済みです"))
    follow_up.outcome = outcome
    follow_up.recorded_at = now or utcnow()
    follow_up.recorded_by_id = actor.id if actor else None
    audit.record(
        session,
        "hire.settling",
        actor=actor,
        actor_label=actor_label,
        entity_type="hire",
        entity_id=hire.public_id,
        months=months,
        settling=outcome,
    )
    session.commit()
    return follow_up


@dataclass(frozen=True)
class SettlingView:
    months: int
    due_on: date
    outcome: str | None
    recorded_at: datetime | None


@dataclass(frozen=True)
class HireView:
    public_id: str
    company: str
    hired_at: datetime
    turn: str | None
    moved_on: date | None
    follow_ups: list[SettlingView]


def of_registrant(session: Session, registrant: Registrant) -> list[HireView]:
    """The hires of a registrant (merged duplicates included) with their settling checks."""
    ids = [registrant.id] + list(
        session.scalars(sa.select(Registrant.id).where(Registrant.merged_into_id == registrant.id))
    )
    out = []
    for hire, name in session.execute(
        sa.select(Hire, Company.name)
        .join(Company, Company.id == Hire.company_id)
        .where(Hire.registrant_id.in_(ids))
        .order_by(Hire.hired_at.desc(), Hire.id.desc())
    ):
        checks = [
            SettlingView(f.months, f.due_on, f.outcome, f.recorded_at)
            for f in session.scalars(
                sa.select(SettlingFollowUp)
                .where(SettlingFollowUp.hire_id == hire.id)
                .order_by(SettlingFollowUp.months)
            )
        ]
        out.append(HireView(hire.public_id, name, hire.hired_at, hire.turn, hire.moved_on, checks))
    return out
