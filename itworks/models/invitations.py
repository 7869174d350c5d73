"""Targeted invitations to an event: a batch (the audience's filter, as sent) and
one invitation per person, each with a personal, expiring, single-use reply link.
See itworks/services/engagement/invitations.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .activity import Event, EventSignup
from .base import Base, PublicIdMixin, TimestampMixin, UTCDateTime, utcnow
from .registrants import Registrant

INVITATION_ANSWERS = ("accepted", "declined")


class InvitationBatch(PublicIdMixin, TimestampMixin, Base):
    """One sending of invitations to an event, with the audience filter it used."""

    __tablename__ = "invitation_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    # The audience filter as sent (codes only, never a personal value).
    filter: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    audience_size: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_label: Mapped[str | None] = mapped_column(sa.String(64))

    event: Mapped[Event] = relationship()


class Invitation(PublicIdMixin, Base):
    """One person invited to one event (never twice: the pair is unique).

    The reply URL carries a signed token naming ``token_id``; ``answered_at``
    spends it. ``tier`` is the person's current tier when invited, for the
    conversion by tier.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "registrant_id"),
        sa.CheckConstraint("answer IS NULL OR answer IN ('accepted', 'declined')", "answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invitation_batches.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    tier: Mapped[str | None] = mapped_column(sa.String(24))
    token_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(sa.String(16))
    signup_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event_signups.id", ondelete="SET NULL")
    )
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )

    batch: Mapped[InvitationBatch] = relationship()
    event: Mapped[Event] = relationship()
    registrant: Mapped[Registrant] = relationship()
    signup: Mapped[EventSignup | None] = relationship()
