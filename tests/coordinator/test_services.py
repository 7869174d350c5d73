"""The services behind the coordinator's pages: KPI effects, checks before writes,
code lists from the vocabulary, the timeline, drop-off and nurturing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from itworks import models, vocabulary
from itworks.fiscal import Period
from itworks.models import (
    AuditEvent,
    DataKey,
    Hire,
    Introduction,
    IntroductionStage,
    NurturePlan,
    Registrant,
    SettlingFollowUp,
    StageExit,
)
from itworks.services.engagement import (
    companies,
    contacts,
    hires,
    introductions,
    timeline,
)
from itworks.services.errors import InvalidInput
from itworks.services.kpi import progress

NOW = datetime(2022, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def company(session, vault):  # noqa: ANN001, ANN201
    return companies.add_company(
        session, vault, "株式会社しまねテック", contact_name="出雲 担当", actor_label="test"
    )


@pytest.fixture
def person(session, make_registrant):  # noqa: ANN001, ANN201
    def make(**overrides):  # noqa: ANN202
        public_id = make_registrant(**overrides)
        session.commit()
        return session.scalar(sa.select(Registrant).where(Registrant.public_id == public_id))

    return make


def _measure(session, name: str, as_of: date) -> int:  # noqa: ANN001
    session.commit()
    return progress.progress(session, Period.of(2022, as_of)).measures[name].actual


def test_a_career_consultation_counts_and_a_phone_contact_does_not(session, vault, person) -> None:
    someone, other = person(), person()
    before = _measure(session, "consultations", date(2022, 11, 20))
    contacts.record_contact(session, vault, someone.public_id, "phone", at="2022-10-01", now=NOW)
    contacts.record_contact(session, vault, other.public_id, "email", at="2022-10-01", now=NOW)
    contacts.record_contact(session, vault, other.public_id, "interview", at="2022-10-02", now=NOW)
    assert _measure(session, "consultations", date(2022, 11, 20)) == before
    contacts.record_contact(
        session, vault, someone.public_id, "career_consultation", at="2022-10-05", now=NOW
    )
    assert _measure(session, "consultations", date(2022, 10, 4)) == before
    assert _measure(session, "consultations", date(2022, 10, 5)) == before + 1


def _introduce(session, registrant, company):  # noqa: ANN001, ANN202
    return introductions.add_introduction(
        session,
        registrant.public_id,
        company.name,
        items="name",
        consent_at="2022-10-01",
        at="2022-10-02",
        now=NOW,
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"stage": "hired", "turn": "z_turn"}, "turn"),
        ({"stage": "hired", "moved_on": "someday"}, "moved_on"),
        ({"stage": "hired", "at": "2022-09-01"}, "at"),  # before the introduction
        ({"stage": "hired", "at": "2099-01-01"}, "at"),
        ({"stage": "hired", "follow_up_on": "2022-10-01", "at": "2022-10-05"}, "follow_up_on"),
        ({"stage": "offered", "turn": "u_turn"}, "turn"),
        ({"stage": "declined", "reason": "nurture_not_ready"}, "reason"),
    ],
)
def test_move_checks_everything_before_writing(session, person, company, kwargs, field) -> None:
    made = _introduce(session, person(), company)
    stage = kwargs.pop("stage")
    with pytest.raises(InvalidInput) as caught:
        introductions.move(session, made.public_id, stage, now=NOW, **kwargs)
    assert field in caught.value.errors
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(IntroductionStage.id))) == 1
    assert session.scalar(sa.select(sa.func.count(Hire.id))) == 0
    assert session.scalar(sa.select(Introduction.status)) == "introduced"
    assert not session.new and not session.dirty


def test_field_errors_list_the_vocabulary_codes(session, vault, person, company) -> None:
    with pytest.raises(InvalidInput) as caught:
        contacts.record_contact(session, vault, person().public_id, "pigeon", now=NOW)
    assert all(code in caught.value.errors["kind"] for code in vocabulary.CONTACT_KINDS)
    made = _introduce(session, person(), company)
    with pytest.raises(InvalidInput) as caught:
        introductions.move(session, made.public_id, "teleported", now=NOW)
    assert all(code in caught.value.errors["stage"] for code in vocabulary.INTRODUCTION_STATUSES)
    with pytest.raises(InvalidInput) as caught:
        hires.record_settling(session, "nope", 3, "retired")
    assert all(code in caught.value.errors["outcome"] for code in vocabulary.SETTLING_OUTCOMES)
    # The model's copies of the code lists agree with the vocabulary.
    assert models.SETTLING_OUTCOMES == vocabulary.SETTLING_OUTCOMES
    assert models.PROVISION_ITEMS == vocabulary.PROVISION_ITEMS


def test_the_company_contact_view_is_committed_and_survives_a_shredded_key(
    session, vault, company
) -> None:
    shown = companies.contact(session, vault, company, actor_label="test")
    assert shown.contact_name == "出雲 担当" and not shown.shredded
    session.rollback()  # what the service wrote is already committed
    assert (
        session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "company.view")
        )
        == 1
    )
    session.get(DataKey, company.data_key_id).wrapped = None
    session.commit()
    gone = companies.contact(session, vault, company, actor_label="test")
    assert gone.shredded and gone.contact_name is None and gone.unreadable == ()


def test_drop_out_and_nurture_are_stage_exits_at_the_furthest_stage(
    session, vault, person, company
) -> None:
    someone = person()
    contacts.record_contact(
        session, vault, someone.public_id, "career_consultation", at="2022-10-01", now=NOW
    )
    contacts.set_disposition(
        session, someone.public_id, "dropped_out", "dropout_family", at="2022-10-15", now=NOW
    )
    exit_row = session.scalar(sa.select(StageExit))
    assert (exit_row.stage, exit_row.reason_code) == ("consulted", "dropout_family")
    assert contacts.disposition_of(session, someone)[0] == "dropped_out"
    contacts.set_disposition(
        session,
        someone.public_id,
        "nurturing",
        "nurture_not_ready",
        next_contact_on="2022-12-01",
        at="2022-11-01 10:00",
        now=NOW,
    )
    assert contacts.disposition_of(session, someone)[0] == "nurturing"
    assert contacts.nurture_due(session, date(2022, 11, 30)) == []
    [(plan, public_id)] = contacts.nurture_due(session, date(2022, 12, 1))
    assert public_id == someone.public_id and plan.next_contact_on == date(2022, 12, 1)
    # A contact after the plan settles it.
    contacts.record_contact(session, vault, someone.public_id, "phone", now=NOW)
    assert contacts.nurture_due(session, date(2022, 12, 1)) == []
    with pytest.raises(InvalidInput) as caught:
        contacts.set_disposition(
            session,
            someone.public_id,
            "dropped_out",
            "dropout_family",
            next_contact_on="2023-01-01",
        )
    assert "next_contact_on" in caught.value.errors
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(NurturePlan.id))) == 1


def test_the_timeline_covers_every_kind_newest_first(session, vault, person, company) -> None:
    someone = person()
    contacts.record_contact(
        session,
        vault,
        someone.public_id,
        "career_consultation",
        at="2022-09-01",
        notes="家族と相談",
        now=NOW,
    )
    made = _introduce(session, someone, company)
    introductions.move(session, made.public_id, "hired", at="2022-10-20", now=NOW)
    hire = session.scalar(sa.select(Hire))
    hires.record_settling(session, hire.public_id, 3, "still_employed", now=NOW)
    built = timeline.build(session, vault, someone, actor_label="test")
    kinds = [e.kind for e in built.entries]
    for kind in (
        "registration",
        "utm_touch",
        "consultation",
        "provision",
        "introduction_stage",
        "hire",
        "settling",
    ):
        assert kind in kinds, kind
    times = [e.at for e in built.entries]
    assert times == sorted(times, reverse=True)
    consultation = next(e for e in built.entries if e.kind == "consultation")
    assert consultation.notes == "家族と相談"
    assert built.entries[-1].kind in ("registration", "utm_touch")
    assert set(kinds) <= set(vocabulary.TIMELINE_KINDS)
    assert session.scalar(sa.select(sa.func.count(SettlingFollowUp.id))) == 2
