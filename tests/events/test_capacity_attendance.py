"""Capacity, the waiting list and its notice, and attendance one by one and by CSV."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from itworks.models import AuditEvent, EventSignup, OutboxMessage
from itworks.services.engagement import signups
from itworks.services.errors import Conflict, InvalidInput

AFTER = datetime(2022, 7, 3, tzinfo=UTC)  # the day after the event
BEFORE = datetime(2022, 6, 1, tzinfo=UTC)


def _statuses(session, event) -> dict[str, str]:  # noqa: ANN001
    from itworks.models import Registrant

    session.expire_all()
    return dict(
        session.execute(
            sa.select(Registrant.public_id, EventSignup.status)
            .join(Registrant, Registrant.id == EventSignup.registrant_id)
            .where(EventSignup.event_id == event.id)
        ).all()
    )


def test_capacity_overflow_waits_and_a_freed_seat_goes_first_come_with_a_notice(
    session, registrant, make_event
) -> None:
    event = make_event(capacity=2)
    people = [registrant() for _ in range(4)]
    opted_out = people[3]
    opted_out.mail_opt_out_at = BEFORE
    session.commit()
    results = [
        signups.coordinator_sign_up(session, event.public_id, p.public_id, actor_label="t")[0]
        for p in people
    ]
    assert [r.status for r in results] == ["applied", "applied", "waitlisted", "waitlisted"]
    again, created = signups.coordinator_sign_up(
        session, event.public_id, people[0].public_id, actor_label="t"
    )
    assert not created and again.status == "applied"
    promoted = signups.cancel_signup(session, event.public_id, people[0].public_id, actor_label="t")
    assert promoted is not None and promoted.registrant_id == people[2].id
    statuses = _statuses(session, event)
    assert statuses[people[0].public_id] == "cancelled"
    assert statuses[people[2].public_id] == "applied"
    assert statuses[people[3].public_id] == "waitlisted"
    assert signups.seats_taken(session, event) == 2  # never past capacity
    notices = session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.template == "waitlist_promoted")
    ).all()
    assert [(n.registrant_id, n.status, n.subject_id) for n in notices] == [
        (people[2].id, "queued", event.public_id)
    ]
    # The next seat goes to someone who opted out of mail: promoted, but not mailed.
    promoted = signups.cancel_signup(session, event.public_id, people[1].public_id, actor_label="t")
    assert promoted.registrant_id == opted_out.id
    assert session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 1


def test_attendance_one_by_one_after_the_event_only(session, registrant, make_event) -> None:
    event = make_event(capacity=1)
    seated, waiting = registrant(), registrant()
    signups.coordinator_sign_up(session, event.public_id, seated.public_id, actor_label="t")
    signups.coordinator_sign_up(session, event.public_id, waiting.public_id, actor_label="t")
    with pytest.raises(Conflict):
        signups.mark_attendance(
            session, event.public_id, seated.public_id, "attended", actor_label="t", now=BEFORE
        )
    with pytest.raises(InvalidInput) as bad:
        signups.mark_attendance(session, event.public_id, seated.public_id, "maybe", now=AFTER)
    assert set(bad.value.errors) == {"attended"}
    with pytest.raises(Conflict):  # no seat, no attendance
        signups.mark_attendance(session, event.public_id, waiting.public_id, "attended", now=AFTER)
    row = signups.mark_attendance(
        session, event.public_id, seated.public_id, "attended", actor_label="t", now=AFTER
    )
    assert row.status == "attended" and row.attended_at == event.starts_at
    signups.mark_attendance(session, event.public_id, seated.public_id, "no_show", now=AFTER)
    assert _statuses(session, event)[seated.public_id] == "no_show"


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_attendance_csv_marks_every_line(session, registrant, make_event) -> None:
    event = make_event()
    a, b, c = registrant(), registrant(), registrant()
    for p in (a, b, c):
        signups.coordinator_sign_up(session, event.public_id, p.public_id, actor_label="t")
    data = _csv(
        "登録者ID,出欠", f"{a.public_id},参加", f"{b.public_id},no_show", f"{c.public_id},１"
    )
    result = signups.import_attendance(
        session, event.public_id, ("\ufeff" + data.decode()).encode(), actor_label="t", now=AFTER
    )
    assert (result.attended, result.no_show) == (2, 1)
    assert _statuses(session, event) == {
        a.public_id: "attended",
        b.public_id: "no_show",
        c.public_id: "attended",
    }
    audit = session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "event.attendance_import")
    )
    assert audit.detail == {"attended": 2, "no_show": 1}


def test_a_bad_attendance_csv_names_each_line_and_field_and_writes_nothing(
    session, registrant, make_event
) -> None:
    event = make_event(capacity=2)
    a, b, waiting, stranger = registrant(), registrant(), registrant(), registrant()
    for p in (a, b, waiting):
        signups.coordinator_sign_up(session, event.public_id, p.public_id, actor_label="t")
    data = _csv(
        "public_id,attended",
        f"{a.public_id},attended",  # good, but not written: the file has errors
        f"{b.public_id},たぶん",  # line 3: attended
        f"{stranger.public_id},attended",  # line 4: public_id (not signed up)
        f"{waiting.public_id},attended",  # line 5: public_id (waiting list, no seat)
        ",attended",  # line 6: public_id missing
        f"{a.public_id},no_show",  # line 7: twice
    )
    with pytest.raises(signups.AttendanceFileError) as caught:
        signups.import_attendance(session, event.public_id, data, actor_label="t", now=AFTER)
    assert [(e.line, e.field) for e in caught.value.lines] == [
        (3, "attended"),
        (4, "public_id"),
        (5, "public_id"),
        (6, "public_id"),
        (7, "public_id"),
    ]
    assert set(_statuses(session, event).values()) == {"applied", "waitlisted"}
    with pytest.raises(signups.AttendanceFileError) as header:
        signups.import_attendance(session, event.public_id, _csv("id,note", "x,y"), now=AFTER)
    assert [(e.line, e.field) for e in header.value.lines] == [(1, "header")]


def test_a_cp932_attendance_csv_from_excel_is_read(session, registrant, make_event) -> None:
    event = make_event()
    a = registrant()
    signups.coordinator_sign_up(session, event.public_id, a.public_id, actor_label="t")
    data = f"登録者ID,出欠\r\n{a.public_id},欠席\r\n".encode("cp932")
    result = signups.import_attendance(session, event.public_id, data, now=AFTER)
    assert result.no_show == 1
