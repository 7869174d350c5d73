"""Migration 0009: old ``seminar`` events become study sessions (and stay valid), the
new ``company_exchange`` kind is allowed, and a downgrade keeps every row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa


def test_0009_folds_seminars_and_allows_company_exchanges(tmp_path) -> None:
    from alembic import command

    from itworks.database import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = sa.create_engine(url)
    upgrade(engine, "0008")
    insert = sa.text(
        "INSERT INTO events (id, public_id, kind, name, starts_at, online, created_at) "
        "VALUES (:id, :pid, :kind, 'x', '2022-06-01 00:00:00', 0, '2022-05-01 00:00:00')"
    )
    with engine.begin() as connection:
        connection.execute(insert, {"id": 1, "pid": "e1", "kind": "seminar"})
        connection.execute(insert, {"id": 2, "pid": "e2", "kind": "meetup"})
    upgrade(engine)
    kinds = sa.text("SELECT kind FROM events ORDER BY id")
    with engine.begin() as connection:
        assert connection.scalars(kinds).all() == ["study_session", "meetup"]
        connection.execute(insert, {"id": 3, "pid": "e3", "kind": "company_exchange"})
        with pytest.raises(sa.exc.IntegrityError):
            with connection.begin_nested():
                connection.execute(insert, {"id": 4, "pid": "e4", "kind": "seminar"})
    cfg = alembic_config(url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0008")
    with engine.connect() as connection:
        assert connection.scalars(kinds).all() == ["study_session", "meetup", "other"]
        assert "event_materials" not in sa.inspect(connection).get_table_names()
    engine.dispose()
