"""The benchmark dataset lands whole and identical on every engine and by either fill
(PostgreSQL's COPY or Core executemany), and its funnel counts something, on the
service's own endpoint as by raw SQL.

The first harness measured PostgreSQL on an empty dataset for a whole 100k run (the
COPY rows were rolled back when the connection closed; every funnel figure was 0 and
the endpoint agreed with raw SQL, so nothing complained): these tests fail on that.
SQLite by default; the real PostgreSQL server with ITWORKS_TEST_DATABASE_URL (the
``db`` marker comes with the database fixtures). A few seconds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from benchmarks.dataset import AS_OF, Builder, DatasetError, check_same
from benchmarks.run import check_dataset
from benchmarks.scenarios import FY, funnel_problems, raw_funnel

SIZE = 300
SEED = 11
MEASURES = ("new_registrants", "consultations", "hires", "fair_signups")


@pytest.fixture
def bench_app(instance: Path, database_url: str):  # noqa: ANN201
    """The service on the test's database, its clock at the dataset's as-of date."""
    from itworks import create_app
    from itworks.db import db
    from itworks.extensions import vault
    from itworks.services.keys import keyring
    from itworks.services.kpi import baseline

    app = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(instance), "DATABASE_URL": database_url,
         "AS_OF_DATE": AS_OF.isoformat()}
    )  # fmt: skip
    with app.app_context():
        keyring.record_checks(db.session, vault())
        baseline.load(db.session)
    yield app
    with app.app_context():
        db.engine.dispose()


def _memory() -> sa.Engine:
    """An in-memory SQLite database, one connection shared (a file's DDL would wait
    for one fsync per statement)."""
    return sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)


def _prepare(engine: sa.Engine) -> sa.Engine:
    """Migrated, with the baseline loaded (the reason codes the dataset refers to)."""
    from sqlalchemy.orm import Session

    from itworks.database import upgrade
    from itworks.services.kpi import baseline

    upgrade(engine)
    with Session(engine) as session:
        baseline.load(session)
        session.commit()
    return engine


def _prepared(url: str) -> str:
    engine = _prepare(sa.create_engine(url))
    engine.dispose()
    return url


@pytest.fixture
def second_url(_template_database, tmp_path: Path):  # noqa: ANN001, ANN201
    """A second database on the same engine as ``database_url``."""
    if isinstance(_template_database, Path):
        target = tmp_path / "second.db"
        shutil.copyfile(_template_database, target)
        yield _prepared(f"sqlite:///{target}")
        return
    name = _template_database.create()
    yield _prepared(_template_database.url(name))
    _template_database.drop(name)


def _service_funnel(app) -> dict:  # noqa: ANN001
    from itworks.db import db
    from itworks.services.accounts import tokens

    with app.app_context():
        token = tokens.create(db.session, "bench-fill-test", "read", actor_label="test")
    reply = app.test_client().get(
        f"/api/v1/funnel?fy={FY}", headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 200, reply.text
    return {k: reply.json["measures"][k]["actual"] for k in MEASURES}


def test_both_fills_write_the_same_rows_and_a_funnel_that_counts(
    bench_app, database_url: str, second_url: str
) -> None:  # noqa: ANN001
    from itworks.extensions import vault

    with bench_app.app_context():
        keys = vault()
    engines = {
        "SQLite reference (insert)": _prepare(_memory()),
        "test database (copy)": sa.create_engine(database_url),
        "second database (insert)": sa.create_engine(second_url),
    }
    try:
        counts = Builder(list(engines.values()), keys, SEED, fill=["insert", "copy", "insert"])
        written = counts.build(SIZE)  # raises DatasetError when a database lost rows
        assert written["registrants"] == SIZE
        figures = {}
        for name, engine in engines.items():
            with engine.connect() as connection:
                figures[name] = raw_funnel(connection)
        assert funnel_problems(figures) == []  # none all zero, all equal
        tested = figures["test database (copy)"]
        assert all(tested[k] > 0 for k in MEASURES), tested
        assert sum(tested["fair_attendance"]) > 0, tested
        check_same(engines)  # every row, every column, equal on all three
    finally:
        for engine in engines.values():
            engine.dispose()
    # the figures the harness times: the service's own endpoint counts the same
    assert _service_funnel(bench_app) == {k: tested[k] for k in MEASURES}


def _schema() -> sa.Engine:
    from itworks.models import Base

    engine = _memory()
    Base.metadata.create_all(engine)
    return engine


def test_the_checks_refuse_an_empty_or_unequal_dataset(tmp_path: Path) -> None:
    from itworks import crypto

    crypto.write_new_key_files(tmp_path / "keys")
    keys = crypto.load_vault(tmp_path / "keys", environ={})
    filled, other, empty = _schema(), _schema(), _schema()
    try:
        Builder([filled, other], keys, SEED).build(120)
        check_dataset({"a": filled, "b": other})  # sound: no complaint
        with pytest.raises(DatasetError, match="every funnel figure is 0"):
            check_dataset({"empty": empty})
        with pytest.raises(DatasetError, match="different rows .*registrants"):
            check_dataset({"a": filled, "empty": empty})
        with other.begin() as connection:
            connection.execute(sa.text("UPDATE hires SET hired_at = '2021-01-01 00:00:00'"))
        with pytest.raises(DatasetError, match=r"different rows to a / b: hires \(a: \d+ rows"):
            check_same({"a": filled, "b": other})
    finally:
        for engine in (filled, other, empty):
            engine.dispose()


def test_funnel_figures_all_zero_or_unequal_are_refused() -> None:
    good = {"new_registrants": 5, "consultations": 1, "hires": 0, "fair_signups": 2,
            "fair_attendance": [1, 0]}  # fmt: skip
    zero = {"new_registrants": 0, "consultations": 0, "hires": 0, "fair_signups": 0,
            "fair_attendance": []}  # fmt: skip
    assert funnel_problems({"SQLite": good, "PostgreSQL": dict(good)}) == []
    problems = funnel_problems({"SQLite": good, "PostgreSQL": zero})
    assert problems[0].startswith("PostgreSQL: every funnel figure is 0")
    assert problems[1].startswith("the funnel figures differ for the same seed")
    assert funnel_problems({"x": {**good, "new_registrants": 0}}) == [
        f"x: no new registrants in FY{FY} ({ {**good, 'new_registrants': 0} })"
    ]
