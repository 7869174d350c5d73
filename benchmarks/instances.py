"""Benchmark instances (folder, keys, config, database) and measured CLI runs.

Every instance is made the way an operator makes one (`itworks init`), in a
temporary folder; a PostgreSQL instance gets a database of its own
(``bench_<pid>_<label>``), dropped at the end. The `itworks` commands run in a
subprocess, so their wall time includes start-up and their peak memory is that
process's own (``os.wait4`` resource usage).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from . import profiling
from .dataset import AS_OF


@dataclass
class Measured:
    seconds: float
    peak_mb: float
    returncode: int
    output: str


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the caller's ITWORKS_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITWORKS_")}
    env.update(extra)
    return env


def measure(command: list[str], env: dict[str, str], cwd: Path | None = None) -> Measured:
    """Run ``command`` to its end; wall seconds and the process's peak RSS in MB."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", errors="replace")
    return Measured(seconds, usage.ru_maxrss / 1024, process.returncode, text)


class Instance:
    """One instance folder and its database."""

    def __init__(self, root: Path, label: str, database_url: str, admin_url: str | None = None):
        self.path = root / label
        self.label = label
        self.database_url = database_url
        self.admin_url = admin_url  # PostgreSQL: where to drop our database
        self._app = None

    @property
    def engine_name(self) -> str:
        return "PostgreSQL" if self.database_url.startswith("postgresql") else "SQLite"

    def env(self) -> dict[str, str]:
        return clean_env(ITWORKS_INSTANCE=str(self.path))

    def itworks(self, *args: str) -> Measured:
        if args[0] == "init":
            return measure([sys.executable, "-m", "itworks.cli", *args], self.env())
        name = f"{self.label}-{'-'.join(args[:2])}"
        return measure(profiling.command(name, ["itworks.cli", *args]), self.env())

    def create(self, keys_from: Instance | None = None) -> None:
        """`itworks init` with our config (database, the dataset's as-of date)."""
        self.path.mkdir(parents=True)
        (self.path / "config.toml").write_text(
            f'DATABASE_URL = "{self.database_url}"\nAS_OF_DATE = "{AS_OF.isoformat()}"\n',
            encoding="utf-8",
        )
        if keys_from is not None:
            shutil.copytree(keys_from.path / "keys", self.path / "keys")
            os.chmod(self.path / "keys", 0o700)
        result = self.itworks("init")
        if result.returncode != 0:
            raise RuntimeError(f"itworks init failed for {self.label}: {result.output[-2000:]}")

    def app(self):  # noqa: ANN201
        """The service's Flask app on this instance, in this process."""
        if self._app is None:
            from itworks import create_app

            app = create_app({"INSTANCE_PATH": str(self.path)})
            app.config["SESSION_COOKIE_SECURE"] = False  # the test client speaks plain HTTP
            self._app = app
        return self._app

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.database_url)

    def vault(self):  # noqa: ANN201
        from itworks import crypto

        return crypto.load_vault(self.path / "keys", environ={})

    def close(self) -> None:
        if self._app is not None:
            from itworks.db import db

            with self._app.app_context():
                db.engine.dispose()
            self._app = None


class Postgres:
    """Our own databases on the PostgreSQL server (never anybody else's)."""

    def __init__(self, server_url: str) -> None:
        self.server = sa.engine.make_url(server_url)
        admin = self.server.set(database=self.server.database or "postgres")
        self.admin = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def available(self) -> str | None:
        """None when the server answers, else why not."""
        try:
            with self.admin.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL
            return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return None

    def create(self, suffix: str) -> str:
        name = f"bench_{os.getpid()}_{suffix}"
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.server.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for name in self.created:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.created.clear()
        self.admin.dispose()
