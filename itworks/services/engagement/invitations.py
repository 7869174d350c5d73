"""Targeted invitations to an event: send to an audience, take the replies,
report the conversion.

``send_invitations`` saves the batch with its filter (services/engagement/
audience.py) and, in the same transaction, queues one outbox message per
invitee with a personal, signed, expiring, single-use reply link: a rollback
leaves neither invitations nor messages. A reply signs the person up under
the capacity rule (services/engagement/signups.py) or records a decline.

Nothing personal is logged or audited: filters are codes, people are counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.config import DEFAULTS
from itworks.crypto import LinkError, LinkSigner, new_link_id
from itworks.database import begin_write
from itworks.fiscal import JST
from itworks.i18n import N_, translate
from itworks.models import (
    INVITATION_ANSWERS,
    TIERS,
    Event,
    EventSignup,
    Invitation,
    InvitationBatch,
    Registrant,
    User,
    utcnow,
)
from itworks.services import audit
from itworks.services.engagement import outbox, signups
from itworks.services.engagement.audience import (  # noqa: F401  (re-exported)
    AudienceCount,
    AudienceFilter,
    audience,
    count_audience,
    get_event,
    parse_filter,
)
from itworks.services.errors import Conflict, InvalidInput
from itworks.services.surveys.links import LinkProblem

TEMPLATE = "event_invitation"
TOKEN_PREFIX = "invitation:"  # keeps reply tokens apart from survey-link tokens
MESSAGES = {
    "past": N_("開始済みのイベントには招待できません"),
    "empty": N_("条件に合う招待対象者がいません"),
    "answer": N_("回答は accepted / declined のいずれかです"),
}
ONLINE = N_("オンライン")
PLACE_TO_BE_ANNOUNCED = N_("未定")


def _when(event: Event) -> str:
    return event.starts_at.astimezone(JST).strftime("%Y-%m-%d %H:%M")


def send_invitations(
    session: Session,
    signer: LinkSigner,
    event_public_id: str,
    flt: AudienceFilter,
    *,
    base_url: str,
    actor: User | None = None,
    actor_label: str | None = None,
    link_days: int = DEFAULTS["INVITATION_LINK_DAYS"],
    settings: outbox.Settings | None = None,
    now: datetime | None = None,
) -> InvitationBatch:
    """Save a batch and its invitations, and queue their mail, in one transaction; commits."""
    now = now or utcnow()
    begin_write(session)
    try:
        event = get_event(session, event_public_id)
        if event.starts_at <= now:
            raise Conflict(MESSAGES["past"])
        people = audience(session, event, flt, now=now)
        if not people:
            raise Conflict(MESSAGES["empty"])
        batch = InvitationBatch(
            event_id=event.id,
            filter=flt.as_dict(),
            audience_size=len(people),
            created_by_id=actor.id if actor else None,
            actor_label=actor_label or (actor.username if actor else None),
            created_at=now,
        )
        session.add(batch)
        session.flush()
        expires_at = min(now + timedelta(days=link_days), event.starts_at)
        base = base_url.rstrip("/")
        registrants = {
            r.id: r
            for r in session.scalars(
                sa.select(Registrant).where(Registrant.id.in_([p[0] for p in people]))
            )
        }
        for registrant_id, _, tier in people:
            invitation = Invitation(
                batch_id=batch.id,
                event_id=event.id,
                registrant_id=registrant_id,
                tier=tier,
                token_id=new_link_id(),
                created_at=now,
                expires_at=expires_at,
            )
            session.add(invitation)
            session.flush()
            token = signer.sign(TOKEN_PREFIX + invitation.token_id)
            message = outbox.enqueue(
                session,
                registrants[registrant_id],
                TEMPLATE,
                {
                    "event": event.name,
                    "when": _when(event),
                    "place": translate(ONLINE, "ja")
                    if event.online
                    else (event.venue or translate(PLACE_TO_BE_ANNOUNCED, "ja")),
                    "expires": expires_at.astimezone(JST).strftime("%Y-%m-%d %H:%M"),
                    "url": f"{base}/i/{token}",
                },
                purpose="invitation",
                subject_id=invitation.public_id,
                settings=settings or outbox.Settings(),
                now=now,
            )
            invitation.message_id = message.id
        audit.record(
            session,
            "invitation.send",
            actor=actor,
            actor_label=actor_label,
            entity_type="event",
            entity_id=event.public_id,
            batch=batch.public_id,
            invited=len(people),
            filter=flt.as_dict(),
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return batch


# ------------------------------------------------------------------ replies


def open_invitation(
    session: Session, signer: LinkSigner, token: str, *, now: datetime | None = None
) -> Invitation:
    """The invitation a reply token names, if it may still be answered; LinkProblem otherwise."""
    try:
        value = signer.unsign(token, int(timedelta(days=366).total_seconds()))
    except LinkError as exc:
        raise LinkProblem(exc.reason) from None
    if not value.startswith(TOKEN_PREFIX):
        raise LinkProblem("tampered")
    invitation = session.scalar(
        sa.select(Invitation).where(Invitation.token_id == value[len(TOKEN_PREFIX) :])
    )
    if invitation is None:
        raise LinkProblem("gone")
    person = invitation.registrant
    if person.erased_at is not None or person.use_stopped_at is not None:
        raise LinkProblem("gone")
    if invitation.answered_at is not None:
        raise LinkProblem("used")
    if (now or utcnow()) >= invitation.expires_at:
        raise LinkProblem("expired")
    return invitation


@dataclass(frozen=True)
class ReplyResult:
    answer: str
    event: str  # the event's public id
    status: str | None  # the sign-up's status (applied / waitlisted) when accepted


def reply(
    session: Session, signer: LinkSigner, token: str, answer: str, *, now: datetime | None = None
) -> ReplyResult:
    """Accept (sign up, under the capacity rule) or decline through a reply link,
    which is then spent; commits. The link is claimed with a conditional update,
    so two simultaneous replies cannot both be recorded."""
    if answer not in INVITATION_ANSWERS:
        raise InvalidInput({"answer": MESSAGES["answer"]})
    now = now or utcnow()
    begin_write(session)
    invitation = open_invitation(session, signer, token, now=now)
    # Session.execute() of an UPDATE returns a CursorResult (with rowcount); it is typed Result.
    claimed = cast(
        sa.CursorResult[Any],
        session.execute(
            sa.update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.answered_at.is_(None))
            .values(answered_at=now, answer=answer)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if claimed != 1:
        session.rollback()
        raise LinkProblem("used")
    status = None
    if answer == "accepted":
        signup, _ = signups.sign_up(
            session, invitation.event, invitation.registrant, source="invitation", at=now
        )
        invitation.signup_id, status = signup.id, signup.status
    audit.record(
        session,
        "invitation.reply",
        actor_label="registrant",
        entity_type="invitation",
        entity_id=invitation.public_id,
        answer=answer,
        status=status,
    )
    result = ReplyResult(answer, invitation.event.public_id, status)
    session.commit()
    return result


# ------------------------------------------------------------------ conversion


@dataclass(frozen=True)
class ConversionRow:
    event: str | None  # public id; None for the total over the events
    event_name: str | None
    tier: str | None  # None for every tier together
    invited: int
    signed_up: int  # invitees with a live sign-up (waiting list included), any route
    attended: int


def conversion(
    session: Session, event_public_ids: Iterable[str] | None = None
) -> list[ConversionRow]:
    """Invited → signed up → attended, per event (overall, then per tier in the
    vocabulary's order) and, last, over all the events. Plain rows; the
    published table builds on them."""
    query = (
        sa.select(Event.public_id, Event.name, Invitation.tier, EventSignup.status)
        .join(Event, Event.id == Invitation.event_id)
        .outerjoin(
            EventSignup,
            sa.and_(
                EventSignup.event_id == Invitation.event_id,
                EventSignup.registrant_id == Invitation.registrant_id,
            ),
        )
        .order_by(Event.starts_at, Event.id)
    )
    if event_public_ids is not None:
        query = query.where(Event.public_id.in_(list(event_public_ids)))
    names: dict[str, str] = {}
    counts: Counter[tuple[str | None, str | None, str]] = Counter()
    for public_id, name, tier, status in session.execute(query):
        names.setdefault(public_id, name)
        steps = ["invited"]
        if status is not None and status != "cancelled":
            steps.append("signed_up")
        if status == "attended":
            steps.append("attended")
        for event_key in (public_id, None):
            for tier_key in (None, tier):
                for step in steps:
                    counts[(event_key, tier_key, step)] += 1
                if tier is None:
                    break  # no tier: counted once, in the overall row
    rows = []
    tiers_seen = sorted(
        {key[1] for key in counts if key[1] is not None},
        key=lambda t: TIERS.index(t) if t in TIERS else len(TIERS),
    )
    for event_key in [*names, None]:
        for tier_key in [None, *tiers_seen]:
            invited = counts[(event_key, tier_key, "invited")]
            if not invited:
                continue
            rows.append(
                ConversionRow(
                    event=event_key,
                    event_name=names.get(event_key) if event_key else None,
                    tier=tier_key,
                    invited=invited,
                    signed_up=counts[(event_key, tier_key, "signed_up")],
                    attended=counts[(event_key, tier_key, "attended")],
                )
            )
    return rows


# ------------------------------------------------------------------ batches


@dataclass(frozen=True)
class BatchRow:
    public_id: str
    created_at: datetime
    event: str  # public id
    event_name: str
    event_starts_at: datetime
    filter: dict
    audience_size: int
    actor: str | None
    accepted: int
    declined: int
    unanswered: int


def batches(session: Session, batch_public_id: str | None = None) -> list[BatchRow]:
    """Every invitation batch, newest first, with its replies counted (plain rows)."""
    answered = sa.func.count(Invitation.id)
    query = (
        sa.select(
            InvitationBatch,
            Event.public_id,
            Event.name,
            Event.starts_at,
            answered.filter(Invitation.answer == "accepted"),
            answered.filter(Invitation.answer == "declined"),
            answered.filter(Invitation.answer.is_(None)),
        )
        .join(Event, Event.id == InvitationBatch.event_id)
        .outerjoin(Invitation, Invitation.batch_id == InvitationBatch.id)
        .group_by(InvitationBatch.id, Event.public_id, Event.name, Event.starts_at)
        .order_by(InvitationBatch.created_at.desc(), InvitationBatch.id.desc())
    )
    if batch_public_id is not None:
        query = query.where(InvitationBatch.public_id == batch_public_id)
    return [
        BatchRow(
            public_id=batch.public_id,
            created_at=batch.created_at,
            event=event_id,
            event_name=name,
            event_starts_at=starts_at,
            filter=dict(batch.filter or {}),
            audience_size=batch.audience_size,
            actor=batch.actor_label,
            accepted=int(accepted),
            declined=int(declined),
            unanswered=int(unanswered),
        )
        for batch, event_id, name, starts_at, accepted, declined, unanswered in session.execute(
            query
        )
    ]
