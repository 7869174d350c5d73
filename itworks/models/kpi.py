"""Contract targets and the history the prefecture's specification records."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..vocabulary import MEASURES as MEASURES  # re-exported
from .base import Base, UTCDateTime, utcnow


class FiscalYearPlan(Base):
    """The contract period of one fiscal year; it can end before 31 March."""

    __tablename__ = "fiscal_year_plans"

    fiscal_year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    contract_start: Mapped[date] = mapped_column(sa.Date)
    contract_end: Mapped[date] = mapped_column(sa.Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class KpiTarget(Base):
    __tablename__ = "kpi_targets"
    __table_args__ = (
        sa.UniqueConstraint("fiscal_year", "measure"),
        sa.CheckConstraint(
            "measure IN ('hires', 'new_registrants', 'consultations', 'fair_signups')", "measure"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column()
    measure: Mapped[str] = mapped_column(sa.String(32))
    kind: Mapped[str] = mapped_column(sa.String(8))
    target: Mapped[int] = mapped_column()
    former_target: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class KpiHistory(Base):
    """A fiscal year before this service existed, as the specification reports it."""

    __tablename__ = "kpi_history"

    fiscal_year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    new_registrants: Mapped[int | None] = mapped_column()
    consultations: Mapped[int | None] = mapped_column()
    fair1_attendance: Mapped[int | None] = mapped_column()
    fair2_attendance: Mapped[int | None] = mapped_column()
    fair3_attendance: Mapped[int | None] = mapped_column()
    fair_signups: Mapped[int | None] = mapped_column()
    hires: Mapped[int | None] = mapped_column()
    source: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Setting(Base):
    """Instance-wide facts the app must remember (e.g. that this is a demo instance)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)
