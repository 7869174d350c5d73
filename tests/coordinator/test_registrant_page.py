"""The registrant page's forms: contact, introduction, stage, drop-off and nurturing,
settling-in; each good input writes, each bad input is a field error with what was
typed kept and nothing written; prefecture staff are refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from coordinatorsupport import field_error

from itworks.models import (
    AuditEvent,
    Consultation,
    ContactLog,
    Hire,
    Introduction,
    IntroductionStage,
    NurturePlan,
    Registrant,
    SettlingFollowUp,
    StageExit,
    ThirdPartyProvision,
    TierAssignment,
)
from testsupport import PASSWORD

SECRET_NOTE = "転職は来春を希望、家族と相談中"


def _detail(public_id: str) -> str:
    return f"/registrants/{public_id}"


# ----------------------------------------------------------------- contacts


def test_a_contact_is_recorded_and_updates_the_last_contact_on_the_page(
    client, coordinator, make_registrant, page, count, session
) -> None:
    public_id = make_registrant()
    # A tier, so the page shows 前回の連絡 / 次回の連絡予定.
    person = session.scalar(sa.select(Registrant).where(Registrant.public_id == public_id))
    session.add(
        TierAssignment(
            registrant_id=person.id,
            tier="move_now",
            method="import",
            assigned_at=datetime(2022, 6, 2, tzinfo=UTC),
        )
    )
    session.commit()
    before = page(_detail(public_id))
    assert "前回の連絡: 2022-06-01" in before.text  # the registration date
    response = before.post(
        f"/registrants/{public_id}/contacts",
        {"kind": "phone", "at": "", "outcome": "来週また電話", "notes": SECRET_NOTE},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/registrants/{public_id}#contact-form")
    after = client.get(_detail(public_id)).text
    # "now" on an instance pinned to AS_OF_DATE is that day: the last contact moves to it.
    assert "前回の連絡: 2022-11-20" in after
    assert SECRET_NOTE in after and "来週また電話" in after  # decrypted in the timeline
    session.commit()
    log = session.scalar(sa.select(ContactLog))
    assert log.kind == "phone" and SECRET_NOTE.encode() not in (log.notes_enc or b"")
    audit = " ".join(str(a.detail) for a in session.scalars(sa.select(AuditEvent)))
    assert SECRET_NOTE not in audit


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "pigeon"}, "kind"),
        ({"kind": "phone", "at": "yesterday"}, "at"),
        ({"kind": "phone", "at": "2099-01-01 10:00"}, "at"),
        ({"kind": "phone", "at": "1999-12-31"}, "at"),
        ({"kind": "phone", "outcome": "x" * 501}, "outcome"),
        ({"kind": "phone", "notes": "x" * 4001}, "notes"),
    ],
)
def test_a_bad_contact_is_a_field_error_keeping_the_input_and_writing_nothing(
    coordinator, make_registrant, page, count, data, field
) -> None:
    public_id = make_registrant()
    typed = {"kind": "phone", "at": "", "outcome": "折り返し待ち", "notes": SECRET_NOTE, **data}
    response = page(_detail(public_id)).post(f"/registrants/{public_id}/contacts", typed)
    assert response.status_code == 422
    html = response.text
    assert field_error(html, field), f"no error beside {field}"
    assert 'id="contact-form"' in html
    # What was typed is still there.
    if field != "notes":
        assert SECRET_NOTE in html
    if field != "outcome":
        assert "折り返し待ち" in html
    assert count(ContactLog) == 0 and count(Consultation) == 0


def test_the_contact_error_is_translated_in_english(
    client, coordinator, make_registrant, page
) -> None:
    public_id = make_registrant()
    client.get("/?lang=en")
    response = page(_detail(public_id)).post(
        f"/registrants/{public_id}/contacts", {"kind": "pigeon"}
    )
    assert response.status_code == 422
    message = field_error(response.text, "kind")
    assert message and "career_consultation" in message
    assert not any("\u3040" <= ch <= "\u30ff" for ch in message), message


# ----------------------------------------------------------------- introductions


def _introduce(page, public_id: str, company_id: str, **overrides):  # noqa: ANN001, ANN202
    data = {
        "company": company_id,
        "items": ["name", "email"],
        "consent_at": "2022-11-01 10:00",
        "at": "2022-11-02 10:00",
        "follow_up_on": "2022-11-10",
        "from_fair": "",
    }
    data.update(overrides)
    return page(_detail(public_id)).post(f"/registrants/{public_id}/introductions", data)


def test_an_introduction_records_the_provision_first(
    coordinator, make_registrant, company, page, session
) -> None:
    public_id = make_registrant()
    response = _introduce(page, public_id, company)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#introduction-form")
    session.commit()
    introduction = session.scalar(sa.select(Introduction))
    provision = session.get(ThirdPartyProvision, introduction.provision_id)
    assert provision.items == ["email", "name"] and provision.provided_on == date(2022, 11, 2)
    assert introduction.follow_up_on == date(2022, 11, 10)


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"items": []}, {"items"}),
        ({"items": ["name", "blood_type"]}, {"items"}),
        ({"consent_at": ""}, {"consent_at"}),
        ({"consent_at": "2022-11-05"}, {"consent_at"}),  # consent after the provision
        ({"company": "no-such-company"}, {"company"}),
        ({"at": "2099-01-01"}, {"at"}),
        ({"follow_up_on": "2022-13-45"}, {"follow_up_on"}),
        ({"from_fair": "nope"}, {"from_fair"}),
        ({"items": [], "consent_at": "", "company": ""}, {"items", "consent_at", "company"}),
    ],
)
def test_no_introduction_without_a_complete_provision_record(
    coordinator, make_registrant, company, page, count, overrides, fields
) -> None:
    public_id = make_registrant()
    response = _introduce(page, public_id, company, **overrides)
    assert response.status_code == 422
    for field in fields:
        assert field_error(response.text, field), f"no error beside {field}"
    assert 'value="2022-11-02 10:00"' in response.text or "at" in fields  # typed input kept
    assert count(Introduction) == 0 and count(ThirdPartyProvision) == 0


def _one_introduction(page, public_id, company, session):  # noqa: ANN001, ANN202
    assert _introduce(page, public_id, company).status_code == 302
    session.commit()
    return session.scalar(sa.select(Introduction)).public_id


def _move(page, public_id, introduction, **data):  # noqa: ANN001, ANN202
    body = {"stage": "", "reason": "", "at": "", "turn": "", "moved_on": "", "follow_up_on": ""}
    body.update(data)
    return page(_detail(public_id)).post(
        f"/registrants/{public_id}/introductions/{introduction}/stage", body
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"stage": "declined"}, "reason"),
        ({"stage": "declined", "reason": "dropout_family"}, "reason"),  # not a match_failed code
        ({"stage": "interviewing", "reason": "match_salary"}, "reason"),
        ({"stage": "teleported"}, "stage"),
        ({"stage": "hired", "turn": "z_turn"}, "turn"),
        ({"stage": "hired", "moved_on": "soon"}, "moved_on"),
        ({"stage": "interviewing", "at": "2022-10-01"}, "at"),  # before the introduction
        ({"stage": "interviewing", "turn": "u_turn"}, "turn"),  # only for hired
    ],
)
def test_a_bad_stage_move_writes_nothing(
    coordinator, make_registrant, company, page, session, count, data, field
) -> None:
    public_id = make_registrant()
    introduction = _one_introduction(page, public_id, company, session)
    response = _move(page, public_id, introduction, **data)
    assert response.status_code == 422
    assert field_error(response.text, field), f"no error beside {field}"
    assert count(IntroductionStage) == 1 and count(Hire) == 0
    session.commit()
    assert session.scalar(sa.select(Introduction.status)) == "introduced"


def test_stages_move_to_a_decline_with_its_reason(
    coordinator, make_registrant, company, page, session
) -> None:
    public_id = make_registrant()
    introduction = _one_introduction(page, public_id, company, session)
    assert _move(page, public_id, introduction, stage="interviewing").status_code == 302
    response = _move(page, public_id, introduction, stage="declined", reason="match_salary")
    assert response.status_code == 302 and response.headers["Location"].endswith("#stage-form")
    session.commit()
    row = session.scalar(sa.select(Introduction))
    assert (row.status, row.reason_code) == ("declined", "match_salary")
    backwards = _move(page, public_id, introduction, stage="offered")
    assert backwards.status_code == 422 and "この段階へは進められません" in backwards.text


def test_another_registrants_introduction_is_not_found(
    coordinator, make_registrant, company, page, session
) -> None:
    first, second = make_registrant(), make_registrant()
    introduction = _one_introduction(page, first, company, session)
    assert _move(page, second, introduction, stage="interviewing").status_code == 404


# ----------------------------------------------------------------- drop-off and nurturing


def test_nurturing_needs_a_next_contact_date_and_then_records_it(
    coordinator, make_registrant, page, session, count
) -> None:
    public_id = make_registrant()
    action = f"/registrants/{public_id}/disposition"
    refused = page(_detail(public_id)).post(
        action, {"disposition": "nurturing", "reason": "nurture_not_ready"}
    )
    assert refused.status_code == 422 and field_error(refused.text, "next_contact_on")
    bad_reason = page(_detail(public_id)).post(
        action,
        {"disposition": "nurturing", "reason": "dropout_family", "next_contact_on": "2023-01-10"},
    )
    assert bad_reason.status_code == 422 and field_error(bad_reason.text, "reason")
    assert 'value="2023-01-10"' in bad_reason.text
    assert count(StageExit) == 0 and count(NurturePlan) == 0
    done = page(_detail(public_id)).post(
        action,
        {
            "disposition": "nurturing",
            "reason": "nurture_not_ready",
            "next_contact_on": "2023-01-10",
        },
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("#disposition-form")
    session.commit()
    plan = session.scalar(sa.select(NurturePlan))
    assert plan.next_contact_on == date(2023, 1, 10)
    exit_row = session.get(StageExit, plan.stage_exit_id)
    assert (exit_row.stage, exit_row.reason_code) == ("registered", "nurture_not_ready")
    assert "育成中" in page(_detail(public_id)).text


def test_a_drop_out_needs_a_dropout_reason(coordinator, make_registrant, page, session) -> None:
    public_id = make_registrant()
    action = f"/registrants/{public_id}/disposition"
    missing = page(_detail(public_id)).post(action, {"disposition": "dropped_out", "reason": ""})
    assert missing.status_code == 422 and field_error(missing.text, "reason")
    weird = page(_detail(public_id)).post(action, {"disposition": "vanished", "reason": "x"})
    assert weird.status_code == 422
    done = page(_detail(public_id)).post(
        action, {"disposition": "dropped_out", "reason": "dropout_family"}
    )
    assert done.status_code == 302
    session.commit()
    assert session.scalar(sa.select(StageExit.reason_code)) == "dropout_family"


# ----------------------------------------------------------------- hire and settling-in


def test_a_hire_from_the_page_counts_on_its_hire_date_and_gets_settling_checks(
    app, coordinator, make_registrant, company, page, session
) -> None:
    from itworks.fiscal import Period
    from itworks.services.kpi import progress

    def hires(as_of: date) -> int:
        session.commit()
        return progress.progress(session, Period.of(2022, as_of)).measures["hires"].actual

    public_id = make_registrant(origin="i_turn")
    introduction = _one_introduction(page, public_id, company, session)
    assert hires(date(2022, 11, 20)) == 0
    moved = _move(page, public_id, introduction, stage="hired", at="2022-11-15 10:00")
    assert moved.status_code == 302
    assert hires(date(2022, 11, 14)) == 0
    assert hires(date(2022, 11, 15)) == 1
    session.commit()
    hire = session.scalar(sa.select(Hire))
    assert hire.turn == "i_turn"
    checks = session.scalars(sa.select(SettlingFollowUp).order_by(SettlingFollowUp.months)).all()
    assert [(c.months, c.due_on) for c in checks] == [
        (3, date(2023, 2, 15)),
        (12, date(2023, 11, 15)),
    ]
    action = f"/registrants/{public_id}/hires/{hire.public_id}/settling"
    bad = page(_detail(public_id)).post(action, {"months": "3", "outcome": "retired"})
    assert bad.status_code == 422 and field_error(bad.text, "outcome")
    good = page(_detail(public_id)).post(action, {"months": "3", "outcome": "still_employed"})
    assert good.status_code == 302
    session.commit()
    assert (
        session.scalar(sa.select(SettlingFollowUp.outcome).where(SettlingFollowUp.months == 3))
        == "still_employed"
    )


def test_the_timeline_shows_everything_newest_first(
    coordinator, make_registrant, company, page, session
) -> None:
    public_id = make_registrant()
    introduction = _one_introduction(page, public_id, company, session)
    _move(page, public_id, introduction, stage="interviewing", at="2022-11-10 09:00")
    page(_detail(public_id)).post(
        f"/registrants/{public_id}/contacts",
        {"kind": "career_consultation", "at": "2022-11-12 15:00", "outcome": "", "notes": ""},
    )
    html = page(_detail(public_id)).text
    timeline = html[html.index('id="timeline"') :]
    order = [
        timeline.index("2022-11-12 15:00"),  # consultation
        timeline.index("2022-11-10 09:00"),  # interviewing
        timeline.index("2022-11-02 10:00"),  # introduced + provision
        timeline.index("2022-06-01"),  # registration
    ]
    assert order == sorted(order)
    for label in ("キャリア相談", "面接", "第三者提供の記録", "流入（UTM）", "登録"):
        assert label in timeline


# ----------------------------------------------------------------- roles


@pytest.mark.parametrize(
    "path",
    [
        "/registrants/{id}/contacts",
        "/registrants/{id}/introductions",
        "/registrants/{id}/introductions/x/stage",
        "/registrants/{id}/disposition",
        "/registrants/{id}/hires/x/settling",
        "/registrants/",
    ],
)
def test_prefecture_staff_cannot_post_the_forms(client, auth, make_registrant, count, path) -> None:
    public_id = make_registrant()
    auth.login("pref", PASSWORD, role="prefecture")
    page = client.get("/")
    from testsupport import csrf_token

    response = client.post(
        path.format(id=public_id),
        data={"csrf_token": csrf_token(page.text), "kind": "phone", "q": "taro1@example.jp"},
    )
    assert response.status_code == 403
    assert count(ContactLog) == 0
