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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import csvio
from itworks.database import begin_write
from itworks.i18n import N_, Message
from itworks.models import Event, EventSignup, Registrant, utcnow
from itworks.services import audit
from itworks.services.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:  # imported where used at run time (import cycle)
    from itworks.services.engagement import outbox

SEAT_HOLDING = ("applied", "attended", "no_show")
SOURCES = ("coordinator", "fair_application", "invitation")
PROMOTED_TEMPLATE = "waitlist_promoted"
ATTENDANCE = ("attended", "no_show")
MESSAGES = {
    "not_held": N_("開催前のイベントには参加・欠席を記録できません"),
    "not_seated": N_("申込（席あり）のある人だけ参加・欠席を記録できます"),
    "attended": N_("attended（参加）か no_show（欠席）を指定してください"),
    "public_id": N_("登録者IDがありません"),
    "unknown": N_("このイベントの申込者ではありません"),
    "twice": N_("同じ登録者が2回書かれています"),
    "no_rows": N_("記録する行がありません"),
    "columns": N_("public_id と attended の列が必要です"),
}
# What an attendance CSV may say in its attended column (NFKC-folded, lower case).
ATTENDED_WORDS = {
    "attended": "attended",
    "参加": "attended",
    "出席": "attended",
    "yes": "attended",
    "1": "attended",
    "true": "attended",
    "○": "attended",
    "no_show": "no_show",
    "欠席": "no_show",
    "no": "no_show",
    "0": "no_show",
    "false": "no_show",
    "×": "no_show",
}
ATTENDANCE_COLUMNS = {
    "public_id": ("registrant", "id", "登録者id", "登録者ID", "公開id"),
    "attended": ("attendance", "status", "出欠", "参加"),
}


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


def _notify_promoted(
    session: Session,
    signup: EventSignup,
    settings: outbox.Settings | None = None,
    now: datetime | None = None,
) -> bool:
    """Queue the "a seat is yours" notice to a promoted sign-up (same unit of work).
    Nothing is queued for someone who may not be mailed; returns whether one was."""
    from itworks.fiscal import JST
    from itworks.services.engagement import outbox

    person = signup.registrant
    if outbox.mail_blocked(person) is not None:
        return False
    event = signup.event
    outbox.enqueue(
        session,
        person,
        PROMOTED_TEMPLATE,
        {"event": event.name, "when": event.starts_at.astimezone(JST).strftime("%Y-%m-%d %H:%M")},
        purpose="waitlist_promoted",
        subject_id=event.public_id,
        settings=settings or outbox.Settings(),
        now=now,
    )
    return True


def cancel_signup(
    session: Session,
    event_public_id: str,
    registrant_public_id: str,
    *,
    actor: object = None,
    actor_label: str | None = None,
    settings: outbox.Settings | None = None,
    now: datetime | None = None,
) -> EventSignup | None:
    """Cancel a sign-up; the first waiting is promoted and sent a notice through the
    outbox, all in one transaction. Commits; returns the promoted sign-up."""
    begin_write(session)
    try:
        signup = _find(session, event_public_id, registrant_public_id)
        promoted = cancel(session, signup)
        notified = _notify_promoted(session, promoted, settings, now) if promoted else False
        audit.record(
            session,
            "event.signup_cancel",
            actor=actor,  # type: ignore[arg-type]
            actor_label=actor_label,
            entity_type="event",
            entity_id=event_public_id,
            promoted=promoted is not None,
            notified=notified,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return promoted


def coordinator_sign_up(
    session: Session,
    event_public_id: str,
    registrant_public_id: str,
    *,
    actor: object = None,
    actor_label: str | None = None,
    at: datetime | None = None,
) -> tuple[EventSignup, bool]:
    """A coordinator signs a registrant up (under the capacity rule). Commits."""
    from itworks.services.engagement.audience import get_event
    from itworks.services.tiers.tiers import live_registrant

    begin_write(session)
    try:
        event = get_event(session, event_public_id)
        person = live_registrant(session, registrant_public_id.strip())
        signup, created = sign_up(session, event, person, source="coordinator", at=at)
        audit.record(
            session,
            "event.signup",
            actor=actor,  # type: ignore[arg-type]
            actor_label=actor_label,
            entity_type="event",
            entity_id=event.public_id,
            registrant=person.public_id,
            status=signup.status,
            created=created,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return signup, created


def _set_attendance(signup: EventSignup, outcome: str, event: Event) -> None:
    signup.status = outcome
    signup.attended_at = event.starts_at if outcome == "attended" else None


def _check_held(event: Event, now: datetime) -> None:
    if event.starts_at > now:
        raise Conflict(MESSAGES["not_held"])


def mark_attendance(
    session: Session,
    event_public_id: str,
    registrant_public_id: str,
    outcome: str,
    *,
    actor: object = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> EventSignup:
    """Mark one sign-up attended or no_show after the event. Commits."""
    from itworks.services.engagement.audience import get_event

    if outcome not in ATTENDANCE:
        raise InvalidInput({"attended": MESSAGES["attended"]})
    begin_write(session)
    try:
        event = get_event(session, event_public_id)
        _check_held(event, now or utcnow())
        signup = _find(session, event_public_id, registrant_public_id)
        if signup.status not in SEAT_HOLDING:
            raise Conflict(MESSAGES["not_seated"])
        _set_attendance(signup, outcome, event)
        audit.record(
            session,
            "event.attendance",
            actor=actor,  # type: ignore[arg-type]
            actor_label=actor_label,
            entity_type="event",
            entity_id=event.public_id,
            registrant=registrant_public_id,
            attendance=outcome,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return signup


@dataclass(frozen=True)
class LineError:
    line: int  # as a spreadsheet numbers it: the header is line 1
    field: str
    message: Message


class AttendanceFileError(InvalidInput):
    """An attendance file with bad lines: nothing was written. ``lines`` names each."""

    def __init__(self, lines: list[LineError]) -> None:
        super().__init__({f"line {e.line}: {e.field}": e.message for e in lines})
        self.lines = lines


@dataclass(frozen=True)
class AttendanceResult:
    attended: int
    no_show: int


def import_attendance(
    session: Session,
    event_public_id: str,
    data: bytes,
    *,
    actor: object = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> AttendanceResult:
    """Mark attendance from a CSV (columns ``public_id`` and ``attended``: attended /
    no_show, 参加 / 欠席…), all or nothing: any bad line and nothing is written, and
    AttendanceFileError names each line and field. Commits."""
    import unicodedata

    from itworks.services.engagement.audience import get_event

    try:
        columns, rows, _encoding = csvio.read_rows(data, ATTENDANCE_COLUMNS)
    except csvio.CsvFormatError as exc:
        raise AttendanceFileError([LineError(1, "file", exc.args[0])]) from None
    if not {"public_id", "attended"} <= set(columns):
        raise AttendanceFileError([LineError(1, "header", MESSAGES["columns"])])
    if not rows:
        raise AttendanceFileError([LineError(2, "file", MESSAGES["no_rows"])])
    begin_write(session)
    try:
        event = get_event(session, event_public_id)
        _check_held(event, now or utcnow())
        signups: Mapping[str, EventSignup] = {
            public_id: signup
            for signup, public_id in session.execute(
                sa.select(EventSignup, Registrant.public_id)
                .join(Registrant, Registrant.id == EventSignup.registrant_id)
                .where(EventSignup.event_id == event.id)
            )
        }
        errors: list[LineError] = []
        seen: set[str] = set()
        plan: list[tuple[EventSignup, str]] = []
        for line, values in rows:
            public_id = values.get("public_id", "")
            word = unicodedata.normalize("NFKC", values.get("attended", "")).strip().lower()
            outcome = ATTENDED_WORDS.get(word)
            signup = signups.get(public_id)
            if not public_id:
                errors.append(LineError(line, "public_id", MESSAGES["public_id"]))
            elif public_id in seen:
                errors.append(LineError(line, "public_id", MESSAGES["twice"]))
            elif signup is None:
                errors.append(LineError(line, "public_id", MESSAGES["unknown"]))
            elif signup.status not in SEAT_HOLDING:
                errors.append(LineError(line, "public_id", MESSAGES["not_seated"]))
            if outcome is None:
                errors.append(LineError(line, "attended", MESSAGES["attended"]))
            seen.add(public_id)
            if signup is not None and outcome is not None:
                plan.append((signup, outcome))
        if errors:
            raise AttendanceFileError(errors)
        for signup, outcome in plan:
            _set_attendance(signup, outcome, event)
        result = AttendanceResult(
            attended=sum(1 for _, o in plan if o == "attended"),
            no_show=sum(1 for _, o in plan if o == "no_show"),
        )
        audit.record(
            session,
            "event.attendance_import",
            actor=actor,  # type: ignore[arg-type]
            actor_label=actor_label,
            entity_type="event",
            entity_id=event.public_id,
            attended=result.attended,
            no_show=result.no_show,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result
