"""Consultations and contacts, their KPI effect, and the first-contact service level."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from itworks.fiscal import JST, Period
from itworks.models import AuditEvent, Consultation, ContactLog
from itworks.services.engagement import contacts, first_contact
from itworks.services.errors import InvalidInput
from itworks.services.kpi import progress

NOW = datetime(2022, 10, 31, 12, 0, tzinfo=UTC)


def _consultations(session, as_of: date = date(2022, 10, 31)) -> int:  # noqa: ANN001
    return progress.progress(session, Period.of(2022, as_of)).measures["consultations"].actual


def test_a_career_consultation_counts_and_a_phone_contact_does_not(
    session, registrant, vault
) -> None:
    consulted, phoned = registrant(), registrant()
    before = _consultations(session)
    contacts.record_contact(
        session, vault, phoned.public_id, "phone", at="2022-10-03 10:00", now=NOW
    )
    contacts.record_contact(session, vault, phoned.public_id, "interview", at="2022-10-04", now=NOW)
    assert _consultations(session) == before
    contacts.record_contact(
        session, vault, consulted.public_id, "career_consultation", at="2022-10-05", now=NOW
    )
    assert _consultations(session) == before + 1
    kinds = session.scalars(sa.select(ContactLog.kind).order_by(ContactLog.id)).all()
    assert kinds == ["phone", "interview"]
    assert session.scalars(sa.select(Consultation.kind)).all() == ["career"]


def test_notes_and_outcome_are_encrypted_and_bound_to_their_row(session, registrant, vault) -> None:
    person = registrant()
    secret_notes, secret_outcome = "転職理由は介護（秘）", "来月再相談（秘）"
    contacts.record_contact(
        session,
        vault,
        person.public_id,
        "career_consultation",
        at="2022-10-05 15:00",
        outcome=secret_outcome,
        notes=secret_notes,
        actor_label="test",
        now=NOW,
    )
    contacts.record_contact(session, vault, person.public_id, "email", notes=secret_notes, now=NOW)
    row = session.scalar(sa.select(Consultation))
    assert secret_notes.encode() not in row.notes_enc
    listed = contacts.contacts_of(session, vault, person, actor_label="test", decrypt=True)
    assert [(c.kind, c.notes) for c in listed] == [
        ("email", secret_notes),
        ("career_consultation", secret_notes),
    ]
    assert listed[1].outcome == secret_outcome
    assert listed[1].at == datetime(2022, 10, 5, 15, 0, tzinfo=JST)
    # Without decrypt nothing personal comes out.
    assert {c.notes for c in contacts.contacts_of(session, vault, person)} == {None}
    audit = " ".join(str(a.detail) for a in session.scalars(sa.select(AuditEvent)))
    assert "秘" not in audit


@pytest.mark.parametrize(
    ("kind", "at", "field"),
    [
        ("visit", None, "kind"),
        ("phone", "2099-01-01", "at"),
        ("phone", "yesterday", "at"),
    ],
)
def test_a_bad_contact_is_refused_by_field(session, registrant, vault, kind, at, field) -> None:
    with pytest.raises(InvalidInput) as caught:
        contacts.record_contact(session, vault, registrant().public_id, kind, at=at, now=NOW)
    assert field in caught.value.errors


def test_business_days_skip_weekends_and_japanese_public_holidays() -> None:
    # Fri 16 Sep 2022; Mon 19 is 敬老の日, Fri 23 is 秋分の日.
    assert first_contact.add_business_days(date(2022, 9, 16), 1) == date(2022, 9, 20)
    assert first_contact.add_business_days(date(2022, 9, 16), 3) == date(2022, 9, 22)
    assert first_contact.add_business_days(date(2022, 9, 22), 1) == date(2022, 9, 26)
    # Registered on a Saturday: counting starts on the next business day.
    assert first_contact.add_business_days(date(2022, 9, 17), 1) == date(2022, 9, 20)
    assert first_contact.business_days_between(date(2022, 9, 16), date(2022, 9, 26)) == 4


def test_overdue_first_contacts_across_a_weekend_and_a_holiday(session, registrant, vault) -> None:
    friday = datetime(2022, 9, 16, 18, 0, tzinfo=JST)  # before 敬老の日 and 秋分の日
    waiting = registrant(registered_at=friday)
    contacted = registrant(registered_at=friday)
    contacts.record_contact(
        session, vault, contacted.public_id, "phone", at="2022-09-21 10:00", now=NOW
    )
    level = 3  # due Thu 22 Sep
    assert first_contact.overdue(session, level, date(2022, 9, 22)) == []
    late = first_contact.overdue(session, level, date(2022, 9, 26))
    assert [s.public_id for s in late] == [waiting.public_id]
    assert late[0].due_on == date(2022, 9, 22)
    # Fri 23 (holiday), Sat, Sun do not count: Mon 26 is one business day late.
    assert late[0].days_overdue(date(2022, 9, 26)) == 1


def test_median_days_to_first_contact_per_month(session, registrant, vault) -> None:
    for registered, contacted_on in (
        ("2022-09-16", "2022-09-20"),  # 1 business day (over 敬老の日)
        ("2022-09-16", "2022-09-22"),  # 3
        ("2022-09-22", "2022-09-28"),  # 3 (over 秋分の日 and a weekend)
        ("2022-10-03", None),
    ):
        at = datetime.fromisoformat(registered).replace(hour=9, tzinfo=JST)
        person = registrant(registered_at=at)
        if contacted_on:
            contacts.record_contact(
                session, vault, person.public_id, "email", at=contacted_on, now=NOW
            )
    rows = first_contact.median_by_month(session, 2, date(2022, 9, 1), date(2022, 11, 1))
    assert [
        (r.month, r.registered, r.contacted, r.within_level, r.median_business_days) for r in rows
    ] == [
        ("2022-09", 3, 3, 1, 3.0),
        ("2022-10", 1, 0, 0, None),
    ]
