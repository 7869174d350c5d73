"""Registrants' requests about their own data (開示・訂正・利用停止・削除) and the
history of corrected values. See itworks/services/privacy/."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, PublicIdMixin, TimestampMixin, UTCDateTime, utcnow


class PrivacyRequest(PublicIdMixin, TimestampMixin, Base):
    """One request from a registrant, with the day it came in and how it was answered,
    so the operator can show the prefecture its answer times. No personal value:
    the person is named by row and public id, a correction by the field's name."""

    __tablename__ = "privacy_requests"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('disclosure', 'correction', 'stop_use', 'erasure')", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), index=True)
    registrant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="SET NULL"), index=True
    )
    received_on: Mapped[date] = mapped_column(sa.Date)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    answered_via: Mapped[str | None] = mapped_column(sa.String(16))
    handled_by: Mapped[str] = mapped_column(sa.String(64))
    # Codes and counts only (the corrected field's name, the files written…).
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class FieldHistory(PublicIdMixin, Base):
    """A personal field's value before a correction, encrypted under the registrant's
    own data key (associated data: this table, ``old_value``, this row's public id),
    so erasure shreds the history with everything else."""

    __tablename__ = "registrant_field_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(sa.String(32))
    old_value_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by: Mapped[str] = mapped_column(sa.String(64))
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("privacy_requests.id", ondelete="SET NULL")
    )
