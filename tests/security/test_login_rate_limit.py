"""The per-address limit on failed logins (security review, item 7).

One address could spray one password across many accounts, since only the
per-username lockout existed. The counters must be shared by every worker:
in the database by default, or in Redis where it is configured.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, csrf_token

LIMIT = "4 per 10 minutes"
REDIS_URL = "redis://127.0.0.1:6379/15"
REQUIRE_REDIS = os.environ.get("ITWORKS_REQUIRE_REDIS") == "1"


_made: list = []


@pytest.fixture(autouse=True)
def _dispose_made_apps():  # noqa: ANN202
    yield
    from itworks.db import db

    while _made:
        with _made.pop().app_context():
            db.engine.dispose()


def make_app(instance: Path, database_url: str, **settings):  # noqa: ANN003, ANN201
    """Another app on the same database: what a second gunicorn worker is."""
    from itworks import create_app

    made = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": database_url,
            "DEVELOPMENT": True,
            "LOGIN_ADDRESS_LIMIT": LIMIT,
            "PROXY_COUNT": 1,
            **settings,
        }
    )
    _made.append(made)
    return made


def attempt(client, username: str, password: str, address: str = "203.0.113.5"):  # noqa: ANN001, ANN201
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(page.text)},
        headers={"X-Forwarded-For": address},
    )


@pytest.fixture
def limited(instance: Path, database_url: str, app, make_user):  # noqa: ANN001, ANN201
    make_user("keiko", "coordinator")
    return make_app(instance, database_url)


def test_one_address_spraying_many_accounts_is_stopped(limited) -> None:  # noqa: ANN001
    client = limited.test_client()
    # Four different accounts, one wrong password each: no account reaches its
    # own lockout (5), but the address has used its four failures.
    for n in range(4):
        assert attempt(client, f"user{n}", "Spring2026!").status_code == 401
    refused = attempt(client, "keiko", PASSWORD)  # even the right password now waits
    assert refused.status_code == 429
    assert "しばらく受け付けません" in refused.text
    english = client.get("/login?lang=en")
    assert english.status_code == 200
    refused_en = attempt(client, "keiko", PASSWORD)
    assert refused_en.status_code == 429
    assert "Too many failed attempts" in refused_en.text


def test_other_addresses_and_successful_logins_are_not_limited(limited) -> None:  # noqa: ANN001
    client = limited.test_client()
    for _ in range(6):  # successes never count
        assert attempt(client, "keiko", PASSWORD).status_code == 302
        xff = {"X-Forwarded-For": "203.0.113.5"}  # the same client (strong session protection)
        home = client.get("/", headers=xff, follow_redirects=True)
        client.post("/logout", data={"csrf_token": csrf_token(home.text)}, headers=xff)
    for n in range(4):
        assert attempt(client, f"user{n}", "x", address="198.51.100.7").status_code == 401
    assert attempt(client, "user9", "x", address="198.51.100.7").status_code == 429
    # The trusted proxy reports another client: it has its own allowance.
    assert attempt(client, "keiko", PASSWORD, address="192.0.2.44").status_code == 302


def test_counters_are_shared_by_workers_on_one_database(limited, instance, database_url) -> None:  # noqa: ANN001
    second_worker = make_app(instance, database_url)
    first, second = limited.test_client(), second_worker.test_client()
    for n in range(2):
        assert attempt(first, f"a{n}", "x").status_code == 401
        assert attempt(second, f"b{n}", "x").status_code == 401
    assert attempt(first, "keiko", PASSWORD).status_code == 429
    assert attempt(second, "keiko", PASSWORD).status_code == 429


def test_the_database_keeps_no_address(limited) -> None:  # noqa: ANN001
    from itworks.db import db

    client = limited.test_client()
    attempt(client, "nobody", "x", address="203.0.113.77")
    with limited.app_context():
        rows = db.session.execute(sa.text("SELECT key, count FROM rate_limit_counters")).all()
    assert rows, "the failure was not counted in the database"
    assert all("203.0.113.77" not in key and len(key) == 64 for key, _count in rows)
    assert [count for _key, count in rows] == [1]


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError as exc:
        if REQUIRE_REDIS:
            pytest.fail(f"ITWORKS_REQUIRE_REDIS=1 but Redis is unreachable: {exc}")
        pytest.skip("no Redis server at 127.0.0.1:6379")


def test_counters_are_shared_through_redis_where_configured(app, instance, database_url) -> None:  # noqa: ANN001
    _redis_or_skip()
    prefix = f"login-{uuid.uuid4().hex}"  # this run's own counters in the shared server
    settings = {"RATE_LIMIT_STORAGE_URL": REDIS_URL}
    workers = [make_app(instance, database_url, **settings) for _ in range(2)]
    address = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    clients = [w.test_client() for w in workers]
    for n in range(4):
        assert attempt(clients[n % 2], f"{prefix}{n}", "x", address=address).status_code == 401
    assert attempt(clients[0], "anyone", "x", address=address).status_code == 429
    assert attempt(clients[1], "anyone", "x", address=address).status_code == 429
    from itworks.db import db

    with workers[0].app_context():  # nothing went to the database
        assert db.session.scalar(sa.text("SELECT count(*) FROM rate_limit_counters")) == 0
    import redis

    server = redis.Redis.from_url(REDIS_URL)
    keys = [k for k in server.keys("*") if address.encode() in k]
    assert keys
    server.delete(*keys)


def test_an_unreachable_redis_lets_logins_through(app, instance, database_url, make_user) -> None:  # noqa: ANN001
    make_user("keiko", "coordinator")
    broken = make_app(instance, database_url, RATE_LIMIT_STORAGE_URL="redis://127.0.0.1:9/0")
    client = broken.test_client()
    assert attempt(client, "nobody", "x").status_code == 401
    assert attempt(client, "keiko", PASSWORD).status_code == 302
