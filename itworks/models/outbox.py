"""The transactional mail outbox: a message is a row written in the same
transaction as the records it belongs to (an invitation, a reminder), and a
worker delivers it later. See itworks/services/engagement/outbox.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, PublicIdMixin, TimestampMixin, UTCDateTime, utcnow
from .registrants import Registrant


class OutboxMessage(PublicIdMixin, TimestampMixin, Base):
    """One mail to one registrant, stored as a template code and parameters.

    No personal value is stored here: the recipient's address and name are
    decrypted from the registrant's row when the message is sent, so erasing
    the registrant (crypto-shredding) also voids their queued mail.

    ``message_id`` is the RFC 5322 Message-ID, fixed when the message is
    queued; it is the idempotency key that lets a restart tell whether a
    message was already handed over (see the outbox service).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", "status"),
        sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    template: Mapped[str] = mapped_column(sa.String(64))
    lang: Mapped[str] = mapped_column(sa.String(8), default="ja")
    # Non-personal values the template fills in (event title, reply link…).
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # What the message belongs to, e.g. ("invitation", <public id>), for the lists.
    purpose: Mapped[str | None] = mapped_column(sa.String(32))
    subject_id: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A reason code (see services/engagement/outbox.py FAILURE_REASONS), never a
    # server's reply text, which can quote the address.
    reason: Mapped[str | None] = mapped_column(sa.String(32))
    last_error: Mapped[str | None] = mapped_column(sa.String(64))

    registrant: Mapped[Registrant] = relationship()
