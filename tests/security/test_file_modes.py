"""The instance folder is its owner's only (0700) and so are the SQLite files (0600).

Security review, item 8: the folder was 0755 and itworks.db with its -wal and -shm
0644, so any local account could copy the encrypted database.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from itworks.cli import main
from itworks.database import engine_options, secure_sqlite_files, tune_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_makes_a_private_folder_and_database(tmp_path: Path) -> None:
    instance = tmp_path / "fresh"
    old = os.umask(0o022)  # the usual umask, which gave 0755 / 0644 before
    try:
        result = CliRunner().invoke(
            main, ["init"], env={"ITWORKS_INSTANCE": str(instance), "ITWORKS_DATABASE_URL": ""}
        )
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert mode(instance) == 0o700
    database = instance / "itworks.db"
    assert database.exists()
    files = [p for p in instance.iterdir() if p.name.startswith("itworks.db")]
    assert database in files
    for path in files:
        assert mode(path) == 0o600, path.name


def test_wal_and_shm_are_born_private(tmp_path: Path) -> None:
    database = tmp_path / "x.db"
    old = os.umask(0o022)
    try:
        engine = sa.create_engine(**engine_options(f"sqlite:///{database}"))
        tune_engine(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
            wal = database.with_name("x.db-wal")
            shm = database.with_name("x.db-shm")
            assert wal.exists() and shm.exists()
            assert (mode(database), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
        engine.dispose()
    finally:
        os.umask(old)


def test_an_older_world_readable_database_is_narrowed(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    for suffix in ("", "-wal", "-shm"):
        path = database.with_name(database.name + suffix)
        path.write_bytes(b"")
        os.chmod(path, 0o644)
    changed = secure_sqlite_files(f"sqlite:///{database}")
    assert sorted(p.name for p in changed) == ["old.db", "old.db-shm", "old.db-wal"]
    assert all(mode(p) == 0o600 for p in changed)
    assert secure_sqlite_files(f"sqlite:///{database}") == []  # nothing left to narrow


def test_an_older_open_instance_folder_is_narrowed_when_the_app_starts(app) -> None:  # noqa: ANN001
    instance = Path(app.instance_path)
    os.chmod(instance, 0o755)
    from itworks import create_app
    from itworks.db import db

    started = create_app(
        {"INSTANCE_PATH": str(instance), "DATABASE_URL": app.config["DATABASE_URL"]}
    )
    with started.app_context():
        db.engine.dispose()
    assert mode(instance) == 0o700


def test_other_engines_are_left_alone() -> None:
    assert secure_sqlite_files("postgresql+psycopg://postgres@127.0.0.1:5432/test") == []
    assert secure_sqlite_files("sqlite://") == []
