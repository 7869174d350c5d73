"""Consistent online backups of the SQLite database (the SQLite backup API).

The copy is taken in one step of ``sqlite3.Connection.backup`` under a read
transaction, so it is one consistent state of the database even while the app
keeps writing (WAL mode lets writers continue). It is written to a temporary
file, checked with ``PRAGMA integrity_check`` and renamed into place, mode 0600.
The keys are not in it: they are backed up separately, by design.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from itworks.i18n import N_
from itworks.services.errors import InvalidInput, ServiceError


class NotSQLite(ServiceError):
    """Backups of other engines are made with the engine's own tools."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    pages: int


def default_path(instance: Path, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return instance / "backups" / f"itworks-{stamp}.db"


def backup_sqlite(database_url: str, target: Path) -> BackupResult:
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise NotSQLite(
            N_(
                "`itworks backup` はSQLite専用です。PostgreSQLでは pg_dump を使ってください"
                "（例: pg_dump --format=custom --file=itworks.dump DATABASE）。"
                "鍵ファイルは別に保管してください"
            )
        )
    if not url.database or url.database == ":memory:":
        raise InvalidInput({"database": N_("ファイルのデータベースではありません")})
    source = Path(url.database)
    target = Path(target)
    if target.resolve() == source.resolve():
        raise InvalidInput({"file": N_("バックアップ先がデータベース自身です")})
    if target.exists():
        raise InvalidInput({"file": N_("ファイルが既にあります。上書きしません")})
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=-1)  # one step: one consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise ServiceError(N_("バックアップの整合性検査に失敗しました"))
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    return BackupResult(target, target.stat().st_size, pages)
