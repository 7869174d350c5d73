"""schemathesis with every credential in turn (issue 15, API fuzzing).

For each operation of /api/v1/openapi.json and each credential (no token, an
intake token, a read token, a coordinator's login session), schema-valid and
schema-invalid requests are generated from the document itself. Required:
no 5xx, every reply conforms to the document, valid input from the right
credential is accepted (ST202), invalid input is rejected with a 4xx, and no
endpoint answers a credential it does not accept as if it had been accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from tests.conftest import PASSWORD, csrf_token

CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
OPERATIONS = {
    ("/registrations", "POST"): "intake",
    ("/fair-applications", "POST"): "intake",
    ("/funnel", "GET"): "read",
    ("/funnel/history", "GET"): "read",
}
CREDENTIALS = ("none", "intake", "read", "coordinator")
# Which credential each scope accepts (a staff session reads as a read token does).
ACCEPTS = {"intake": {"intake"}, "read": {"read", "coordinator"}}
AGENT = {"User-Agent": "itworks-fuzz"}  # a login session is bound to its browser
EXAMPLES = 20


def fuzz(max_examples: int):  # noqa: ANN201
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases on every run: CI must not flake
        suppress_health_check=list(HealthCheck),
    )


@dataclass(frozen=True)
class Credential:
    """What a client sends: headers, and for a login session the browser itself
    (its cookie jar holds the session)."""

    headers: dict[str, str]
    browser: Any = None


@pytest.fixture
def credentials(make_token, client, make_user):  # noqa: ANN001, ANN201
    make_user("fuzz-coord", "coordinator")
    page = client.get("/login", headers=AGENT)
    login = client.post(
        "/login",
        data={"username": "fuzz-coord", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
        headers=AGENT,
    )
    assert login.status_code == 302
    assert client.get_cookie("itworks_session") is not None
    return {
        "none": Credential({}),
        "intake": Credential({"Authorization": f"Bearer {make_token('fuzz-intake', 'intake')}"}),
        "read": Credential({"Authorization": f"Bearer {make_token('fuzz-read', 'read')}"}),
        "coordinator": Credential(AGENT, browser=client),
    }


def schema(app):  # noqa: ANN001, ANN201
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize("credential", CREDENTIALS)
@pytest.mark.parametrize(("path", "method"), list(OPERATIONS))
def test_every_operation_with_every_credential(
    app, credentials, fair, credential, path, method
) -> None:  # noqa: ANN001
    scope = OPERATIONS[(path, method)]
    accepted = credential in ACCEPTS[scope]
    operation = schema(app)[path][method]
    seen: dict[GenerationMode, set[int]] = {}

    for mode in GenerationMode:
        run(operation, mode, accepted, credential, credentials[credential], fair, seen)

    every = set().union(*seen.values())
    assert every, "no case was generated"
    assert all(code < 500 for code in every)
    if accepted:
        assert any(200 <= code < 300 for code in seen[GenerationMode.POSITIVE]), seen


def run(operation, mode, accepted, credential, sender, fair, seen) -> None:  # noqa: ANN001
    @fuzz(EXAMPLES)
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case) -> None:  # noqa: ANN001
        event = case.body.get("event") if isinstance(case.body, dict) else None
        if mode is GenerationMode.POSITIVE and isinstance(event, str) and len(event) % 2 == 0:
            case.body["event"] = fair  # aim about half the applications at the real fair
        checks = list(CONFORMANCE)
        if accepted and mode is GenerationMode.POSITIVE:
            checks.append(positive_data_acceptance)
        if accepted and mode is GenerationMode.NEGATIVE:
            checks.append(negative_data_rejection)
        response = case.call_and_validate(
            session=sender.browser, headers=sender.headers, checks=checks
        )
        seen.setdefault(mode, set()).add(response.status_code)
        if not accepted:
            # Missing or wrong authentication is never ignored.
            assert response.status_code in (401, 403), (credential, response.status_code)

    check()


def test_a_schema_valid_registration_is_accepted_at_the_edges(app, credentials) -> None:  # noqa: ANN001
    """The ranges the document states are exactly the server's (no ST202 at the bounds)."""
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    person = doc["components"]["schemas"]["Registration"]["properties"]
    version = person["consent"]["properties"]["notice_version"]["const"]
    client = app.test_client()
    intake = credentials["intake"].headers
    for n, year in enumerate((person["birth_year"]["minimum"], person["birth_year"]["maximum"])):
        body = {
            "name": "島根 太郎",
            "email": f"edge{n}@example.jp",
            "birth_year": year,
            "residence_prefecture": "32",
            "consent": {"notice_version": version, "agreed": True},
        }
        reply = client.post("/api/v1/registrations", json=body, headers=intake)
        assert reply.status_code == 201, reply.get_json()
    for year in (person["birth_year"]["minimum"] - 1, person["birth_year"]["maximum"] + 1):
        body["birth_year"] = year
        body["email"] = f"out{year}@example.jp"
        reply = client.post("/api/v1/registrations", json=body, headers=intake)
        assert reply.status_code == 422
        assert set(reply.get_json()["errors"]) == {"birth_year"}
    fy = doc["paths"]["/funnel"]["get"]["parameters"][0]["schema"]
    read = credentials["read"].headers
    assert client.get(f"/api/v1/funnel?fy={fy['maximum']}", headers=read).status_code == 200
    assert client.get(f"/api/v1/funnel?fy={fy['maximum'] + 1}", headers=read).status_code == 422
