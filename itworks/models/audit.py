"""The audit trail: who did what to which record, never the personal values.

Entries form a hash chain: each entry's ``hash`` covers its own content and the
``prev_hash`` of the entry before it (``seq`` - 1), so an edited entry no longer
matches its hash and a deleted one breaks the link to its successor. The single
``audit_chain_head`` row holds the last ``seq`` and ``hash``; every append locks
it (``SELECT … FOR UPDATE`` on PostgreSQL, the write lock on SQLite) so two
writers can never fork the chain, and truncating the tail is detected too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from .. import crypto
from .base import Base, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (sa.UniqueConstraint("seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(sa.String(64), index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    entity_type: Mapped[str | None] = mapped_column(sa.String(32))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # ok / failed / refused (vocabulary.AUDIT_OUTCOMES)
    outcome: Mapped[str] = mapped_column(sa.String(16), default="ok", server_default="ok")
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    def chain_fields(self) -> dict[str, Any]:
        """What the hash covers (not ``user_id``: deleting a user nulls it; ``actor``
        names them)."""
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "outcome": self.outcome,
            "detail": self.detail or {},
        }


class AuditChainHead(Base):
    """The one row that names the chain's last entry; appending locks it."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS_HASH)


def entry_hash(fields: dict[str, Any], prev_hash: str) -> str:
    return crypto.audit_entry_hash(fields, prev_hash)


def _lock_head(session: Session) -> tuple[int, str]:
    """Take the chain head for this transaction (held until it commits)."""
    table = AuditChainHead.__table__
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # A write first, so the write lock is held before the head is read.
        connection.execute(table.update().where(table.c.id == 1).values(seq=table.c.seq))
        row = connection.execute(
            sa.select(table.c.seq, table.c.hash).where(table.c.id == 1)
        ).first()
    else:
        row = connection.execute(
            sa.select(table.c.seq, table.c.hash).where(table.c.id == 1).with_for_update()
        ).first()
    if row is None:
        connection.execute(table.insert().values(id=1, seq=0, hash=GENESIS_HASH))
        return 0, GENESIS_HASH
    return int(row.seq), str(row.hash)


def _chain_new_events(session: Session, _context: Any, _instances: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, AuditEvent) and obj.hash is None]
    if not new:
        return
    seq, prev = _lock_head(session)
    for event in new:
        if event.at is None:
            event.at = utcnow()
        if event.outcome is None:
            event.outcome = "ok"
        if event.detail is None:
            event.detail = {}
        seq += 1
        event.seq = seq
        event.prev_hash = prev
        event.hash = prev = entry_hash(event.chain_fields(), prev)
    table = AuditChainHead.__table__
    session.connection().execute(table.update().where(table.c.id == 1).values(seq=seq, hash=prev))


sa.event.listen(Session, "before_flush", _chain_new_events)
