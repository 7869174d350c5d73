"""Employer matching: third-party provision records, the stage history of
introductions, and the settling-in follow-ups of hires."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, PublicIdMixin, TimestampMixin, UTCDateTime, utcnow

PROVISION_ITEMS = ("name", "name_kana", "email", "phone", "employer", "career", "survey")
SETTLING_OUTCOMES = ("still_employed", "changed_employer_shimane", "left_shimane")


class ThirdPartyProvision(PublicIdMixin, TimestampMixin, Base):
    """A registrant's data handed to a company (個人情報保護法 第三者提供の記録):
    the recipient, the items, the date and the basis (consent, with its time)."""

    __tablename__ = "third_party_provisions"
    __table_args__ = (sa.CheckConstraint("basis IN ('consent')", "basis"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    items: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    provided_on: Mapped[date] = mapped_column(sa.Date)
    basis: Mapped[str] = mapped_column(sa.String(16), default="consent")
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    keep_until: Mapped[date] = mapped_column(sa.Date)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class IntroductionStage(Base):
    """One stage an introduction reached, with its time (and reason, for declined)."""

    __tablename__ = "introduction_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    introduction_id: Mapped[int] = mapped_column(
        sa.ForeignKey("introductions.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason_code: Mapped[str | None] = mapped_column(sa.ForeignKey("reason_codes.code"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class SettlingFollowUp(Base):
    """A hire's settling-in (定着) check at 3 or 12 months, and how it went."""

    __tablename__ = "settling_follow_ups"
    __table_args__ = (
        sa.UniqueConstraint("hire_id", "months"),
        sa.CheckConstraint("months IN (3, 12)", "months"),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN "
            "('still_employed', 'changed_employer_shimane', 'left_shimane')",
            "outcome",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hire_id: Mapped[int] = mapped_column(sa.ForeignKey("hires.id", ondelete="CASCADE"))
    months: Mapped[int] = mapped_column()
    due_on: Mapped[date] = mapped_column(sa.Date, index=True)
    outcome: Mapped[str | None] = mapped_column(sa.String(32))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
