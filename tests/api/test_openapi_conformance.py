"""Every API reply matches the OpenAPI document (schemathesis generates the
requests from the document itself), and no generated request gets a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPERATIONS = [("/registrations", "POST"), ("/fair-applications", "POST")]


def fuzz_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def operation(app, path: str, method: str):  # noqa: ANN001, ANN201
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path][method]


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_replies_conform_with_a_valid_token(app, intake_headers, fair, path, method) -> None:
    statuses = set()

    @fuzz_settings(60)
    @given(case=operation(app, path, method).as_strategy())
    def check(case) -> None:  # noqa: ANN001
        if isinstance(case.body, dict) and "event" in case.body and case.body["event"] == "":
            case.body["event"] = fair  # sometimes aim at the real fair
        response = case.call_and_validate(headers=intake_headers, checks=CHECKS)
        statuses.add(response.status_code)

    check()
    assert statuses <= {200, 201, 400, 413, 422}
    assert 422 in statuses


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_replies_conform_without_a_token(app, path, method) -> None:
    @fuzz_settings(10)
    @given(case=operation(app, path, method).as_strategy())
    def check(case) -> None:  # noqa: ANN001
        response = case.call_and_validate(checks=CHECKS)
        assert response.status_code == 401

    check()


def test_the_document_itself_is_valid_openapi(app) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = {
        (op.path, op.method.upper()) for op in (r.ok() for r in schema.get_all_operations())
    }
    assert set(OPERATIONS) <= operations
