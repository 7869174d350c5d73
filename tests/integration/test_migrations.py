"""The models and the Alembic migrations describe the same schema (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext


def test_models_match_migrations(app) -> None:
    from itworks.db import db
    from itworks.models import Base

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_migrations_have_one_head_and_downgrade_cleanly(tmp_path) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    from itworks.database import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = alembic_config(url)
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1
    engine = sa.create_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "registrants" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_0005_rewrites_old_introduction_statuses_both_ways(tmp_path) -> None:
    """Data steps are invisible to compare_metadata: run them on rows that need them."""
    from alembic import command

    from itworks.database import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = sa.create_engine(url)
    upgrade(engine, "0004")
    insert = sa.text(
        "INSERT INTO introductions (id, registrant_id, company_id, introduced_at, status, "
        "public_id) VALUES (:id, 1, 1, '2022-06-01 00:00:00', :status, :pid)"
    )
    with engine.begin() as connection:
        for n, status in enumerate(("no_match", "withdrawn", "hired"), start=1):
            connection.execute(insert, {"id": n, "status": status, "pid": f"p{n}"})
    upgrade(engine)
    statuses = sa.text("SELECT status FROM introductions ORDER BY id")
    with engine.connect() as connection:
        assert connection.scalars(statuses).all() == ["declined", "declined", "hired"]
    cfg = alembic_config(url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0004")
    with engine.connect() as connection:
        assert connection.scalars(statuses).all() == ["no_match", "no_match", "hired"]
    engine.dispose()
