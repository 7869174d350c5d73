"""Event sign-ups under the capacity rule, and the waiting list.

The one rule, whichever way a sign-up arrives (the fair-application API, an
invitation reply, a coordinator): while seats are free a sign-up is
``applied``; once the event is full it is ``waitlisted`` (キャンセル待ち), never
past capacity. Cancelling a seat promotes the first on the waiting list (by
sign-up time). Seats are held by ``applied``, ``attended`` and ``no_show``.

A waiting sign-up is still an application: it counts among the fair
applicants (the KPI counts every sign-up but the cancelled ones).

Concurrent sign-ups for one event are serialised by locking the event's row
(``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite a write takes the file lock),
so two requests cannot both take the last seat. As with every writing service,
start the unit of work with ``database.begin_write`` so SQLite's lock is taken
before the first read.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.database import begin_write
from itworks.i18n import N_
from itworks.models import Event, EventSignup, Registrant, utcnow
from itworks.services import audit
from itworks.services.errors import Conflict, NotFound

SEAT_HOLDING = ("applied", "attended", "no_show")
SOURCES = ("coordinator", "fair_application", "invitation")


def _lock_event(session: Session, event: Event) -> None:
    table = Event.__table__
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(table.c.id).where(table.c.id == event.id).with_for_update())
    else:  # a no-op write takes SQLite's write lock for the rest of the transaction
        session.execute(
            sa.update(table).where(table.c.id == event.id).values(capacity=table.c.capacity)
        )


def seats_taken(session: Session, event: Event) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count(EventSignup.id)).where(
                EventSignup.event_id == event.id, EventSignup.status.in_(SEAT_HOLDING)
            )
        )
        or 0
    )


def waiting_list(session: Session, event: Event) -> list[EventSignup]:
    """The waiting sign-ups, first to be promoted first."""
    return list(
        session.scalars(
            sa.select(EventSignup)
            .where(EventSignup.event_id == event.id, EventSignup.status == "waitlisted")
            .order_by(EventSignup.signed_up_at, EventSignup.id)
        )
    )


def sign_up(
    session: Session,
    event: Event,
    registrant: Registrant,
    *,
    source: str = "coordinator",
    at: datetime | None = None,
) -> tuple[EventSignup, bool]:
    """Sign ``registrant`` up under the capacity rule, in the caller's unit of work
    (no commit). Returns the sign-up and whether it was created or renewed; an
    existing live sign-up is returned as it is. A cancelled one is renewed."""
    at = at or utcnow()
    _lock_event(session, event)
    signup = session.scalar(
        sa.select(EventSignup).where(
            EventSignup.event_id == event.id, EventSignup.registrant_id == registrant.id
        )
    )
    if signup is not None and signup.status != "cancelled":
        return signup, False
    full = event.capacity is not None and seats_taken(session, event) >= event.capacity
    status = "waitlisted" if full else "applied"
    if signup is None:
        signup = EventSignup(
            event_id=event.id, registrant_id=registrant.id, signed_up_at=at, source=source
        )
        session.add(signup)
    else:
        signup.signed_up_at, signup.source, signup.attended_at = at, source, None
    signup.status = status
    session.flush()
    return signup, True


def cancel(session: Session, signup: EventSignup) -> EventSignup | None:
    """Cancel a sign-up (no commit); returns the sign-up promoted to the freed seat."""
    if signup.status == "cancelled":
        return None
    if signup.status in ("attended", "no_show"):
        raise Conflict(N_("参加・欠席の記録がある申込は取り消せません"))
    event = signup.event
    _lock_event(session, event)
    held_seat = signup.status == "applied"
    signup.status = "cancelled"
    session.flush()
    if not held_seat:
        return None
    return promote(session, event)


def promote(session: Session, event: Event) -> EventSignup | None:
    """Give a free seat, if any, to the first on the waiting list (no commit)."""
    if event.capacity is not None and seats_taken(session, event) >= event.capacity:
        return None
    waiting = waiting_list(session, event)
    if not waiting:
        return None
    first = waiting[0]
    first.status = "applied"
    session.flush()
    return first


def _find(session: Session, event_public_id: str, registrant_public_id: str) -> EventSignup:
    signup = session.scalar(
        sa.select(EventSignup)
        .join(Event, Event.id == EventSignup.event_id)
        .join(Registrant, Registrant.id == EventSignup.registrant_id)
        .where(Event.public_id == event_public_id, Registrant.public_id == registrant_public_id)
    )
    if signup is None:
        raise NotFound(N_("申込が見つかりません"))
    return signup


def cancel_signup(
    session: Session, event_public_id: str, registrant_public_id: str, *, actor_label: str
) -> EventSignup | None:
    """A coordinator cancels a sign-up; the first waiting is promoted. Commits."""
    begin_write(session)
    signup = _find(session, event_public_id, registrant_public_id)
    promoted = cancel(session, signup)
    audit.record(
        session,
        "event.signup_cancel",
        actor_label=actor_label,
        entity_type="event",
        entity_id=event_public_id,
        promoted=promoted is not None,
    )
    session.commit()
    return promoted
