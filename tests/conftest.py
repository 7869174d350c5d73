"""Shared fixtures: a fresh instance (keys + database) per test, on SQLite by
default or on the real PostgreSQL server when ITWORKS_TEST_DATABASE_URL is set.

Pure-library tests use none of these, so they never import Flask.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import leakwatch
import pytest

from testsupport import PASSWORD, csrf_token

PG_URL = os.environ.get("ITWORKS_TEST_DATABASE_URL", "")
REQUIRE_POSTGRES = os.environ.get("ITWORKS_REQUIRE_POSTGRES") == "1"
DB_FIXTURES = {"app", "database_url", "session", "client", "runner", "auth"}


def pytest_collection_modifyitems(config, items):  # noqa: ANN001
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ANN001, ANN201
    """In CI (ITWORKS_REQUIRE_POSTGRES=1) a skipped PostgreSQL test is a failure."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_POSTGRES and report.skipped and item.get_closest_marker("postgres"):
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid} skipped although ITWORKS_REQUIRE_POSTGRES=1"


def pytest_configure(config):  # noqa: ANN001
    config.addinivalue_line("markers", "db: uses a database (rerun on PostgreSQL in CI)")
    leakwatch.install()


def pytest_sessionfinish(session, exitstatus):  # noqa: ANN001
    """The logs of the whole run hold none of the personal values the tests seeded."""
    found = leakwatch.leaks(leakwatch.RECORDS, leakwatch.SEEDED)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"log check: {len(leakwatch.RECORDS)} log records searched for "
            f"{len(leakwatch.SEEDED)} seeded personal values: {len(found)} found"
        )
        for line in found[:20]:
            reporter.write_line(f"  personal value in the logs: {line}", red=True)
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def postgres_available() -> str | None:
    """The PostgreSQL admin URL, or None (a failure instead when CI requires it)."""
    url = PG_URL or (
        "postgresql+psycopg://postgres@127.0.0.1:5432/test" if REQUIRE_POSTGRES else ""
    )
    if not url.startswith("postgresql"):
        return None
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect():
            return url
    except Exception as exc:  # noqa: BLE001
        if REQUIRE_POSTGRES:
            pytest.fail(f"ITWORKS_REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {exc}")
        return None
    finally:
        engine.dispose()


class _PostgresDatabases:
    """Per-test databases cloned from a migrated template (CREATE DATABASE … TEMPLATE)."""

    def __init__(self, admin_url: str) -> None:
        import sqlalchemy as sa

        from itworks.database import upgrade

        self.sa = sa
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.base_url = sa.engine.make_url(admin_url)
        self.template = f"itworks_tmpl_{os.getpid()}"
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}"')
        self._execute(f'CREATE DATABASE "{self.template}"')
        engine = sa.create_engine(self.url(self.template))
        upgrade(engine)
        engine.dispose()

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(self.sa.text(sql))

    def url(self, name: str) -> str:
        return self.base_url.set(database=name).render_as_string(hide_password=False)

    def create(self) -> str:
        name = f"itworks_t_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def drop(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self.drop(self.template)
        self.admin.dispose()


@pytest.fixture(scope="session")
def _template_database(tmp_path_factory):  # noqa: ANN001, ANN202
    admin_url = postgres_available() if (PG_URL or REQUIRE_POSTGRES) else None
    if admin_url:
        databases = _PostgresDatabases(admin_url)
        yield databases
        databases.close()
        return
    import sqlalchemy as sa

    from itworks.database import upgrade

    path = tmp_path_factory.mktemp("template") / "itworks.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    yield path


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    from itworks import crypto

    path = tmp_path / "instance"
    path.mkdir()
    crypto.write_new_key_files(path / "keys")
    return path


@pytest.fixture
def database_url(instance: Path, _template_database):  # noqa: ANN001, ANN201
    if isinstance(_template_database, Path):
        target = instance / "itworks.db"
        shutil.copyfile(_template_database, target)
        yield f"sqlite:///{target}"
        return
    name = _template_database.create()
    yield _template_database.url(name)
    _template_database.drop(name)


@pytest.fixture
def app(instance: Path, database_url: str):  # noqa: ANN201
    from itworks import create_app
    from itworks.db import db
    from itworks.extensions import vault
    from itworks.services.keys import keyring
    from itworks.services.kpi import baseline

    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": database_url,
            "DEVELOPMENT": True,
        }
    )
    with app.app_context():
        keyring.record_checks(db.session, vault())
        baseline.load(db.session)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def session(app):  # noqa: ANN001, ANN201
    """A session of the test's own, outside any app context, so that requests made
    with the test client get their own context (and flask-login state) as in real use."""
    from sqlalchemy.orm import Session

    from itworks.db import db

    with app.app_context():
        engine = db.engine
    with Session(engine) as own:
        yield own


@pytest.fixture
def client(app):  # noqa: ANN001, ANN201
    return app.test_client()


@pytest.fixture
def runner(instance: Path, database_url: str, app):  # noqa: ANN001, ANN201
    """Invoke the `itworks` CLI against this test's instance and database."""
    from click.testing import CliRunner

    from itworks.cli import main

    class Runner:
        def invoke(self, args, input=None):  # noqa: ANN001, ANN202, A002
            env = {"ITWORKS_INSTANCE": str(instance), "ITWORKS_DATABASE_URL": database_url}
            return CliRunner().invoke(main, args, input=input, env=env, catch_exceptions=False)

    return Runner()


@pytest.fixture
def make_user(app):  # noqa: ANN001, ANN201
    from itworks.db import db
    from itworks.services.accounts import users

    def make(username: str = "coord", role: str = "coordinator", password: str = PASSWORD):
        with app.app_context():
            user = users.create_user(db.session, username, role, password, actor_label="test")
            return user.id

    return make


class AuthActions:
    def __init__(self, client, make_user) -> None:  # noqa: ANN001
        self._client = client
        self._make_user = make_user

    def login(self, username: str = "coord", password: str = PASSWORD, role: str | None = None):  # noqa: ANN201
        if role is not None:
            self._make_user(username, role, password)
        page = self._client.get("/login")
        return self._client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf_token(page.text)},
        )

    def logout(self):  # noqa: ANN201
        page = self._client.get("/")
        return self._client.post("/logout", data={"csrf_token": csrf_token(page.text)})


@pytest.fixture
def auth(client, make_user):  # noqa: ANN001, ANN201
    return AuthActions(client, make_user)


@pytest.fixture
def make_registrant(app):  # noqa: ANN001, ANN201
    """Add a registrant through the service; returns its public id."""
    from datetime import UTC, datetime

    from itworks.db import db
    from itworks.extensions import vault
    from itworks.services.intake import registrants

    counter = iter(range(1, 10**6))

    def make(**overrides):  # noqa: ANN202
        n = next(counter)
        fields = {
            "name": f"島根 太郎{n}",
            "name_kana": "シマネ タロウ",
            "email": f"taro{n}@example.jp",
            "phone": f"090-0000-{n:04d}",
            "employer": "株式会社サンプル",
            "residence_prefecture": "東京都",
            "birth_year": 1990,
            "origin": "u_turn",
        }
        registered_at = overrides.pop("registered_at", datetime(2022, 6, 1, tzinfo=UTC))
        fields.update(overrides)
        leakwatch.seed(*(fields.get(k) for k in ("name", "name_kana", "email", "phone")))
        with app.app_context():
            person = registrants.clean_person(fields)
            consent = registrants.Consent("2022-04", "0" * 64, registered_at)
            row = registrants.add_registrant(
                db.session,
                vault(),
                person,
                consent=consent,
                registered_at=registered_at,
                utm={"source": "google", "medium": "cpc", "campaign": "test"},
            )
            db.session.commit()
            return row.public_id

    return make
