"""Tier pages: the registrant's tier panel, lists, re-contact, movement, roles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from tiersupport import add_people, run_segmentation

from testsupport import PASSWORD, csrf_token

PERSONAL_PAGES = ["/tiers/", "/tiers/registrants", "/tiers/interview", "/tiers/recontact"]


@pytest.fixture
def people(app, make_registrant):
    return add_people(app, make_registrant, per_tier=3)


@pytest.mark.parametrize(
    ("role", "personal", "movement"),
    [(None, 302, 302), ("prefecture", 403, 200), ("coordinator", 200, 200), ("admin", 200, 200)],
)
def test_role_matrix(client, auth, make_registrant, role, personal, movement) -> None:
    public_id = make_registrant()
    if role:
        auth.login(f"user-{role}", PASSWORD, role=role)
    for path in PERSONAL_PAGES:
        assert client.get(path).status_code == personal, path
    assert client.get("/tiers/movement").status_code == movement
    token = csrf_token(client.get("/login" if role is None else "/").text)
    refused = {None: 302, "prefecture": 403}.get(role)
    for path in (
        "/tiers/runs",
        f"/tiers/registrants/{public_id}/tier",
        f"/tiers/registrants/{public_id}/contacts",
    ):
        status = client.post(path, data={"tier": "move_now", "csrf_token": token}).status_code
        assert status == refused if refused else status != 403, path


def test_prefecture_cannot_reach_tier_personal_endpoints(app) -> None:
    from itworks.web.access import allowed_roles

    with app.app_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("tiers.") and rule.endpoint != "tiers.movement":
                assert "prefecture" not in allowed_roles(rule.endpoint), rule.endpoint


def _audit(app, action):  # noqa: ANN001, ANN202
    from itworks.db import db
    from itworks.models import AuditEvent

    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_panel_shows_the_proposal_and_a_coordinator_overrides_it(app, client, auth, people):
    run_segmentation(app)
    auth.login("coord", PASSWORD, role="coordinator")
    public_id = next(p for p, t in people.items() if t == "move_now")
    page = client.get(f"/registrants/{public_id}")
    assert page.status_code == 200
    text = page.text
    assert 'id="tier"' in text and "直ぐに島根へUIターンしたい" in text
    assert "確信度" in text and "移住" in text  # confidence and the explanation's words
    response = client.post(
        f"/tiers/registrants/{public_id}/tier",
        data={"tier": "few_years", "reason": "tier_interview", "csrf_token": csrf_token(text)},
    )
    assert response.status_code == 302
    after = client.get(f"/registrants/{public_id}").text
    assert "コーディネーターが確定" in after and "面談での聞き取りによる" in after
    (event,) = _audit(app, "tier.assign")
    assert event.entity_id == public_id and event.actor == "coord"
    assert event.detail["tier"] == "few_years" and event.detail["reason"] == "tier_interview"
    # The model's later proposal does not replace the coordinator's word.
    run_segmentation(app, now=datetime(2030, 1, 1, tzinfo=UTC))
    listed = client.get("/tiers/registrants?tier=few_years&method=confirmed").text
    assert "島根 太郎" in listed and listed.count("registrants/") >= 1


def test_bad_confirmation_is_explained_not_stored(app, client, auth, people):
    auth.login("coord", PASSWORD, role="coordinator")
    public_id = next(iter(people))
    token = csrf_token(client.get(f"/registrants/{public_id}").text)
    response = client.post(
        f"/tiers/registrants/{public_id}/tier",
        data={"tier": "later", "reason": "nope", "csrf_token": token},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert (
        "ティアを選んでください" in response.text
        and "理由コードが正しくありません" in response.text
    )
    client.get("/?lang=en")
    english = client.post(
        f"/tiers/registrants/{public_id}/tier",
        data={"tier": "later", "reason": "nope", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Choose a tier" in english.text and "Unknown reason code" in english.text
    assert _audit(app, "tier.assign") == []
    assert (
        client.post(
            "/tiers/registrants/nobody/tier", data={"tier": "move_now", "csrf_token": token}
        ).status_code
        == 404
    )


def test_run_button_proposes_tiers(app, client, auth, people):
    auth.login("coord", PASSWORD, role="coordinator")
    page = client.get("/tiers/")
    assert "分類を実行" in page.text
    response = client.post(
        "/tiers/runs", data={"csrf_token": csrf_token(page.text)}, follow_redirects=True
    )
    assert response.status_code == 200
    assert f"{len(people)} 人のティアを提案しました" in response.text
    assert "最新の分類" in response.text and "ペルソナ" in response.text
    (event,) = _audit(app, "segment.run")
    assert event.actor == "coord"


def test_lists_filter_by_tier_and_confidence_and_are_audited(app, client, auth, people):
    run_segmentation(app)
    auth.login("coord", PASSWORD, role="coordinator")
    everyone = client.get("/tiers/registrants")
    assert everyone.status_code == 200 and f"{len(people)} 人" in everyone.text
    one_tier = client.get("/tiers/registrants?tier=region_undecided")
    assert "3 人" in one_tier.text
    assert client.get("/tiers/registrants?max_confidence=0").text.count("#tier") == 0
    assert client.get("/tiers/registrants?min_confidence=0&max_confidence=1").status_code == 200
    queue = client.get("/tiers/interview")
    assert queue.status_code == 200 and "要面談" in queue.text
    events = _audit(app, "tier.list")
    assert len(events) == 5
    assert all("島根" not in str(e.detail) for e in events)  # no names in the audit trail
    assert events[1].detail["tier"] == "region_undecided"


def test_persona_filter_lists_exactly_the_personas_members(app, client, auth, people):
    from itworks.db import db
    from itworks.services.tiers import segment

    run_segmentation(app)
    with app.app_context():
        personas = segment.latest_run(db.session).metrics["personas"]
    assert len({p["description"] for p in personas}) == len(personas)
    auth.login("coord", PASSWORD, role="coordinator")
    shown = 0
    for persona in personas:
        page = client.get(f"/tiers/registrants?persona={persona['id']}")
        assert page.status_code == 200
        assert f"{persona['size']} 人" in page.text
        shown += persona["size"]
    assert shown == len(people)


@pytest.mark.parametrize(
    "path",
    [
        "/tiers/registrants?tier=bogus",
        "/tiers/registrants?min_confidence=abc",
        "/tiers/registrants?max_confidence=1.5",
        "/tiers/registrants?max_confidence=nan",
        "/tiers/registrants?persona=nobody",
        "/tiers/registrants?method=maybe",
        "/tiers/registrants?page=0",
        "/tiers/registrants?page=-3",
        "/tiers/interview?page=abc",
        "/tiers/interview?tier=%00",
        "/tiers/recontact?tier=zz",
        "/tiers/recontact?page=x",
        "/tiers/movement?from=2022-13-01",
        "/tiers/movement?to=yesterday",
        "/tiers/movement?from=2022-12-01&to=2022-01-01",
        "/tiers/movement?from=0001-01-01",
    ],
)
def test_bad_query_parameters_are_a_400_not_a_500(client, auth, path) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    response = client.get(path)
    assert response.status_code == 400
    assert "条件が正しくありません" in response.text


def test_contact_log_moves_the_next_contact_date(app, client, auth, people):
    from itworks.db import db
    from itworks.services.tiers import recontact as tiers_recontact

    run_segmentation(app)
    app.config["AS_OF_DATE"] = "2022-11-20"
    auth.login("coord", PASSWORD, role="coordinator")
    public_id = next(p for p, t in people.items() if t == "move_now")
    due = client.get("/tiers/recontact?tier=move_now")
    assert due.status_code == 200 and public_id in due.text
    page = client.get(f"/registrants/{public_id}").text
    assert "次回の連絡予定" in page and "2022-06-15" in page  # registered 2022-06-01 + 14 days
    response = client.post(
        f"/tiers/registrants/{public_id}/contacts",
        data={
            "channel": "phone",
            "contacted_at": "2022-11-18 10:00",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 302
    page = client.get(f"/registrants/{public_id}").text
    assert "2022-12-02" in page and "電話" in page
    assert public_id not in client.get("/tiers/recontact?tier=move_now").text
    with app.app_context():
        logged = tiers_recontact.last_contacts(db.session)
    assert len(logged) == 1
    bad = client.post(
        f"/tiers/registrants/{public_id}/contacts",
        data={"channel": "pigeon", "contacted_at": "2099-01-01", "csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert "連絡方法を選んでください" in bad.text and "未来の日時は記録できません" in bad.text
    (event,) = _audit(app, "contact.log")
    assert event.entity_id == public_id and event.detail == {"channel": "phone"}


def test_movement_table_raw_for_coordinators_suppressed_for_the_prefecture(
    app, client, auth, people
):
    from itworks.db import db
    from itworks.services.accounts import users
    from itworks.services.tiers import tiers

    run_segmentation(app, now=datetime(2022, 10, 1, tzinfo=UTC))
    with app.app_context():
        coordinator = users.create_user(
            db.session, "coord2", "coordinator", PASSWORD, actor_label="t"
        )
        for public_id in list(people)[:2]:
            tiers.confirm(
                db.session,
                public_id,
                "one_option",
                actor=coordinator,
                at=datetime(2022, 11, 2, tzinfo=UTC),
            )
    path = "/tiers/movement?from=2022-09-15&to=2022-11-10"
    auth.login("coord", PASSWORD, role="coordinator")
    raw = client.get(path).text
    assert "未分類" in raw and "ティアが変わった人" in raw
    assert "&lt;5" not in raw
    auth.logout()
    auth.login("pref", PASSWORD, role="prefecture")
    published = client.get(path)
    assert published.status_code == 200
    assert "&lt;5" in published.text and "ティアが変わった人" not in published.text
    assert "島根 太郎" not in published.text


def test_movement_counts(app, session, people) -> None:
    from datetime import date

    from itworks.services.accounts import users
    from itworks.services.tiers import tiers
    from itworks.tables import movement as tiers_movement

    run_segmentation(app, now=datetime(2022, 10, 1, tzinfo=UTC))
    coordinator = users.create_user(session, "coord3", "coordinator", PASSWORD, actor_label="t")
    moved = next(p for p, t in people.items() if t == "move_now")
    tiers.confirm(
        session, moved, "one_option", actor=coordinator, at=datetime(2022, 11, 2, tzinfo=UTC)
    )
    result = tiers_movement.movement(session, date(2022, 9, 15), date(2022, 11, 10))
    counts = result.counts
    assert counts.loc["none"].sum() == len(people)  # nobody had a tier on 15 September
    assert counts.at["none", "one_option"] == 3 + 1
    assert result.moved == 0 and result.newly_tiered == len(people)
    later = tiers_movement.movement(session, date(2022, 10, 15), date(2022, 11, 10))
    assert later.moved == 1 and later.counts.at["move_now", "one_option"] == 1
    table = later.table()
    assert table.at["計", "計"] == len(people)
    # Without a start day the page compares from the first run in the last 90 days.
    assert tiers_movement.parse_dates(session, None, "2022-11-10", date(2030, 1, 1)) == (
        date(2022, 10, 1),
        date(2022, 11, 10),
    )
    assert tiers_movement.parse_dates(session, "", None, date(2023, 6, 1))[0] == date(2023, 3, 3)


def test_evaluation_button_shows_the_out_of_fold_figures(app, client, auth, people) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    page = client.get("/tiers/")
    assert "まだ検証していません" in page.text
    client.post("/tiers/runs", data={"csrf_token": csrf_token(page.text)})
    page = client.get("/tiers/")
    shown = client.post(
        "/tiers/evaluation", data={"csrf_token": csrf_token(page.text)}, follow_redirects=True
    )
    assert shown.status_code == 200
    assert "混同行列" in shown.text
    # 12 people, a few confirmed: far below 30, so the page says it cannot judge.
    assert "少なすぎます" in shown.text
    english = client.get("/tiers/?lang=en")
    assert "Too few" in english.text or "too few" in english.text


def test_segment_evaluate_cli_prints_and_keeps_the_result(app, runner, people) -> None:
    result = runner.invoke(args=["segment", "--evaluate", "--json"])
    assert result.exit_code == 0, result.output
    import json

    payload = json.loads(result.output)
    assert payload["too_few_to_judge"] is True
    assert set(payload) >= {"model", "rule", "no_labels", "reliability", "tiers"}
