"""Correction (訂正) keeps the old value's history; stop use (利用停止) takes the person
out of every list, audience, search and model fit but not out of past counts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from privacysupport import NOW

from itworks.models import AuditEvent, FieldHistory, PrivacyRequest, Registrant, TierAssignment
from itworks.services.errors import Conflict, InvalidInput
from itworks.services.intake import directory
from itworks.services.intake import registrants as registrant_service
from itworks.services.privacy import correction, disclosure, requests, scope, stop_use


def test_a_correction_keeps_the_old_value_encrypted_and_disclosed(session, vault, world) -> None:
    result = correction.correct(
        session,
        vault,
        world.a.public_id,
        "email",
        " New.Hanako@Example.JP ",
        actor_label="test",
        now=NOW,
    )
    assert result.changed
    session.rollback()
    person = session.get(Registrant, world.a.id)
    values, _ = registrant_service.decrypt_fields(vault, person)
    assert values["email"] == "new.hanako@example.jp"
    history = session.scalar(sa.select(FieldHistory))
    assert history.field == "email" and b"hanako@example.jp" not in history.old_value_enc
    assert [h.old_value for h in correction.history(session, vault, person)] == [
        "hanako@example.jp"
    ]
    # The blind index follows: the new address finds the person, the old one not.
    assert requests.find(session, vault, "new.hanako@example.jp").id == person.id
    with pytest.raises(Exception, match="登録者が見つかりません"):
        requests.find(session, vault, "hanako@example.jp")
    data = disclosure.collect(session, vault, person)
    assert data["corrections"][0]["old_value"] == "hanako@example.jp"
    entry = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "registrant.correct"))
    request = session.scalar(sa.select(PrivacyRequest))
    stored = json.dumps([entry.detail, request.detail], ensure_ascii=False)
    assert "hanako" not in stored and entry.detail["field"] == "email"


def test_a_bad_value_or_field_writes_nothing(session, vault, world) -> None:
    with pytest.raises(InvalidInput) as bad:
        correction.correct(session, vault, world.a.public_id, "email", "not-an-address")
    assert set(bad.value.errors) == {"email"}
    with pytest.raises(InvalidInput) as unknown:
        correction.correct(session, vault, world.a.public_id, "origin", "i_turn")
    assert set(unknown.value.errors) == {"field"}
    with pytest.raises(Conflict):  # another person's address
        correction.correct(session, vault, world.a.public_id, "email", "jiro@example.jp")
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(FieldHistory.id))) == 0
    assert session.scalar(sa.select(sa.func.count(PrivacyRequest.id))) == 0


def test_the_cli_reads_the_value_from_stdin_not_the_command_line(runner, session, world) -> None:
    result = runner.invoke(
        ["privacy", "correct", world.a.public_id, "--field", "name"], input="訂正 花子\n"
    )
    assert result.exit_code == 0, result.output
    assert "訂正 花子" not in result.output
    session.rollback()
    assert session.scalar(sa.select(FieldHistory.field)) == "name"
    from itworks.cli.privacy import privacy_correct

    options = {p.name for p in privacy_correct.params}
    assert "value" not in options


def _tier_list(session, vault, actor):  # noqa: ANN001, ANN202
    from itworks.services.tiers import lists

    page = lists.list_page(session, vault, lists.TierFilter(), actor=actor)
    return {row.public_id for row in page.rows}


def test_stop_use_takes_the_person_out_of_lists_audiences_and_fits(
    session, vault, world, make_user, client, app
) -> None:
    from itworks.models import User
    from itworks.services.engagement import audience, events
    from itworks.services.tiers import features, recontact

    make_user("coord")
    actor = session.scalar(sa.select(User).where(User.username == "coord"))
    future = events.create_event(
        session,
        kind="study_session",
        name="勉強会",
        actor_label="test",
        starts_at=datetime(2022, 12, 10, 4, tzinfo=UTC),
    )
    funnel_before = _funnel(client, app)
    assert world.a.public_id in _tier_list(session, vault, actor)

    result = stop_use.stop_use(session, vault, "hanako@example.jp", actor_label="t", now=NOW)
    assert not result.already
    session.rollback()
    assert world.a.public_id not in _tier_list(session, vault, actor)
    assert world.b.public_id in _tier_list(session, vault, actor)
    flt = audience.AudienceFilter()
    ids = {pid for _, pid, _ in audience.audience(session, future, flt, now=NOW)}
    assert world.a.public_id not in ids and world.b.public_id in ids
    due = recontact.statuses(session, {"move_now": 1}, date(2023, 1, 1))
    assert {s.public_id for s in due} == {world.b.public_id}
    fit = features.build(session, now=datetime(2023, 1, 1, tzinfo=UTC))
    assert world.a.id not in set(int(i) for i in fit.registrant_ids)
    listed = directory.list_page(session, vault, actor=actor).rows
    assert {row.public_id for row in listed} == {world.b.public_id}
    in_use = session.scalars(sa.select(Registrant.public_id).where(scope.in_use())).all()
    assert in_use == [world.b.public_id]
    assert session.get(TierAssignment, 1) is not None  # the facts stay
    assert _funnel(client, app) == funnel_before  # past counts unchanged
    again = stop_use.stop_use(session, vault, world.a.public_id, actor_label="t", now=NOW)
    assert again.already
    outcomes = session.scalars(sa.select(PrivacyRequest.outcome).order_by(PrivacyRequest.id))
    assert outcomes.all() == ["stopped", "already_done"]


def _funnel(client, app) -> bytes:  # noqa: ANN001
    from itworks.db import db
    from itworks.services.accounts import tokens

    with app.app_context():
        if not hasattr(app, "_privacy_token"):
            app._privacy_token = tokens.create(db.session, "reader", "read", actor_label="test")
    headers = {"Authorization": f"Bearer {app._privacy_token}"}
    return client.get("/api/v1/funnel?fy=2022", headers=headers).data


def test_requests_are_listed_with_their_answer_times(runner, session, vault, world) -> None:
    disclosure.disclose(
        session,
        vault,
        world.a.public_id,
        received_on="2022-11-10",
        answered_via="email",
        actor_label="t",
        now=NOW,
    )
    stop_use.stop_use(session, vault, world.b.public_id, received_on="2022-11-19", now=NOW)
    rows = requests.list_requests(session)
    assert [(r.kind, r.received_on, r.answered_on, r.days) for r in rows] == [
        ("disclosure", date(2022, 11, 10), date(2022, 11, 20), 10),
        ("stop_use", date(2022, 11, 19), date(2022, 11, 20), 1),
    ]
    result = runner.invoke(["privacy", "requests", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [r["days"] for r in listed] == [10, 1] and listed[0]["answered_via"] == "email"
    with pytest.raises(InvalidInput):
        requests.parse_received("2999-01-01", date(2022, 11, 20))
