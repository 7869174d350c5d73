"""A registrant's timeline: everything that happened to them, newest first.

One list built from the records themselves (no copy is kept): registration, UTM
touches, survey answers, tier proposals and confirmations, consultations and
contacts, invitations and replies, sign-ups and attendance, third-party
provisions, introductions and each of their stages, the hire and its settling-in
checks, drop-offs and returns to nurturing. The duplicates merged into the
person are included. Outcome and notes of contacts are decrypted, so building
the timeline is audited like viewing the registrant.

Entries carry codes, not text: the page labels them in its language from the
vocabulary (``TIMELINE_KIND_LABELS`` and the code lists each kind names).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.crypto import Vault
from itworks.fiscal import JST
from itworks.models import (
    Company,
    Event,
    EventSignup,
    Hire,
    Introduction,
    IntroductionStage,
    Invitation,
    NurturePlan,
    ReasonCode,
    Registrant,
    SettlingFollowUp,
    StageExit,
    SurveyResponse,
    ThirdPartyProvision,
    TierAssignment,
    User,
    UtmTouch,
)
from itworks.services.engagement import contacts
from itworks.vocabulary import REASON_KIND_MATCH_FAILED, REASON_KIND_NURTURE, TIMELINE_KINDS

__all__ = ["TIMELINE_KINDS", "Entry", "build"]


@dataclass(frozen=True)
class Entry:
    """One thing that happened. ``code`` is the kind's own code (a tier, a contact
    kind, a stage, a sign-up status, an answer…); ``subject`` is a name that needs
    no translation (an event, a company, a UTM source)."""

    at: datetime
    kind: str  # one of TIMELINE_KINDS
    code: str | None = None
    subject: str | None = None
    by: str | None = None
    reason: str | None = None  # a reason code (labelled from reason_codes)
    outcome: str | None = None
    notes: str | None = None
    ref: str | None = None  # the public id of the record (introduction, hire…)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Timeline:
    entries: list[Entry]
    reasons: dict[str, tuple[str, str]]  # reason code → (ja, en) label


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, JST)


def build(
    session: Session,
    vault: Vault,
    registrant: Registrant,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
) -> Timeline:
    """The registrant's timeline, newest first (contacts decrypted; audited, commits)."""
    ids = contacts.person_ids(session, registrant)
    # Looked up by nullable user ids (a record entered by no one): None finds nothing.
    users: dict[int | None, str] = dict(session.execute(sa.select(User.id, User.username)).all())
    entries: list[Entry] = [Entry(registrant.registered_at, "registration", code=registrant.source)]
    for touch in session.scalars(
        sa.select(UtmTouch).where(UtmTouch.registrant_id.in_(ids)).order_by(UtmTouch.at)
    ):
        utm = " / ".join(v or "—" for v in (touch.utm_source, touch.utm_medium, touch.utm_campaign))
        entries.append(Entry(touch.at, "utm_touch", code=touch.channel, subject=utm))
    for response in session.scalars(
        sa.select(SurveyResponse).where(SurveyResponse.registrant_id.in_(ids))
    ):
        entries.append(
            Entry(
                response.submitted_at,
                "survey",
                code=response.channel,
                subject=f"{response.instrument_id} v{response.instrument_version}",
                by=users.get(response.entered_by_id),
                extra={"answers": len(response.answers or {})},
            )
        )
    for tier in session.scalars(
        sa.select(TierAssignment).where(TierAssignment.registrant_id.in_(ids))
    ):
        entries.append(
            Entry(
                tier.assigned_at,
                "tier_proposal" if tier.method == "model" else "tier_confirmation",
                code=tier.tier,
                by=users.get(tier.assigned_by_id),
                reason=tier.reason_code,
                extra={"method": tier.method, "confidence": tier.confidence},
            )
        )
    for record in contacts.contacts_of(
        session, vault, registrant, actor=actor, actor_label=actor_label, decrypt=True
    ):
        entries.append(
            Entry(
                record.at,
                "consultation" if record.kind == contacts.KPI_KIND else "contact",
                code=record.kind,
                by=record.coordinator,
                outcome=record.outcome,
                notes=record.notes,
            )
        )
    for invitation, event_name in session.execute(
        sa.select(Invitation, Event.name)
        .join(Event, Event.id == Invitation.event_id)
        .where(Invitation.registrant_id.in_(ids))
    ):
        entries.append(Entry(invitation.created_at, "invitation", subject=event_name))
        if invitation.answered_at is not None:
            entries.append(
                Entry(
                    invitation.answered_at,
                    "invitation_reply",
                    code=invitation.answer,
                    subject=event_name,
                )
            )
    for signup, event_name in session.execute(
        sa.select(EventSignup, Event.name)
        .join(Event, Event.id == EventSignup.event_id)
        .where(EventSignup.registrant_id.in_(ids))
    ):
        entries.append(
            Entry(
                signup.signed_up_at,
                "signup",
                code=signup.status,
                subject=event_name,
                extra={"source": signup.source},
            )
        )
        if signup.attended_at is not None:
            entries.append(Entry(signup.attended_at, "attendance", subject=event_name))
    for provision, company_name, introduced_at in session.execute(
        sa.select(ThirdPartyProvision, Company.name, Introduction.introduced_at)
        .join(Company, Company.id == ThirdPartyProvision.company_id)
        .outerjoin(Introduction, Introduction.provision_id == ThirdPartyProvision.id)
        .where(ThirdPartyProvision.registrant_id.in_(ids))
    ):
        # When the data was handed over: with its introduction, else on the day provided.
        handed = introduced_at or _day_start(provision.provided_on)
        entries.append(
            Entry(
                _aware(handed),
                "provision",
                subject=company_name,
                by=users.get(provision.recorded_by_id),
                ref=provision.public_id,
                extra={
                    "items": list(provision.items or []),
                    "consent_at": provision.consent_at,
                    "provided_on": provision.provided_on,
                    "keep_until": provision.keep_until,
                },
            )
        )
    for stage, introduction, company_name in session.execute(
        sa.select(IntroductionStage, Introduction, Company.name)
        .join(Introduction, Introduction.id == IntroductionStage.introduction_id)
        .join(Company, Company.id == Introduction.company_id)
        .where(Introduction.registrant_id.in_(ids))
    ):
        entries.append(
            Entry(
                stage.at,
                "introduction_stage",
                code=stage.stage,
                subject=company_name,
                by=users.get(stage.recorded_by_id),
                reason=stage.reason_code,
                ref=introduction.public_id,
                extra={"fair_follow_up": introduction.fair_follow_up},
            )
        )
    for hire, company_name in session.execute(
        sa.select(Hire, Company.name)
        .join(Company, Company.id == Hire.company_id)
        .where(Hire.registrant_id.in_(ids))
    ):
        entries.append(
            Entry(
                hire.hired_at,
                "hire",
                code=hire.turn,
                subject=company_name,
                ref=hire.public_id,
                extra={"moved_on": hire.moved_on},
            )
        )
        for follow_up in session.scalars(
            sa.select(SettlingFollowUp)
            .where(SettlingFollowUp.hire_id == hire.id, SettlingFollowUp.outcome.is_not(None))
            .order_by(SettlingFollowUp.months)
        ):
            entries.append(
                Entry(
                    follow_up.recorded_at or _day_start(follow_up.due_on),
                    "settling",
                    code=follow_up.outcome,
                    subject=company_name,
                    by=users.get(follow_up.recorded_by_id),
                    ref=hire.public_id,
                    extra={"months": follow_up.months},
                )
            )
    plans = dict(
        session.execute(
            sa.select(NurturePlan.stage_exit_id, NurturePlan.next_contact_on).where(
                NurturePlan.registrant_id.in_(ids)
            )
        ).all()
    )
    for exit_row, kind in session.execute(
        sa.select(StageExit, ReasonCode.kind)
        .join(ReasonCode, ReasonCode.code == StageExit.reason_code)
        .where(StageExit.registrant_id.in_(ids))
    ):
        if kind == REASON_KIND_MATCH_FAILED:
            continue  # shown with the introduction's declined stage
        entries.append(
            Entry(
                exit_row.exited_at,
                "nurturing" if kind == REASON_KIND_NURTURE else "dropped_out",
                code=exit_row.stage,
                by=users.get(exit_row.recorded_by_id),
                reason=exit_row.reason_code,
                extra={"next_contact_on": plans.get(exit_row.id)},
            )
        )
    entries.sort(key=lambda e: (_aware(e.at), TIMELINE_KINDS.index(e.kind)), reverse=True)
    reasons = {
        code: (ja, en)
        for code, ja, en in session.execute(
            sa.select(ReasonCode.code, ReasonCode.label_ja, ReasonCode.label_en)
        )
    }
    return Timeline(entries, reasons)
