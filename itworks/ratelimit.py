"""Per-address rate limits with the ``limits`` library (the one behind
Flask-Limiter), their counters in the service's own database.

Every gunicorn worker and every server behind the same database shares them,
with no extra component to run; where Redis is configured
(``RATE_LIMIT_STORAGE_URL = "redis://…"``) the library's Redis storage is used
instead. Ground floor: SQLAlchemy and ``limits`` only, no Flask. (Flask-Limiter
itself keeps one storage per extension object, shared by every app of a
process, so each app holds its own ``AddressLimit`` here.)

Only the fixed-window strategy is supported (it needs just ``incr``/``get``).
A counter's key is stored as its SHA-256, so the table never holds a client's
address; expired counters are deleted as new ones are written.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any, cast

import sqlalchemy as sa
from limits import parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy.dialects import postgresql, sqlite

from .models.ratelimit import RateLimitCounter

log = logging.getLogger(__name__)
SCHEME = "itworks+db"
TABLE = RateLimitCounter.__table__


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class DatabaseStorage(Storage):
    """``limits`` storage on the ``rate_limit_counters`` table (SQLite or PostgreSQL)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        engine: sa.Engine | None = None,
        **options: Any,
    ) -> None:
        if engine is None:
            raise ValueError("DatabaseStorage needs the engine (storage option 'engine')")
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        fresh = self._insert(TABLE).values(key=_digest(key), count=amount, expires_at=now + expiry)
        expired = TABLE.c.expires_at <= now
        upsert = fresh.on_conflict_do_update(
            index_elements=[TABLE.c.key],
            set_={
                "count": sa.case((expired, amount), else_=TABLE.c.count + amount),
                "expires_at": sa.case((expired, now + expiry), else_=TABLE.c.expires_at),
            },
        ).returning(TABLE.c.count)
        with self.engine.begin() as connection:
            count = connection.scalar(upsert)
            connection.execute(sa.delete(TABLE).where(TABLE.c.expires_at < now))
        return int(count or 0)

    def _row(self, key: str) -> sa.Row[Any, Any] | None:
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(TABLE.c.count, TABLE.c.expires_at).where(
                    TABLE.c.key == _digest(key), TABLE.c.expires_at > time.time()
                )
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        # Row.count is the column: Row resolves column names before Sequence.count, which
        # is the method the stubs see.
        return int(row.count) if row else 0  # type: ignore[call-overload]

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.select(sa.func.count()).select_from(TABLE))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(sa.delete(TABLE)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(sa.delete(TABLE).where(TABLE.c.key == _digest(key)))


def storage(url: str, engine: sa.Engine) -> Storage:
    """The configured counter storage: a ``limits`` URL (``redis://…``) or, by
    default, this database."""
    if url:
        # Only an async+… URL gives an asyncio storage; the limiter is configured with sync ones.
        return cast(Storage, storage_from_string(url))
    return DatabaseStorage(f"{SCHEME}://", engine=engine)


class AddressLimit:
    """A cap on how often one client address may fail, e.g. "20 per 10 minutes".

    ``allowed`` is asked before the attempt and ``failed`` is told after a
    failure, so successful attempts never count. If the storage is down the
    limit lets the request through and logs it: the per-username lockout
    still applies, and an outage of Redis must not lock every user out.
    """

    def __init__(self, storage: Storage, limit: str, scope: str) -> None:
        self.item = parse(limit)
        self.scope = scope
        self.window = FixedWindowRateLimiter(storage)

    def allowed(self, address: str) -> bool:
        try:
            return self.window.test(self.item, self.scope, address)
        except Exception as exc:  # noqa: BLE001  (any storage failure: fail open, logged)
            log.warning(
                "rate-limit storage unavailable (%s); %s not limited",
                type(exc).__name__,
                self.scope,
            )
            return True

    def failed(self, address: str) -> None:
        try:
            self.window.hit(self.item, self.scope, address)
        except Exception as exc:  # noqa: BLE001
            log.warning(
                "rate-limit storage unavailable (%s); %s not counted",
                type(exc).__name__,
                self.scope,
            )
