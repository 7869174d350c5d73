"""Hires and their settling-in (定着) follow-ups at 3 and 12 months.

A hire is an introduction that reached ``hired``. ``Hire.hired_at`` is the
hire date, and the KGI counts a hire on that date (services/kpi/counts.py,
measure ``hires``), whenever it was entered.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.database import begin_write
from itworks.fiscal import JST
from itworks.i18n import N_, Message
from itworks.models import (
    SETTLING_OUTCOMES,
    Hire,
    Introduction,
    Registrant,
    SettlingFollowUp,
    User,
    utcnow,
)
from itworks.services import audit
from itworks.services.errors import Conflict, InvalidInput, NotFound
from itworks.vocabulary import HIRE_TURNS

TURNS = HIRE_TURNS
FOLLOW_UP_MONTHS = (3, 12)
SETTLING_OUTCOME_LABELS: dict[str, Message] = {
    "still_employed": N_("在職中"),
    "changed_employer_shimane": N_("県内で転職"),
    "left_shimane": N_("県外へ転出"),
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
        raise InvalidInput({"turn": N_("UターンかIターンかを選んでください")})
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
        .where(SettlingFollowUp.outcome.is_(None), SettlingFollowUp.due_on <= today)
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
    if outcome not in SETTLING_OUTCOMES:
        raise InvalidInput(
            {"outcome": N_("結果は still_employed / changed_employer_shimane / left_shimane です")}
        )
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
        raise NotFound(N_("定着確認は3か月後と12か月後です"))
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
        outcome=outcome,
    )
    session.commit()
    return follow_up
