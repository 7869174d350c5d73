"""Registrants: encrypted personal fields beside plain analytics fields."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..vocabulary import ORIGINS as ORIGINS  # re-exported
from .base import Base, PublicIdMixin, TimestampMixin, UTCDateTime, utcnow
from .keys import DataKey

# Personal columns, in the order forms show them. Each is AES-256-GCM under the
# registrant's data key; the associated data names table, column and row.
PERSONAL_FIELDS = ("name", "name_kana", "email", "phone", "employer")


class Registrant(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "registrants"
    __table_args__ = (
        sa.CheckConstraint("origin IN ('u_turn', 'i_turn', 'unknown')", "origin"),
        sa.CheckConstraint("birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100", "birth_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    data_key_id: Mapped[int] = mapped_column(sa.ForeignKey("data_keys.id"), unique=True)

    name_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    name_kana_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    email_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    employer_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)

    residence_prefecture: Mapped[str | None] = mapped_column(sa.String(8))
    birth_year: Mapped[int | None] = mapped_column()
    age_band: Mapped[str | None] = mapped_column(sa.String(16))
    origin: Mapped[str] = mapped_column(sa.String(16), default="unknown")
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    utm_source: Mapped[str | None] = mapped_column(sa.String(200))
    utm_medium: Mapped[str | None] = mapped_column(sa.String(200))
    utm_campaign: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    utm_term: Mapped[str | None] = mapped_column(sa.String(200))
    utm_content: Mapped[str | None] = mapped_column(sa.String(200))
    referrer: Mapped[str | None] = mapped_column(sa.String(2000))

    consent_notice_version: Mapped[str | None] = mapped_column(sa.String(64))
    consent_notice_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    source: Mapped[str] = mapped_column(sa.String(16), default="coordinator")
    # A duplicate found after the fact points at the person it was merged into;
    # counts skip merged rows so one person is counted once.
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrants.id"))
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # No mail is queued or sent to a person who opted out of mail or stopped the
    # use of their data (利用停止); the facts stay counted.
    mail_opt_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    use_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    data_key: Mapped[DataKey] = relationship()
    touches: Mapped[list[UtmTouch]] = relationship(
        back_populates="registrant", order_by="UtmTouch.at"
    )
    identifiers: Mapped[list[RegistrantIdentifier]] = relationship(
        back_populates="registrant", cascade="all, delete-orphan"
    )


class RegistrantIdentifier(Base):
    """A keyed blind index (HMAC) of a normalised email or phone number.

    The unique constraint is what makes concurrent registrations of one person
    end as one registrant: the second insert fails and finds the first.
    """

    __tablename__ = "registrant_identifiers"
    __table_args__ = (
        sa.UniqueConstraint("kind", "digest"),
        sa.CheckConstraint("kind IN ('email', 'phone')", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(8))
    digest: Mapped[str] = mapped_column(sa.String(64))

    registrant: Mapped[Registrant] = relationship(back_populates="identifiers")


class UtmTouch(Base):
    """Every arrival of a person with its attribution, for first/last-touch reports."""

    __tablename__ = "utm_touches"

    id: Mapped[int] = mapped_column(primary_key=True)
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    channel: Mapped[str] = mapped_column(sa.String(32))
    utm_source: Mapped[str | None] = mapped_column(sa.String(200))
    utm_medium: Mapped[str | None] = mapped_column(sa.String(200))
    utm_campaign: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    utm_term: Mapped[str | None] = mapped_column(sa.String(200))
    utm_content: Mapped[str | None] = mapped_column(sa.String(200))
    referrer: Mapped[str | None] = mapped_column(sa.String(2000))

    registrant: Mapped[Registrant] = relationship(back_populates="touches")
