"""Roles are enforced on the server for every route."""

from __future__ import annotations

import pytest

from testsupport import PASSWORD

PERSONAL = {"registrants.index", "registrants.detail"}


def test_every_endpoint_declares_its_roles(app) -> None:
    from itworks.web.access import allowed_roles

    with app.app_context():
        undeclared = [
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and allowed_roles(rule.endpoint) is None
        ]
    assert undeclared == []


def test_prefecture_never_reaches_personal_data_endpoints(app) -> None:
    from itworks.web.access import allowed_roles

    with app.app_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint in PERSONAL:
                assert "prefecture" not in allowed_roles(rule.endpoint)


MATRIX = [
    # path, anonymous, prefecture, coordinator, admin
    ("/", 302, 200, 200, 200),
    ("/registrants/", 302, 403, 200, 200),
    ("/registrants/{id}", 302, 403, 200, 200),
    ("/registrants/does-not-exist", 302, 403, 404, 404),
    ("/login", 200, 302, 302, 302),
    ("/admin/audit", 302, 403, 403, 200),
    ("/admin/audit/entries.csv", 302, 403, 403, 200),
]


@pytest.mark.parametrize("role", [None, "prefecture", "coordinator", "admin"])
def test_role_by_route_matrix(client, auth, make_registrant, role: str | None) -> None:
    public_id = make_registrant()
    if role:
        auth.login(f"user-{role}", PASSWORD, role=role)
    column = {None: 1, "prefecture": 2, "coordinator": 3, "admin": 4}[role]
    for row in MATRIX:
        path = row[0].format(id=public_id)
        response = client.get(path)
        assert response.status_code == row[column], f"{role} GET {path}"
        if response.status_code == 302 and role is None:
            assert response.headers["Location"].startswith("/login")


def test_prefecture_403_page_shows_no_personal_data(client, auth, make_registrant) -> None:
    public_id = make_registrant(name="秘密 花子")
    auth.login("pref", PASSWORD, role="prefecture")
    response = client.get(f"/registrants/{public_id}")
    assert response.status_code == 403
    assert "秘密" not in response.text
    assert "権限がありません" in response.text


def test_security_headers(client) -> None:
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_hsts_only_over_https_outside_development(app) -> None:
    app.config["DEVELOPMENT"] = False
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://itworks.example")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_no_hsts_in_development(app) -> None:
    app.config["DEVELOPMENT"] = True
    response = app.test_client().get("/login", base_url="https://itworks.example")
    assert "Strict-Transport-Security" not in response.headers


def test_a_forwarded_https_header_is_not_trusted_without_proxy_count(app) -> None:
    app.config["DEVELOPMENT"] = False
    forwarded = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    # A client cannot claim HTTPS by a header unless PROXY_COUNT trusts a proxy.
    assert "Strict-Transport-Security" not in forwarded.headers


def test_hsts_can_be_switched_off(app) -> None:
    app.config.update(DEVELOPMENT=False, HSTS_MAX_AGE=0)
    response = app.test_client().get("/login", base_url="https://itworks.example")
    assert "Strict-Transport-Security" not in response.headers
