"""Companies, third-party provision, introductions, hires and settling-in."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from itworks.crypto import DecryptionError
from itworks.fiscal import JST, Period
from itworks.models import (
    AuditEvent,
    Company,
    DataKey,
    Event,
    Hire,
    Introduction,
    SettlingFollowUp,
    ThirdPartyProvision,
)
from itworks.services.engagement import companies, hires, introductions
from itworks.services.errors import Conflict, InvalidInput
from itworks.services.kpi import progress

NOW = datetime(2022, 11, 20, 12, 0, tzinfo=UTC)
CONTACT = {"contact_name": "出雲 担当", "contact_email": "tanto@shimane-it.example.jp"}


@pytest.fixture
def company(session, vault):  # noqa: ANN001, ANN201
    return companies.add_company(
        session, vault, "株式会社しまねテック", contact_phone="0852-00-1234", **CONTACT
    )


def _introduce(session, person, **kwargs):  # noqa: ANN001, ANN202
    values = {"items": "name,email,phone", "consent_at": "2022-10-01 09:00", "at": "2022-10-02"}
    values.update(kwargs)
    return introductions.add_introduction(
        session, person.public_id, "株式会社しまねテック", now=NOW, actor_label="test", **values
    )


def _hires(session, as_of: date) -> int:  # noqa: ANN001
    return progress.progress(session, Period.of(2022, as_of)).measures["hires"].actual


def test_a_company_contact_is_encrypted_under_the_company_own_key(session, vault, company) -> None:
    row = session.get(Company, company.id)
    assert row.data_key_id is not None and session.get(DataKey, row.data_key_id).wrapped
    assert CONTACT["contact_name"].encode() not in row.contact_name_enc
    shown = companies.contact(session, vault, row, actor_label="test")
    assert (shown.contact_name, shown.contact_email, shown.contact_phone) == (
        "出雲 担当",
        "tanto@shimane-it.example.jp",
        "+81852001234",  # stored normalised (E.164), as registrants' phones are
    )
    key_row = session.get(DataKey, row.data_key_id)
    key = vault.unwrap(key_row.uid, key_row.kek_id, key_row.wrapped)
    with pytest.raises(DecryptionError):  # a ciphertext moved to another column fails
        vault.decrypt(
            key,
            key_uid=key_row.uid,
            table="companies",
            column="contact_email",
            row=row.public_id,
            blob=row.contact_name_enc,
        )
    audit = " ".join(str(a.detail) for a in session.scalars(sa.select(AuditEvent)))
    assert "出雲" not in audit and "tanto" not in audit


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"items": None, "consent_at": None}, {"items", "consent_at"}),
        ({"items": ""}, {"items"}),
        ({"items": "name,blood_type"}, {"items"}),
        ({"consent_at": None}, {"consent_at"}),
        ({"consent_at": "2022-10-05"}, {"consent_at"}),  # consent after the provision
    ],
)
def test_no_introduction_without_a_provision_record(
    session, registrant, company, kwargs, fields
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _introduce(session, registrant(), **kwargs)
    assert set(caught.value.errors) == fields
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(Introduction.id))) == 0
    assert session.scalar(sa.select(sa.func.count(ThirdPartyProvision.id))) == 0


def test_an_introduction_records_the_provision_first(session, registrant, company) -> None:
    person = registrant()
    introduction = _introduce(session, person)
    provision = session.get(ThirdPartyProvision, introduction.provision_id)
    assert (provision.registrant_id, provision.company_id) == (person.id, company.id)
    assert provision.items == ["email", "name", "phone"]
    assert provision.provided_on == date(2022, 10, 2)
    assert provision.basis == "consent"
    assert provision.consent_at == datetime(2022, 10, 1, 9, 0, tzinfo=JST)
    assert provision.keep_until == date(2025, 10, 2)
    assert [p.id for p in introductions.provisions(session, company_id=company.id)] == [
        provision.id
    ]
    assert [p.id for p in introductions.provisions(session, registrant_id=person.id)] == [
        provision.id
    ]


def test_stages_move_forward_with_their_times_and_a_decline_needs_a_reason(
    session, registrant, company
) -> None:
    introduction = _introduce(session, registrant())
    public_id = introduction.public_id
    introductions.move(session, public_id, "interviewing", at="2022-10-10 10:00", now=NOW)
    with pytest.raises(Conflict):
        introductions.move(session, public_id, "introduced", now=NOW)
    with pytest.raises(InvalidInput):
        introductions.move(session, public_id, "declined", now=NOW)
    with pytest.raises(InvalidInput):
        introductions.move(session, public_id, "declined", reason="dropout_family", now=NOW)
    introductions.move(
        session, public_id, "declined", reason="match_salary", at="2022-10-20", now=NOW
    )
    stages = introductions.stages_of(session, introductions.get_introduction(session, public_id))
    assert [(s.stage, s.at.astimezone(JST).date()) for s in stages] == [
        ("introduced", date(2022, 10, 2)),
        ("interviewing", date(2022, 10, 10)),
        ("declined", date(2022, 10, 20)),
    ]
    assert stages[-1].reason_code == "match_salary"
    with pytest.raises(Conflict):  # declined is final
        introductions.move(session, public_id, "offered", now=NOW)


def test_fair_follow_up_flag_and_the_due_list(session, registrant, company) -> None:
    fair = Event(
        kind="fair", name="GO 島根！", starts_at=datetime(2022, 9, 1, tzinfo=UTC), fair_number=1
    )
    meetup = Event(kind="meetup", name="交流会", starts_at=datetime(2022, 9, 2, tzinfo=UTC))
    session.add_all([fair, meetup])
    session.commit()
    with pytest.raises(InvalidInput):
        _introduce(session, registrant(), from_fair=meetup.public_id)
    session.rollback()
    flagged = _introduce(
        session, registrant(), from_fair=fair.public_id, follow_up_on=date(2022, 10, 9)
    )
    _introduce(session, registrant(), follow_up_on=date(2022, 12, 1))
    assert flagged.fair_follow_up is True
    due = introductions.follow_ups_due(session, date(2022, 10, 10))
    assert [i.public_id for i in due] == [flagged.public_id]


def test_a_hire_counts_on_its_hire_date_and_gets_settling_follow_ups(
    session, registrant, company
) -> None:
    person = registrant(origin="i_turn")
    introduction = _introduce(session, person)
    before = _hires(session, date(2022, 11, 20))
    introductions.move(session, introduction.public_id, "offered", at="2022-10-10", now=NOW)
    introductions.move(session, introduction.public_id, "hired", at="2022-10-15 10:00", now=NOW)
    assert _hires(session, date(2022, 10, 14)) == before
    assert _hires(session, date(2022, 10, 15)) == before + 1
    assert _hires(session, date(2022, 11, 20)) == before + 1
    hire = session.scalar(sa.select(Hire).where(Hire.introduction_id == introduction.id))
    assert hire.turn == "i_turn"
    follow_ups = session.scalars(
        sa.select(SettlingFollowUp).order_by(SettlingFollowUp.months)
    ).all()
    assert [(f.months, f.due_on) for f in follow_ups] == [
        (3, date(2023, 1, 15)),
        (12, date(2023, 10, 15)),
    ]
    assert hires.settling_due(session, date(2023, 1, 14)) == []
    [(due, _)] = hires.settling_due(session, date(2023, 1, 15))
    assert due.months == 3
    hires.record_settling(session, hire.public_id, 3, "still_employed")
    assert hires.settling_due(session, date(2023, 2, 1)) == []
    with pytest.raises(Conflict):
        hires.record_settling(session, hire.public_id, 3, "left_shimane")
    assert hires.add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)
