"""Event capacity and the waiting list: never past capacity, promotion on
cancellation, the fair-application intake under the same rule, and the KPI."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from itworks.fiscal import Period
from itworks.models import AuditEvent, EventSignup
from itworks.services.engagement import events, signups
from itworks.services.errors import Conflict
from itworks.services.intake import arrivals
from itworks.services.kpi import progress
from testsupport import person


def _event(session, capacity: int | None = 2, kind: str = "study_session"):  # noqa: ANN001, ANN202
    return events.create_event(
        session,
        kind=kind,
        name="島根IT勉強会" if kind != "fair" else "転職フェア 第1回",
        starts_at=datetime(2022, 9, 10, 4, tzinfo=UTC),
        fair_number=1 if kind == "fair" else None,
        capacity=capacity,
        actor_label="test",
    )


def _statuses(session, event) -> list[str]:  # noqa: ANN001
    return session.scalars(
        sa.select(EventSignup.status)
        .where(EventSignup.event_id == event.id)
        .order_by(EventSignup.id)
    ).all()


def test_beyond_capacity_goes_to_the_waiting_list_never_past_it(session, registrant) -> None:
    event = _event(session, capacity=2)
    people = [registrant() for _ in range(4)]
    made = [
        signups.sign_up(session, event, p, at=datetime(2022, 8, 1, i, tzinfo=UTC))
        for i, p in enumerate(people)
    ]
    session.commit()
    assert [s.status for s, _ in made] == ["applied", "applied", "waitlisted", "waitlisted"]
    assert signups.seats_taken(session, event) == 2
    assert [s.registrant_id for s in signups.waiting_list(session, event)] == [
        people[2].id,
        people[3].id,
    ]
    again, created = signups.sign_up(session, event, people[0])
    assert (again.status, created) == ("applied", False)


def test_a_cancellation_promotes_the_first_waiting(session, registrant) -> None:
    event = _event(session, capacity=1)
    first, second, third = registrant(), registrant(), registrant()
    for i, p in enumerate((first, second, third)):
        signups.sign_up(session, event, p, at=datetime(2022, 8, 1, i, tzinfo=UTC))
    session.commit()
    # Cancelling a waiting sign-up frees no seat.
    assert signups.cancel_signup(session, event.public_id, third.public_id, actor_label="t") is None
    promoted = signups.cancel_signup(session, event.public_id, first.public_id, actor_label="t")
    assert promoted is not None and promoted.registrant_id == second.id
    assert _statuses(session, event) == ["cancelled", "applied", "cancelled"]
    assert signups.seats_taken(session, event) == 1
    # A cancelled person who signs up again joins the end of the line.
    renewed, created = signups.sign_up(session, event, first)
    assert (renewed.status, created) == ("waitlisted", True)
    assert (
        session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.action == "event.signup_cancel"
            )
        )
        == 2
    )


def test_attended_sign_ups_cannot_be_cancelled(session, registrant) -> None:
    event = _event(session, capacity=None)
    signup, _ = signups.sign_up(session, event, registrant())
    signup.status = "attended"
    session.commit()
    with pytest.raises(Conflict):
        signups.cancel(session, signup)


def test_no_capacity_means_no_waiting_list(session, registrant) -> None:
    event = _event(session, capacity=None)
    people = [registrant() for _ in range(3)]
    for p in people:
        signups.sign_up(session, event, p)
    session.commit()
    assert _statuses(session, event) == ["applied"] * 3


def test_the_fair_application_intake_follows_the_capacity_rule(session, vault) -> None:
    fair = _event(session, capacity=1, kind="fair")
    results = []
    for n in (1, 2, 2):
        arrival = arrivals.validate(person(n), None, consent_version="2022-04")
        results.append(arrivals.apply_to_fair(session, vault, arrival, fair.public_id))
    assert [r.signup_created for r in results] == [True, True, False]
    assert _statuses(session, fair) == ["applied", "waitlisted"]


def test_fair_applicants_count_the_waiting_list_but_not_the_cancelled(session, registrant) -> None:
    def applicants() -> int:
        period = Period.of(2022, date(2022, 10, 31))
        return progress.progress(session, period).measures["fair_signups"].actual

    fair = _event(session, capacity=1, kind="fair")
    before = applicants()
    seated, waiting, cancelled = registrant(), registrant(), registrant()
    for i, p in enumerate((seated, waiting, cancelled)):
        signups.sign_up(session, fair, p, at=datetime(2022, 8, 1, i, tzinfo=UTC))
    session.commit()
    signups.cancel_signup(session, fair.public_id, cancelled.public_id, actor_label="t")
    assert _statuses(session, fair) == ["applied", "waitlisted", "cancelled"]
    assert applicants() == before + 2


def test_two_simultaneous_sign_ups_never_both_take_the_last_seat(app, session, registrant) -> None:
    import threading

    from sqlalchemy.orm import Session

    from itworks.database import begin_write
    from itworks.db import db
    from itworks.models import Event, Registrant

    event = _event(session, capacity=1)
    people = [registrant().id, registrant().id]
    event_id = event.id
    session.commit()
    with app.app_context():
        engine = db.engine
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sign(registrant_id: int) -> None:
        try:
            with Session(engine) as own:
                barrier.wait()
                begin_write(own)  # as every writing service does first (SQLite)
                row = own.get(Event, event_id)
                person = own.get(Registrant, registrant_id)
                signups.sign_up(own, row, person)
                own.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=sign, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    session.commit()
    assert sorted(_statuses(session, event)) == ["applied", "waitlisted"]
