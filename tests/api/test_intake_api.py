"""POST /api/v1/registrations and /api/v1/fair-applications."""

from __future__ import annotations

import json
import logging
import re

import pytest
import sqlalchemy as sa

from testsupport import person

URL = "/api/v1/registrations"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def count(session, model) -> int:  # noqa: ANN001
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_new_person_is_201_with_a_public_id(client, intake_headers, session) -> None:
    from itworks.models import Registrant

    response = client.post(URL, json=person(), headers=intake_headers)
    assert response.status_code == 201
    assert response.json["duplicate"] is False
    public_id = response.json["id"]
    row = session.scalar(sa.select(Registrant).where(Registrant.public_id == public_id))
    assert row.origin == "u_turn" and row.residence_prefecture == "東京都"
    assert row.consent_notice_version == "2022-04" and len(row.consent_notice_sha256) == 64
    assert row.utm_source == "google" and row.source == "api"


@pytest.mark.parametrize(
    "variant",
    [
        {"email": "TARO1@EXAMPLE.JP"},
        {"email": "ｔａｒｏ１＠ｅｘａｍｐｌｅ．ｊｐ"},
        {"email": "  taro1@example.jp "},
        {"email": "other@example.jp", "phone": "09012340001"},
        {"email": "other@example.jp", "phone": "+81 90 1234 0001"},
        {"email": "other@example.jp", "phone": "０９０－１２３４－０００１"},
        {"email": "other@example.jp", "phone": "+81-90-1234-0001"},
    ],
)
def test_the_same_person_typed_differently_is_a_duplicate(
    client, intake_headers, session, variant
) -> None:
    from itworks.models import Registrant

    first = client.post(URL, json=person(), headers=intake_headers)
    again = client.post(URL, json=person(**variant), headers=intake_headers)
    assert again.status_code == 200
    assert again.json == {"id": first.json["id"], "duplicate": True}
    assert count(session, Registrant) == 1


def test_duplicate_adds_its_touch_and_a_repeat_is_harmless(client, intake_headers, session) -> None:
    from itworks.models import Registrant, UtmTouch

    client.post(URL, json=person(), headers=intake_headers)
    later = person(utm={"source": "facebook", "medium": "social", "campaign": "sns"})
    for _ in range(3):
        assert client.post(URL, json=later, headers=intake_headers).status_code == 200
    touches = session.execute(sa.select(UtmTouch.utm_source).order_by(UtmTouch.id)).scalars().all()
    assert touches == ["google", "facebook"]
    assert count(session, Registrant) == 1


def test_unknown_sources_are_kept_as_given(client, intake_headers, session) -> None:
    from itworks.models import Registrant

    body = person(utm={"source": "some_new_blog", "medium": "weird", "campaign": "x-1"})
    client.post(URL, json=body, headers=intake_headers)
    assert session.scalar(sa.select(Registrant.utm_source)) == "some_new_blog"


def test_half_width_kana_and_jis_code_are_folded(client, intake_headers, session) -> None:
    from itworks.extensions import vault
    from itworks.models import Registrant
    from itworks.services.intake import registrants

    body = person(name_kana="ﾔﾏﾀﾞ たろう", residence_prefecture="32")
    client.post(URL, json=body, headers=intake_headers)
    row = session.scalar(sa.select(Registrant))
    assert row.residence_prefecture == "島根県"
    with client.application.app_context():
        assert registrants.decrypt_fields(vault(), row)[0]["name_kana"] == "ヤマダ タロウ"


BAD_FIELDS = [
    ("name", {"name": ...}),
    ("name", {"name": ""}),
    ("name", {"name": 123}),
    ("name", {"name": "x" * 101}),
    ("email", {"email": ...}),
    ("email", {"email": "not-an-email"}),
    ("email", {"email": "a@b"}),
    ("name_kana", {"name_kana": "Yamada"}),
    ("name_kana", {"name_kana": "山田"}),
    ("phone", {"phone": "12345"}),
    ("phone", {"phone": "090-abcd-efgh"}),
    ("residence_prefecture", {"residence_prefecture": "48"}),
    ("residence_prefecture", {"residence_prefecture": "Atlantis"}),
    ("birth_year", {"birth_year": 1800}),
    ("birth_year", {"birth_year": "nineteen"}),
    ("birth_year", {"birth_year": True}),
    ("origin", {"origin": "x_turn"}),
    ("utm", {"utm": "google"}),
    ("utm", {"utm": {"source": 5}}),
    ("utm", {"utm": {"sauce": "google"}}),
    ("referrer", {"referrer": 42}),
    ("consent", {"consent": ...}),
    ("consent", {"consent": {"notice_version": "2022-04", "agreed": False}}),
    ("consent", {"consent": {"notice_version": "2022-04", "agreed": "yes"}}),
    ("consent", {"consent": {"notice_version": "2019-01", "agreed": True}}),
    ("consent", {"consent": True}),
    ("nickname", {"nickname": "taro"}),
]


@pytest.mark.parametrize(("field", "change"), BAD_FIELDS)
def test_bad_fields_are_422_naming_the_field_in_the_request_language(
    client, intake_headers, session, caplog, field, change
) -> None:
    from itworks.models import Registrant

    caplog.set_level(logging.DEBUG)
    response = client.post(URL, json=person(**change), headers=intake_headers)
    assert response.status_code == 422
    errors = response.json["errors"]
    assert field in errors
    assert JAPANESE.search(errors[field])  # Japanese by default
    english = client.post(
        URL, json=person(**change), headers={**intake_headers, "Accept-Language": "en"}
    )
    assert english.status_code == 422
    assert field in english.json["errors"]
    assert not JAPANESE.search(english.json["errors"][field])
    assert re.search("[A-Za-z]{2}", english.json["errors"][field])
    assert count(session, Registrant) == 0
    for value in ("山田", "taro1@example.jp", "1234-0001", "not-an-email"):
        assert value not in caplog.text


def test_every_bad_field_is_reported_at_once(client, intake_headers) -> None:
    body = person(email="bad", phone="1", origin="?", consent=...)
    response = client.post(URL, json=body, headers=intake_headers)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"email", "phone", "origin", "consent"}


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_malformed_json_is_400(client, intake_headers, raw) -> None:
    response = client.post(
        URL, data=raw, headers={**intake_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "body" in response.json["errors"]


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer itw_wrong", "Basic dXNlcjpwYXNz", "itw_no_scheme"]
)
def test_missing_or_wrong_token_is_401(client, header) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.post(URL, json=person(), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "authorization" in response.json["errors"]


def test_revoked_token_is_401(client, make_token, app) -> None:
    from itworks.db import db
    from itworks.services.accounts import tokens

    token = make_token("old-site", "intake")
    with app.app_context():
        tokens.revoke(db.session, "old-site", actor_label="test")
    response = client.post(URL, json=person(), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_read_token_cannot_post(client, make_token) -> None:
    token = make_token("dashboard", "read")
    response = client.post(URL, json=person(), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_body_over_the_limit_is_413(client, intake_headers, app) -> None:
    app.config["API_MAX_BODY_BYTES"] = 2048
    body = person(referrer="https://example.jp/" + "a" * 1500, employer="x" * 1000)
    response = client.post(
        URL, data=json.dumps(body), headers={**intake_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "body" in response.json["errors"]


def test_unknown_api_path_and_method_are_json(client, intake_headers) -> None:
    assert client.get("/api/v1/nope", headers=intake_headers).status_code == 404
    wrong = client.get(URL, headers=intake_headers)
    assert wrong.status_code == 405 and "errors" in wrong.json
    assert set(wrong.headers["Allow"].replace(" ", "").split(",")) >= {"POST"}
    assert "GET" not in wrong.headers["Allow"].split(", ")


def test_a_405_page_names_the_allowed_methods(client) -> None:
    response = client.put("/login")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 30_000 + b"]" * 30_000,
        b'{"birth_year": Infinity}',
        b'{"birth_year": -Infinity}',
        b'{"birth_year": NaN}',
        b'{"birth_year": 1e999}',
        b'{"birth_year": ' + b"9" * 5000 + b"}",
    ],
)
def test_hostile_json_is_400_not_a_500(client, intake_headers, app, raw) -> None:
    app.config["API_MAX_BODY_BYTES"] = 128 * 1024
    response = client.post(
        URL, data=raw, headers={**intake_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "body" in response.json["errors"]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16", None],
)
def test_a_body_not_declared_as_utf8_json_is_415(client, intake_headers, content_type) -> None:
    headers = dict(intake_headers)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(URL, data=json.dumps(person()), headers=headers)
    assert response.status_code == 415
    assert "content_type" in response.json["errors"]


def test_json_with_an_explicit_utf8_charset_is_accepted(client, intake_headers) -> None:
    headers = {**intake_headers, "Content-Type": "application/json; charset=UTF-8"}
    response = client.post(URL, data=json.dumps(person()).encode(), headers=headers)
    assert response.status_code == 201


def test_api_is_not_subject_to_csrf_but_web_forms_are(client, intake_headers) -> None:
    assert client.post(URL, json=person(), headers=intake_headers).status_code == 201
    assert client.post("/login", data={"username": "x", "password": "y"}).status_code == 400


def test_tokens_are_stored_only_as_hashes(make_token, session) -> None:
    from itworks.models import ApiToken

    token = make_token("website", "intake")
    row = session.scalar(sa.select(ApiToken))
    assert token.startswith("itw_") and token not in (row.digest, row.name)
    assert len(row.digest) == 64


# ------------------------------------------------------------------ fair applications

FAIR_URL = "/api/v1/fair-applications"


def test_fair_application_registers_a_new_person_and_signs_up_once(
    client, intake_headers, fair, session
) -> None:
    from itworks.models import EventSignup, Registrant

    first = client.post(FAIR_URL, json={**person(), "event": fair}, headers=intake_headers)
    assert first.status_code == 201
    assert first.json["duplicate"] is False and first.json["signup"] == "created"
    again = client.post(
        FAIR_URL, json={**person(email="TARO1@example.jp"), "event": fair}, headers=intake_headers
    )
    assert again.status_code == 200
    assert again.json == {"id": first.json["id"], "duplicate": True, "signup": "existing"}
    assert count(session, Registrant) == 1
    assert count(session, EventSignup) == 1


def test_known_person_applying_is_a_duplicate_with_a_new_signup(
    client, intake_headers, fair, session
) -> None:
    registered = client.post(URL, json=person(), headers=intake_headers).json["id"]
    applied = client.post(FAIR_URL, json={**person(), "event": fair}, headers=intake_headers)
    assert applied.status_code == 201
    assert applied.json == {"id": registered, "duplicate": True, "signup": "created"}


@pytest.mark.parametrize("event", [..., "", "no-such-fair", 12, "x" * 33])
def test_a_malformed_fair_id_is_422(client, intake_headers, event) -> None:
    body = {**person(), "event": event} if event is not ... else person()
    response = client.post(FAIR_URL, json=body, headers=intake_headers)
    assert response.status_code == 422
    assert "event" in response.json["errors"]


def test_a_well_formed_id_of_no_fair_is_404(client, intake_headers) -> None:
    body = {**person(), "event": "NoSuchFair1"}
    response = client.post(FAIR_URL, json=body, headers=intake_headers)
    assert response.status_code == 404
    assert list(response.json["errors"]) == ["event"]
    # With another field wrong too, the whole body is reported as unprocessable.
    bad = {**person(), "email": "not-an-address", "event": "NoSuchFair1"}
    response = client.post(FAIR_URL, json=bad, headers=intake_headers)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"email", "event"}


def test_a_study_session_is_not_a_fair(client, intake_headers, app) -> None:
    from datetime import UTC, datetime

    from itworks.db import db
    from itworks.services.engagement import events

    with app.app_context():
        session_id = events.create_event(
            db.session,
            kind="study_session",
            name="勉強会",
            starts_at=datetime(2022, 6, 1, tzinfo=UTC),
            actor_label="test",
        ).public_id
    response = client.post(FAIR_URL, json={**person(), "event": session_id}, headers=intake_headers)
    assert response.status_code == 404  # no fair has that id
    assert list(response.json["errors"]) == ["event"]


def test_openapi_document_is_served(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"].startswith("3.1")
    assert {"/registrations", "/fair-applications"} <= set(response.json["paths"])
