"""An event's materials (成果物: slides, flyers, photos): metadata rows here, the
files themselves under <instance>/materials/<event public id>/.
See itworks/services/engagement/materials.py."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .activity import Event
from .base import Base, PublicIdMixin, UTCDateTime, utcnow


class EventMaterial(PublicIdMixin, Base):
    """One file kept with an event, with its SHA-256 so a copy can be checked."""

    __tablename__ = "event_materials"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('slides', 'flyer', 'photo', 'other')", "kind"),
        sa.UniqueConstraint("event_id", "stored_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16))
    # The name as uploaded (cleaned: no folders), and the name on disk.
    filename: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    event: Mapped[Event] = relationship()
