"""Targeted invitations: the audience filter with known fixtures, the batch and
its mail in one transaction, the single-use reply link, conversion, no
personal value in logs or the audit trail."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from itworks.models import (
    AuditEvent,
    EventSignup,
    Invitation,
    InvitationBatch,
    OutboxMessage,
    SurveyResponse,
    TierAssignment,
)
from itworks.services.engagement import audience, events, invitations, outbox, signups
from itworks.services.errors import Conflict, InvalidInput
from itworks.services.surveys.links import LinkProblem

NOW = datetime(2022, 10, 31, 3, tzinfo=UTC)
BASE = "https://itworks.example.jp"


def _event(session, capacity=None, starts=datetime(2022, 12, 3, 4, tzinfo=UTC)):  # noqa: ANN001, ANN202
    return events.create_event(
        session,
        kind="study_session",
        name="島根IT勉強会",
        starts_at=starts,
        venue="松江テルサ",
        capacity=capacity,
        actor_label="test",
    )


@pytest.fixture
def people(session, registrant):  # noqa: ANN001, ANN201
    """Known fixtures: who is in, who is never in."""

    specs = [
        (
            "web",
            "move_now",
            {
                "skills": ["web_backend", "cloud"],
                "event_interest": ["study_session"],
                "age_band": "30_34",
            },
            {},
        ),
        (
            "embedded",
            "move_now",
            {"skills": ["embedded"], "event_interest": ["meetup"], "age_band": "40_44"},
            {"origin": "i_turn", "residence_prefecture": "大阪府"},
        ),
        ("later", "few_years", None, {}),
        ("untiered", None, None, {}),
        *(
            (name, "move_now", None, {})
            for name in ("opted_out", "stopped", "erased", "duplicate", "attended", "signed_up")
        ),
    ]
    # Every registrant first (each is added in its own transaction), then the rest.
    found = {name: registrant(**fields) for name, _, _, fields in specs}
    for name, tier, answers, _ in specs:
        row = found[name]
        if tier:
            session.add(
                TierAssignment(
                    registrant_id=row.id,
                    tier=tier,
                    method="coordinator",
                    assigned_at=datetime(2022, 9, 1, tzinfo=UTC),
                )
            )
        if answers:
            session.add(
                SurveyResponse(
                    registrant_id=row.id,
                    instrument_id="readiness",
                    instrument_version=1,
                    channel="import",
                    answers=answers,
                )
            )
    found["opted_out"].mail_opt_out_at = NOW
    found["stopped"].use_stopped_at = NOW
    found["erased"].erased_at = NOW
    found["duplicate"].merged_into_id = found["web"].id
    session.commit()
    return found


def _ids(rows) -> set[str]:  # noqa: ANN001
    return {public_id for _, public_id, _ in rows}


def _names(people, *names: str) -> set[str]:  # noqa: ANN001
    return {people[n].public_id for n in names}


def test_the_audience_never_holds_excluded_people(session, people) -> None:
    event = _event(session)
    past = _event(session, starts=datetime(2022, 7, 2, 4, tzinfo=UTC))
    signups.sign_up(session, past, people["attended"])
    session.scalar(
        sa.select(EventSignup).where(EventSignup.event_id == past.id)
    ).status = "attended"
    signups.sign_up(session, event, people["signed_up"])
    session.commit()
    flt = audience.AudienceFilter(tier="move_now")
    assert _ids(audience.audience(session, event, flt, now=NOW)) == _names(
        people, "web", "embedded", "attended"
    )
    everyone = _ids(audience.audience(session, event, audience.AudienceFilter(), now=NOW))
    assert everyone == _names(people, "web", "embedded", "attended", "later", "untiered")
    not_attended = audience.AudienceFilter(tier="move_now", not_attended_this_fy=True)
    assert _ids(audience.audience(session, event, not_attended, now=NOW)) == _names(
        people, "web", "embedded"
    )


def test_an_attendance_of_a_merged_duplicate_counts_for_the_survivor(session, people) -> None:
    event = _event(session)
    past = _event(session, starts=datetime(2022, 7, 2, 4, tzinfo=UTC))
    signup, _ = signups.sign_up(session, past, people["duplicate"])
    signup.status = "attended"
    session.commit()
    flt = audience.AudienceFilter(tier="move_now", not_attended_this_fy=True)
    assert _ids(audience.audience(session, event, flt, now=NOW)) == _names(
        people, "embedded", "attended", "signed_up"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"origin": "i_turn"}, {"embedded"}),
        ({"residence_prefecture": "大阪"}, {"embedded"}),
        ({"skills": "cloud,qa"}, {"web"}),
        ({"interests": ["meetup"]}, {"embedded"}),
        ({"age_band": "30_34"}, {"web"}),
        ({"skills": ["embedded"], "interests": ["study_session"]}, set()),
    ],
)
def test_filters_by_origin_prefecture_and_survey_answers(session, people, raw, expected) -> None:
    event = _event(session)
    flt = audience.parse_filter({"tier": "move_now", **raw}, session)
    assert _ids(audience.audience(session, event, flt, now=NOW)) == _names(people, *expected)


def test_a_bad_filter_names_each_field(session) -> None:
    with pytest.raises(InvalidInput) as refused:
        audience.parse_filter(
            {"tier": "soon", "origin": "x", "skills": "cobol", "residence_prefecture": "火星"},
            session,
        )
    assert set(refused.value.errors) == {"tier", "origin", "skills", "residence_prefecture"}


def test_count_shows_the_count_and_a_sample_of_public_ids_only(session, people) -> None:
    event = _event(session)
    counted = audience.count_audience(
        session, event.public_id, audience.AudienceFilter(tier="move_now"), sample_size=2, now=NOW
    )
    assert counted.count == 4
    assert len(counted.sample) == 2
    assert set(counted.sample) <= _names(people, "web", "embedded", "attended", "signed_up")
    assert counted.filter == {"tier": "move_now"}


def _send(session, signer, event, flt, **kwargs):  # noqa: ANN001, ANN202
    return invitations.send_invitations(
        session, signer, event.public_id, flt, base_url=BASE, actor_label="test", now=NOW, **kwargs
    )


def _token(message: OutboxMessage) -> str:
    return message.params["url"].rsplit("/i/", 1)[1]


def test_sending_saves_the_batch_and_queues_one_message_each(session, signer, people) -> None:
    event = _event(session)
    flt = audience.AudienceFilter(tier="move_now", skills=("web_backend", "embedded"))
    batch = _send(session, signer, event, flt)
    assert batch.audience_size == 2
    assert session.get(InvitationBatch, batch.id).filter == {
        "tier": "move_now",
        "skills": ["web_backend", "embedded"],
    }
    invited = session.scalars(sa.select(Invitation).order_by(Invitation.id)).all()
    assert {i.registrant_id for i in invited} == {people["web"].id, people["embedded"].id}
    assert {i.tier for i in invited} == {"move_now"}
    messages = session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.id for m in messages] == [i.message_id for i in invited]
    assert {(m.template, m.purpose, m.status) for m in messages} == {
        ("event_invitation", "invitation", "queued")
    }
    assert [m.subject_id for m in messages] == [i.public_id for i in invited]
    assert messages[0].params["url"].startswith(f"{BASE}/i/")
    assert messages[0].params["event"] == "島根IT勉強会"
    # Already invited: the same audience is now empty, and a second send is refused.
    assert audience.count_audience(session, event.public_id, flt, now=NOW).count == 0
    with pytest.raises(Conflict):
        _send(session, signer, event, flt)
    assert session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 2


def test_a_failure_mid_batch_leaves_neither_invitations_nor_messages(
    session, signer, people, monkeypatch
) -> None:
    event = _event(session)
    real, calls = outbox.enqueue, []

    def failing(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("simulated crash")
        return real(*args, **kwargs)

    monkeypatch.setattr(outbox, "enqueue", failing)
    with pytest.raises(RuntimeError):
        _send(session, signer, event, audience.AudienceFilter(tier="move_now"))
    for model in (InvitationBatch, Invitation, OutboxMessage):
        assert session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_sending_to_a_past_event_is_refused(session, signer, people) -> None:
    event = _event(session, starts=datetime(2022, 10, 1, tzinfo=UTC))
    with pytest.raises(Conflict):
        _send(session, signer, event, audience.AudienceFilter(tier="move_now"))


def test_the_reply_link_signs_up_once_and_is_refused_the_second_time(
    session, signer, people
) -> None:
    event = _event(session, capacity=1)
    _send(session, signer, event, audience.AudienceFilter(tier="move_now", origin="u_turn"))
    first, second = session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()[:2]
    replied = invitations.reply(session, signer, _token(first), "accepted", now=NOW)
    assert (replied.answer, replied.status, replied.event) == (
        "accepted",
        "applied",
        event.public_id,
    )
    with pytest.raises(LinkProblem) as used:
        invitations.reply(session, signer, _token(first), "declined", now=NOW)
    assert used.value.reason == "used"
    # The event is full now: the next acceptance joins the waiting list.
    waiting = invitations.reply(session, signer, _token(second), "accepted", now=NOW)
    assert waiting.status == "waitlisted"
    statuses = session.scalars(
        sa.select(EventSignup.status, EventSignup.source).where(EventSignup.event_id == event.id)
    ).all()
    assert sorted(statuses) == ["applied", "waitlisted"]
    answered = session.scalars(
        sa.select(Invitation).where(Invitation.answer.is_not(None)).order_by(Invitation.id)
    ).all()
    assert [(i.answer, i.signup_id is not None) for i in answered] == [
        ("accepted", True),
        ("accepted", True),
    ]


def test_a_decline_is_recorded_and_bad_links_are_refused(session, signer, people) -> None:
    event = _event(session)
    _send(session, signer, event, audience.AudienceFilter(tier="move_now", origin="i_turn"))
    message = session.scalar(sa.select(OutboxMessage))
    token = _token(message)
    with pytest.raises(InvalidInput):
        invitations.reply(session, signer, token, "maybe", now=NOW)
    with pytest.raises(LinkProblem) as tampered:
        invitations.reply(session, signer, token[:-2] + "xx", "accepted", now=NOW)
    assert tampered.value.reason == "tampered"
    survey_token = signer.sign("not-an-invitation")
    with pytest.raises(LinkProblem):
        invitations.reply(session, signer, survey_token, "accepted", now=NOW)
    with pytest.raises(LinkProblem) as expired:
        invitations.reply(session, signer, token, "accepted", now=NOW + timedelta(days=40))
    assert expired.value.reason == "expired"
    declined = invitations.reply(session, signer, token, "declined", now=NOW)
    assert (declined.answer, declined.status) == ("declined", None)
    assert session.scalar(sa.select(sa.func.count(EventSignup.id))) == 0


def test_the_link_expires_with_the_configured_days_but_never_after_the_event(
    session, signer, people
) -> None:
    soon = _event(session, starts=NOW + timedelta(days=3))
    later = _event(session, starts=NOW + timedelta(days=60))
    _send(session, signer, soon, audience.AudienceFilter(tier="few_years"))
    _send(session, signer, later, audience.AudienceFilter(tier="few_years"), link_days=14)
    expiries = session.scalars(sa.select(Invitation.expires_at).order_by(Invitation.id)).all()
    assert expiries == [soon.starts_at, NOW + timedelta(days=14)]


def test_conversion_per_event_overall_and_per_tier(session, signer, people) -> None:
    event = _event(session)
    _send(session, signer, event, audience.AudienceFilter(origin="u_turn"))
    by_person = {i.registrant_id: i for i in session.scalars(sa.select(Invitation)).all()}
    tokens = {m.registrant_id: _token(m) for m in session.scalars(sa.select(OutboxMessage)).all()}
    web, later = people["web"].id, people["later"].id
    assert {people[n].id for n in ("web", "later", "untiered", "attended")} <= set(by_person)
    invitations.reply(session, signer, tokens[web], "accepted", now=NOW)
    invitations.reply(session, signer, tokens[later], "accepted", now=NOW)
    session.scalar(
        sa.select(EventSignup).where(EventSignup.registrant_id == web)
    ).status = "attended"
    session.commit()
    rows = {(r.event, r.tier): r for r in invitations.conversion(session)}
    invited = len(by_person)
    assert (rows[(event.public_id, None)].invited, rows[(event.public_id, None)].signed_up) == (
        invited,
        2,
    )
    assert rows[(event.public_id, None)].attended == 1
    move_now = rows[(event.public_id, "move_now")]
    assert (move_now.signed_up, move_now.attended) == (1, 1)
    assert (
        rows[(event.public_id, "few_years")].signed_up,
        rows[(event.public_id, "few_years")].attended,
    ) == (1, 0)
    assert rows[(None, None)].invited == invited
    assert [r.tier for r in invitations.conversion(session, [event.public_id])][:1] == [None]


def test_no_personal_value_in_logs_or_audit(session, signer, people, vault, caplog) -> None:
    from itworks.services.intake import registrants

    caplog.set_level(logging.DEBUG)
    event = _event(session)
    _send(session, signer, event, audience.AudienceFilter(tier="move_now"))
    message = session.scalar(sa.select(OutboxMessage))
    invitations.reply(session, signer, _token(message), "accepted", now=NOW)
    personal = []
    for row in people.values():
        values, _ = registrants.decrypt_fields(vault, row, ("name", "email", "phone"))
        personal += [v for v in values.values() if v]
    assert personal
    audit = json.dumps(
        [[a.action, a.detail] for a in session.scalars(sa.select(AuditEvent))], ensure_ascii=False
    )
    assert "invitation.send" in audit and "invitation.reply" in audit
    params = json.dumps(
        [m.params for m in session.scalars(sa.select(OutboxMessage))], ensure_ascii=False
    )
    for value in personal:
        assert value not in caplog.text
        assert value not in audit
        assert value not in params


def test_the_cli_prints_the_count_and_sends_unless_dry_run(runner, session, people) -> None:
    event = _event(session, starts=datetime.now(UTC) + timedelta(days=30))
    args = ["invitations", "send", event.public_id, "--tier", "move_now", "--origin", "u_turn"]
    dry = runner.invoke([*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "対象者" in dry.output and ": 3" in dry.output
    session.commit()
    assert session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
    sent = runner.invoke([*args, "--skill", "web_backend", "--not-attended-this-fy"])
    assert sent.exit_code == 0, sent.output
    session.commit()
    assert session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 1
    assert runner.invoke([*args, "--skill", "cobol"]).exit_code == 1
    assert runner.invoke(["invitations", "send", "nope", "--tier", "move_now"]).exit_code == 1
    shown = runner.invoke(["invitations", "conversion", "--event", event.public_id, "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)[0]["invited"] == 1


def test_the_public_reply_page_signs_up_once(client, session, signer, people) -> None:
    from testsupport import csrf_token

    event = _event(session, starts=datetime.now(UTC) + timedelta(days=30))
    invitations.send_invitations(
        session,
        signer,
        event.public_id,
        audience.AudienceFilter(tier="move_now", origin="i_turn"),
        base_url=BASE,
        actor_label="test",
    )
    token = _token(session.scalar(sa.select(OutboxMessage)))
    page = client.get(f"/i/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "島根IT勉強会" in html and "松江テルサ" in html
    form = {"csrf_token": csrf_token(html), "answer": "accepted"}
    done = client.post(f"/i/{token}", data=form)
    assert done.status_code == 200
    assert "参加のお申し込みを受け付けました" in done.get_data(as_text=True)
    assert client.post(f"/i/{token}", data=form).status_code == 410
    assert client.get(f"/i/{token}").status_code == 410
    assert client.get(f"/i/{token[:-3]}abc").status_code == 400
    session.commit()
    assert session.scalar(sa.select(EventSignup.source)) == "invitation"
