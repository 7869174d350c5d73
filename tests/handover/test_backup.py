"""`itworks backup`: a consistent copy of the SQLite database taken while another
connection keeps writing; PostgreSQL is pointed to pg_dump."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa


def _sqlite_only(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite backup")


def test_backup_while_another_connection_writes(runner, database_url, tmp_path: Path) -> None:
    _sqlite_only(database_url)
    path = sa.engine.make_url(database_url).database
    writer = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE IF NOT EXISTS backup_probe (n INTEGER, pair INTEGER)")
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            _write()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
            stop.set()

    def _write() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            # Two rows per transaction: a consistent copy never holds one without the other.
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("INSERT INTO backup_probe VALUES (?, 1)", (n,))
            writer.execute("INSERT INTO backup_probe VALUES (?, 2)", (n,))
            writer.execute("COMMIT")
            written.append(n)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        while len(written) < 50 and not stop.is_set():
            stop.wait(0.01)
        targets = [tmp_path / f"copy{i}.db" for i in range(3)]
        for target in targets:
            result = runner.invoke(["backup", str(target)])
            assert result.exit_code == 0, result.output
    finally:
        stop.set()
        thread.join()
        writer.close()
    assert errors == []
    for target in targets:
        assert target.stat().st_mode & 0o777 == 0o600
        copy = sqlite3.connect(target)
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = copy.execute("SELECT n, count(*) FROM backup_probe GROUP BY n").fetchall()
        assert rows and all(count == 2 for _, count in rows)
        assert copy.execute("SELECT count(*) FROM registrants").fetchone() is not None
        copy.close()
    assert len(written) > 50


def test_backup_refuses_to_overwrite(runner, database_url, tmp_path: Path) -> None:
    _sqlite_only(database_url)
    target = tmp_path / "exists.db"
    target.write_text("keep me")
    result = runner.invoke(["backup", str(target)])
    assert result.exit_code == 1 and target.read_text() == "keep me"


def test_default_backup_goes_to_the_instance(runner, database_url, instance: Path) -> None:
    _sqlite_only(database_url)
    result = runner.invoke(["backup"])
    assert result.exit_code == 0, result.output
    (made,) = (instance / "backups").glob("itworks-*.db")
    assert made.stat().st_size > 0


def test_backup_on_postgresql_points_to_pg_dump(runner, database_url) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only")
    result = runner.invoke(["backup"])
    assert result.exit_code == 1
    assert "pg_dump" in result.output
