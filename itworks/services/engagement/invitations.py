"""Targeted invitations to an event: build an audience, count it, send, take replies.

The audience is every live registrant matching the filter, always excluding
erased people, merged duplicates (their survivor stands for them), people who
stopped use of their data or opted out of mail, and people already invited to
or signed up for the event. ``send_invitations`` saves the batch with its
filter and, in the same transaction, queues one outbox message per invitee
with a personal, signed, expiring, single-use reply link: a rollback leaves
neither invitations nor messages.

Nothing personal is logged or audited: filters are codes, people are counted.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from itworks.config import DEFAULTS
from itworks.crypto import LinkError, LinkSigner, new_link_id
from itworks.database import begin_write
from itworks.fiscal import JST, fiscal_year_bounds_utc, fiscal_year_of
from itworks.i18n import N_, translate
from itworks.japanese import parse_prefecture
from itworks.models import (
    INVITATION_ANSWERS,
    ORIGINS,
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
from itworks.services.errors import Conflict, InvalidInput, NotFound
from itworks.services.surveys import responses as survey_responses
from itworks.services.surveys.links import LinkProblem
from itworks.services.tiers.lists import persona_options
from itworks.services.tiers.tiers import current_tier_subquery, latest_proposal_subquery, parse_tier

TEMPLATE = "event_invitation"
TOKEN_PREFIX = "invitation:"  # keeps reply tokens apart from survey-link tokens
MESSAGES = {
    "event": N_("イベントが見つかりません"),
    "past": N_("開始済みのイベントには招待できません"),
    "empty": N_("条件に合う招待対象者がいません"),
    "origin": N_("U/Iターンは u_turn / i_turn / unknown のいずれかです"),
    "code": N_("選択肢にないコードです: %(codes)s"),
    "answer": N_("回答は accepted / declined のいずれかです"),
}
ONLINE = N_("オンライン")


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
            errors["persona"] = N_("ペルソナが見つかりません")
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
    invited = sa.select(_person(Invitation.registrant_id)).where(Invitation.event_id == event.id)
    signed = sa.select(_person(EventSignup.registrant_id)).where(
        EventSignup.event_id == event.id, EventSignup.status != "cancelled"
    )
    query = (
        sa.select(Registrant.id, Registrant.public_id, current.c.tier)
        .outerjoin(current, current.c.registrant_id == Registrant.id)
        .where(
            Registrant.erased_at.is_(None),
            Registrant.merged_into_id.is_(None),
            Registrant.mail_opt_out_at.is_(None),
            Registrant.use_stopped_at.is_(None),
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
        from itworks.services.tiers import segment

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
            .join(Event, Event.id == EventSignup.event_id)
            .where(
                EventSignup.status == "attended",
                Event.starts_at >= start,
                Event.starts_at < end,
            )
        )
        query = query.where(Registrant.id.not_in(attended))
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


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
    session.rollback()  # read only: end the snapshot
    return AudienceCount(len(ids), sample, flt.as_dict())


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
    settings: outbox.Settings = outbox.Settings(),
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
                    "place": translate(ONLINE, "ja") if event.online else (event.venue or ""),
                    "expires": expires_at.astimezone(JST).strftime("%Y-%m-%d %H:%M"),
                    "url": f"{base}/i/{token}",
                },
                purpose="invitation",
                subject_id=invitation.public_id,
                settings=settings,
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
    claimed = session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.answered_at.is_(None))
        .values(answered_at=now, answer=answer)
        .execution_options(synchronize_session=False)
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
