"""GET /api/v1/funnel and /funnel/history: read tokens and staff sessions, JSON errors,
and every reply conforming to the OpenAPI document."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from testsupport import PASSWORD

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPERATIONS = [("/funnel", "GET"), ("/funnel/history", "GET")]

SPECIFICATION = [
    {"fiscal_year": 2018, "label": "平成30年度", "new_registrants": 210, "consultations": 33,
     "fair_attendance": [81, 60, 16], "fair_signups": None, "hires": 19},
    {"fiscal_year": 2019, "label": "平成31年度", "new_registrants": 177, "consultations": 52,
     "fair_attendance": [48, 46, 38], "fair_signups": None, "hires": 20},
    {"fiscal_year": 2020, "label": "令和2年度", "new_registrants": 258, "consultations": 46,
     "fair_attendance": [99, 86, 83], "fair_signups": None, "hires": 14},
    {"fiscal_year": 2021, "label": "令和3年度", "new_registrants": 247, "consultations": 41,
     "fair_attendance": [62, 72, 66], "fair_signups": None, "hires": 23},
]  # fmt: skip

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture
def read_headers(make_token, app) -> dict[str, str]:  # noqa: ANN001
    app.config["AS_OF_DATE"] = "2022-11-20"
    return {"Authorization": f"Bearer {make_token('prefecture-bi', 'read')}"}


def test_funnel_with_a_read_token(client, read_headers, make_registrant) -> None:  # noqa: ANN001
    make_registrant()
    response = client.get("/api/v1/funnel?fy=2022", headers=read_headers)
    assert response.status_code == 200
    body = response.json
    assert body["fiscal_year"] == 2022 and body["label"] == "令和4年度"
    assert body["period"] == {
        "start": "2022-04-01",
        "end": "2023-03-31",
        "contract_end": "2023-03-20",
    }
    assert body["as_of"] == "2022-11-20"
    hires = body["measures"]["hires"]
    assert (hires["kind"], hires["actual"], hires["target"], hires["baseline"]) == (
        "KGI",
        0,
        30,
        20,
    )
    assert hires["expected_to_date"] == 19.8 and hires["status"] == "behind"
    assert body["measures"]["new_registrants"]["actual"] == 1
    assert body["measures"]["new_registrants"]["projection"] == 2  # 1 × 354 / 234
    assert response.headers["Cache-Control"] == "no-store"


def test_default_year_is_the_one_of_the_as_of_date(client, read_headers) -> None:  # noqa: ANN001
    assert client.get("/api/v1/funnel", headers=read_headers).json["fiscal_year"] == 2022


def test_history_is_exactly_the_specification_then_this_year(client, read_headers) -> None:  # noqa: ANN001
    response = client.get("/api/v1/funnel/history", headers=read_headers)
    assert response.status_code == 200
    years = response.json["years"]
    assert years[:4] == SPECIFICATION
    assert [y["fiscal_year"] for y in years] == [2018, 2019, 2020, 2021, 2022]
    assert years[4]["fair_signups"] == 0


@pytest.mark.parametrize("role", ["prefecture", "coordinator", "admin"])
def test_any_staff_session_may_read(client, auth, app, role) -> None:  # noqa: ANN001
    auth.login(f"user-{role}", PASSWORD, role=role)
    assert client.get("/api/v1/funnel?fy=2022").status_code == 200
    assert client.get("/api/v1/funnel/history").status_code == 200


def test_intake_token_is_refused(client, intake_headers) -> None:  # noqa: ANN001
    response = client.get("/api/v1/funnel", headers=intake_headers)
    assert response.status_code == 403
    assert JAPANESE.search(response.json["errors"]["authorization"])  # Japanese by default
    english = client.get("/api/v1/funnel", headers={**intake_headers, "Accept-Language": "en"})
    assert english.json["errors"]["authorization"] == "This token's scope does not allow this"


def test_no_token_no_session_is_401(client) -> None:  # noqa: ANN001
    assert client.get("/api/v1/funnel").status_code == 401
    assert client.get("/api/v1/funnel/history").status_code == 401


@pytest.mark.parametrize("fy", ["abc", "1800", "99999", "", "2022x", "%00", "-5"])
def test_bad_fiscal_year_is_422_json(client, read_headers, fy) -> None:  # noqa: ANN001
    response = client.get(f"/api/v1/funnel?fy={fy}", headers=read_headers)
    assert response.status_code == 422
    assert response.is_json
    assert JAPANESE.search(response.json["errors"]["fy"])  # Japanese by default
    english = client.get(
        f"/api/v1/funnel?fy={fy}", headers={**read_headers, "Accept-Language": "en-GB,en;q=0.8"}
    )
    assert english.status_code == 422
    assert "fiscal year" in english.json["errors"]["fy"]
    assert not JAPANESE.search(english.json["errors"]["fy"])


def _settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def _operation(app, path: str, method: str):  # noqa: ANN001, ANN202
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path][method]


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_replies_conform_with_a_read_token(app, read_headers, path, method) -> None:  # noqa: ANN001
    statuses = set()

    @_settings(25)
    @given(case=_operation(app, path, method).as_strategy())
    def check(case) -> None:  # noqa: ANN001
        response = case.call_and_validate(headers=read_headers, checks=CHECKS)
        statuses.add(response.status_code)

    check()
    assert 200 in statuses
    assert statuses <= {200, 422}


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_replies_conform_without_a_token(app, path, method) -> None:  # noqa: ANN001
    @_settings(5)
    @given(case=_operation(app, path, method).as_strategy())
    def check(case) -> None:  # noqa: ANN001
        assert case.call_and_validate(checks=CHECKS).status_code == 401

    check()
