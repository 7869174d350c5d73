"""Engines, SQLite tuning, write transactions and migrations, without Flask.

Ground floor: services import this module. The Flask extension that hands a
session to each request or command is in ``itworks.db``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import migrations

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(migrations.__file__).parent


def engine_options(url: str) -> dict[str, object]:
    if url.startswith("sqlite"):
        # Concurrent request threads share the file; WAL and a busy timeout let
        # writers queue instead of failing with "database is locked".
        return {"url": url, "connect_args": {"timeout": 30}}
    return {"url": url, "pool_pre_ping": True}


def _sqlite_on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
    # Take transaction control from pysqlite, whose implicit BEGIN comes only
    # before a write: a read-then-write unit of work would then fail with
    # SQLITE_BUSY instead of waiting. See _sqlite_on_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: sa.Connection) -> None:
    # Writers ask for IMMEDIATE (see write_transaction) so they queue on the
    # busy timeout for the write lock up front; readers stay DEFERRED.
    if connection.get_execution_options().get("sqlite_immediate"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


SQLITE_FILE_MODE = 0o600
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def secure_sqlite_files(url: str | sa.URL) -> list[Path]:
    """Make an SQLite database readable by its owner only (mode 0600).

    The file is created empty with that mode if it does not exist yet, so
    SQLite's ``-wal`` and ``-shm`` files, which take the database file's mode,
    are born private too; files left wider by an older release are narrowed.
    Returns the files whose mode was changed. Other engines: nothing to do.
    """
    url = sa.engine.make_url(url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return []
    database = Path(url.database)
    if not database.exists():
        database.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE))
        return []
    changed = []
    for suffix in SQLITE_SUFFIXES:
        path = database.with_name(database.name + suffix)
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            continue
        if mode != SQLITE_FILE_MODE:
            os.chmod(path, SQLITE_FILE_MODE)
            changed.append(path)
    return changed


def tune_engine(engine: sa.Engine) -> None:
    if engine.dialect.name == "sqlite":
        secure_sqlite_files(engine.url)
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_on_begin)


def begin_write(session: Session) -> None:
    """Start the session's unit of work as a writer.

    On SQLite this takes the write lock now (waiting up to the busy timeout),
    so a later write cannot fail on a stale snapshot; elsewhere it does nothing.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            return  # already writing; the caller chose its transaction
        session.commit()  # end a read-only snapshot so the write starts fresh
    session.connection(execution_options={"sqlite_immediate": True})


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # only when migrating: not on every start-up

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` on the given engine."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def current_revision(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def touch(
    session: Session, model: type[Any], row_id: int, column: str, now: datetime, every: timedelta
) -> None:
    """Best-effort bookkeeping write (last seen, last used) that never fails a request.

    It ends any read snapshot first, updates only if the stored time is older
    than ``every`` (so concurrent requests write once), and gives up quietly
    if the database is busy: a missed "last used" is harmless.
    """
    if session.in_transaction():
        session.commit()
    stamp = getattr(model, column)
    try:
        begin_write(session)
        session.execute(
            sa.update(model)
            .where(model.id == row_id, sa.or_(stamp.is_(None), stamp < now - every))
            .values({column: now})
        )
        session.commit()
    except OperationalError:
        session.rollback()


class BulkInsert:
    """A multi-row INSERT sent straight to the driver (executemany) with the columns'
    own bind processing, and Python-side defaults for the columns left out."""

    def __init__(self, connection: sa.Connection, table: sa.Table, columns: tuple[str, ...]):
        dialect = connection.dialect
        quote = dialect.identifier_preparer.quote
        extra = [
            c
            for c in table.columns
            if c.name not in columns and c.default is not None and not c.primary_key
        ]
        self.defaults = [c.default for c in extra]
        names = [*columns, *(c.name for c in extra)]
        mark = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"
        self.sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "  # nosec B608: names from our own schema, values bound
            f"VALUES ({', '.join([mark] * len(names))})"
        )
        processors = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
        self.processors = [(i, p) for i, p in enumerate(processors) if p is not None]
        self.connection = connection

    def __call__(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.defaults:
            rows = [(*row, *(_column_default(d) for d in self.defaults)) for row in rows]
        if self.processors:
            processed = []
            for row in rows:
                values = list(row)
                for i, process in self.processors:
                    values[i] = process(values[i])
                processed.append(values)
            rows = processed
        self.connection.exec_driver_sql(self.sql, [tuple(r) for r in rows])


def _column_default(default: Any) -> Any:
    return default.arg(None) if default.is_callable else default.arg


def reserve_ids(connection: sa.Connection, table: sa.Table, n: int) -> list[int]:
    """``n`` new primary keys for ``table``: from its sequence on PostgreSQL; on SQLite,
    after the largest, which is safe because the batch holds the write lock."""
    if connection.dialect.name == "postgresql":
        return list(
            connection.execute(
                sa.text(
                    "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                ),
                {"t": table.name, "n": n},
            ).scalars()
        )
    first = (connection.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
    return list(range(first, first + n))
