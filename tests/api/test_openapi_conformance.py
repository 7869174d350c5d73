"""The OpenAPI document itself is valid and names every operation. The fuzzing
with every credential is in test_fuzz_credentials.py."""

from __future__ import annotations

import schemathesis

OPERATIONS = {
    ("/registrations", "POST"),
    ("/fair-applications", "POST"),
    ("/funnel", "GET"),
    ("/funnel/history", "GET"),
}


def test_the_document_itself_is_valid_openapi(app) -> None:  # noqa: ANN001
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = {
        (op.path, op.method.upper()) for op in (r.ok() for r in schema.get_all_operations())
    }
    assert operations == OPERATIONS


def test_the_document_states_the_constraints_of_today(app) -> None:  # noqa: ANN001
    """The notice in force and this year's birth years are part of the contract."""
    from datetime import date

    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    person = doc["components"]["schemas"]["Registration"]["properties"]
    assert person["consent"]["properties"]["notice_version"] == {
        "const": app.config["PRIVACY_NOTICE_VERSION"]
    }
    year = date.today().year
    assert (person["birth_year"]["minimum"], person["birth_year"]["maximum"]) == (
        year - 80,
        year - 15,
    )
    assert person["name"]["minLength"] == 1
    fy = doc["paths"]["/funnel"]["get"]["parameters"][0]["schema"]
    assert (fy["minimum"], fy["maximum"]) == (2000, 2100)
