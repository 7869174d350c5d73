"""Events: study sessions, meet-ups and the year's three job fairs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.crypto import Vault
from itworks.fiscal import fiscal_year_bounds_utc, fiscal_year_of
from itworks.i18n import N_
from itworks.models import EVENT_KINDS, Event, EventSignup, Registrant, User
from itworks.services import audit
from itworks.services.engagement.audience import get_event  # noqa: F401  (re-exported)
from itworks.services.engagement.signups import SEAT_HOLDING
from itworks.services.errors import InvalidInput
from itworks.services.intake import registrants

FAIR_ROUNDS = (1, 2, 3)  # the year's three GO 島根！ITエンジニア転職フェア


def create_event(
    session: Session,
    *,
    kind: str,
    name: str,
    starts_at: datetime,
    ends_at: datetime | None = None,
    venue: str | None = None,
    online: bool = False,
    fair_number: int | None = None,
    capacity: int | None = None,
    actor_label: str = "cli",
    actor: User | None = None,
) -> Event:
    errors = {}
    if kind not in EVENT_KINDS:
        errors["kind"] = N_("種類は %(codes)s のいずれかです", codes=", ".join(EVENT_KINDS))
    if not name or not name.strip() or len(name) > 200:
        errors["name"] = N_("名前は1〜200文字です")
    if kind == "fair" and fair_number not in FAIR_ROUNDS:
        errors["fair_number"] = N_("転職フェアには回数（1〜3）が必要です")
    if kind != "fair" and fair_number is not None:
        errors["fair_number"] = N_("回数は転職フェアだけに付けます")
    if starts_at.tzinfo is None:
        errors["starts_at"] = N_("タイムゾーン付きの日時が必要です")
    elif ends_at is not None and ends_at < starts_at:
        errors["ends_at"] = N_("終了は開始より後です")
    if capacity is not None and capacity < 1:
        errors["capacity"] = N_("定員は1以上です")
    if not errors and kind == "fair" and _round_taken(session, fair_number, starts_at):
        errors["fair_number"] = N_("この年度の第%(n)s回フェアは既にあります", n=fair_number)
    if venue is not None and len(venue) > 200:
        errors["venue"] = N_("場所は200文字までです")
    if errors:
        raise InvalidInput(errors)
    event = Event(
        kind=kind,
        name=name.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        online=online,
        fair_number=fair_number,
        capacity=capacity,
    )
    session.add(event)
    session.flush()
    audit.record(
        session,
        "event.create",
        actor=actor,
        actor_label=actor_label,
        entity_type="event",
        entity_id=event.public_id,
        kind=kind,
    )
    session.commit()
    return event


def _round_taken(session: Session, fair_number: int | None, starts_at: datetime) -> bool:
    start, end = fiscal_year_bounds_utc(fiscal_year_of(starts_at))
    return (
        session.scalar(
            sa.select(Event.id).where(
                Event.kind == "fair",
                Event.fair_number == fair_number,
                Event.starts_at >= start,
                Event.starts_at < end,
            )
        )
        is not None
    )


@dataclass(frozen=True)
class RosterRow:
    public_id: str  # the registrant's
    name: str | None
    name_kana: str | None
    status: str
    source: str
    signed_up_at: datetime
    attended_at: datetime | None
    erased: bool


STATUS_ORDER = {"applied": 0, "attended": 0, "no_show": 0, "waitlisted": 1, "cancelled": 2}


def roster(session: Session, vault: Vault, event: Event, *, actor: User) -> list[RosterRow]:
    """An event's sign-ups with names decrypted for a coordinator (audited): seats
    first, then the waiting list in promotion order, then the cancelled."""
    rows = session.execute(
        sa.select(EventSignup, Registrant)
        .join(Registrant, Registrant.id == EventSignup.registrant_id)
        .where(EventSignup.event_id == event.id)
        .order_by(EventSignup.signed_up_at, EventSignup.id)
    ).all()
    out = []
    for signup, person in rows:
        view = registrants.summarize(vault, person, ("name", "name_kana"))
        out.append(
            RosterRow(
                public_id=person.public_id,
                name=view.personal.get("name"),
                name_kana=view.personal.get("name_kana"),
                status=signup.status,
                source=signup.source,
                signed_up_at=signup.signed_up_at,
                attended_at=signup.attended_at,
                erased=person.erased_at is not None,
            )
        )
    out.sort(key=lambda r: STATUS_ORDER.get(r.status, 3))
    audit.record(
        session,
        "event.roster",
        actor=actor,
        entity_type="event",
        entity_id=event.public_id,
        shown=len(out),
    )
    session.commit()
    return out


def list_events(session: Session, kind: str | None = None) -> list[Event]:
    query = sa.select(Event).order_by(Event.starts_at)
    if kind:
        query = query.where(Event.kind == kind)
    return list(session.scalars(query))


def seat_holders(session: Session, event: Event) -> list[tuple[str, str]]:
    """(registrant public id, status) of everyone holding a seat, in sign-up order:
    the rows of an attendance sheet to fill in."""
    return [
        (public_id, status)
        for public_id, status in session.execute(
            sa.select(Registrant.public_id, EventSignup.status)
            .join(Registrant, Registrant.id == EventSignup.registrant_id)
            .where(
                EventSignup.event_id == event.id,
                EventSignup.status.in_(SEAT_HOLDING),
            )
            .order_by(EventSignup.signed_up_at, EventSignup.id)
        )
    ]
