"""Tiers in the demo: a first segmentation in early autumn, interviews in which
the demo coordinator confirms or corrects some tiers (and records the interview
through the contacts service, dated on the interview day),
then a second segmentation on the demo's "today". A newcomer then sees tiers,
personas, explanations, the model-vs-rule agreement and movement at once."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.crypto import Vault
from itworks.demo import funnel as funnel_demo
from itworks.demo import surveys as demo_surveys
from itworks.fiscal import JST
from itworks.models import Registrant, SegmentationRun, SurveyResponse, User
from itworks.services.engagement import contacts
from itworks.services.errors import Conflict
from itworks.services.tiers import segment, tiers

FIRST_RUN = date(2022, 10, 1)
INTERVIEW_SHARE = 0.15
COORDINATOR = "demo-coordinator"


def _hidden_personas(session: Session, seed: int) -> dict[int, str]:
    """The persona each demo registrant answered as: the demo coordinator "learns"
    the true tier in the interview, as a real one would."""
    return demo_surveys.hidden_personas(session, seed)


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=JST)


def first_run_at() -> datetime:
    """When the demo's first segmentation runs (tiers exist from then on)."""
    return _at(FIRST_RUN)


def replay(
    session: Session, vault: Vault, *, as_of: date, seed: int = 2022
) -> SegmentationRun | None:
    """Segment, interview and segment again; nothing when the demo already has runs."""
    if session.scalar(sa.select(SegmentationRun.id).limit(1)) is not None:
        return None
    truth = _hidden_personas(session, seed)
    first = _at(FIRST_RUN)
    try:
        segment.run(session, started_by="demo", now=first)
    except Conflict:
        return None  # a demo without registrants
    coordinator = session.scalar(sa.select(User).where(User.username == COORDINATOR))
    proposed = tiers.current_tiers(session)
    answered = session.scalars(
        sa.select(SurveyResponse.registrant_id).distinct().order_by(SurveyResponse.registrant_id)
    ).all()
    rng = random.Random(seed + 5)
    span = max(1, (as_of - FIRST_RUN).days - 1)
    for registrant_id in answered:
        if registrant_id not in truth or rng.random() >= INTERVIEW_SHARE:
            continue
        registrant = session.get_one(Registrant, registrant_id)  # a response's registrant (FK)
        when = _at(FIRST_RUN + timedelta(days=rng.randint(1, span)), rng.randint(10, 18))
        tier = truth[registrant_id]
        agrees = proposed.get(registrant_id, (None,))[0] == tier
        tiers.add_confirmation(
            session,
            registrant,
            tier,
            method="coordinator",
            reason_code=None if agrees else "tier_interview",
            actor=coordinator,
            actor_label="demo",
            at=when,
        )
        contacts.record_contact(
            session,
            vault,
            registrant.public_id,
            "interview",
            at=when,
            channel=rng.choice(["meeting", "online", "online"]),
            coordinator=COORDINATOR if coordinator else None,
            actor_label="demo",
            now=funnel_demo.end_of(as_of),
        )
    session.commit()
    return segment.run(session, started_by="demo", now=_at(as_of))
