"""What happens to a registrant after sign-up: surveys, consultations, events,
introductions to employers, hires, and the tiers coordinators confirm."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..vocabulary import EVENT_KINDS, INTRODUCTION_STATUSES, SIGNUP_STATUSES, TIERS
from .base import Base, PublicIdMixin, TimestampMixin, UTCDateTime, utcnow
from .registrants import Registrant

__all__ = ["EVENT_KINDS", "INTRODUCTION_STATUSES", "SIGNUP_STATUSES", "TIERS"]


class ReasonCode(Base):
    """Coded reasons (drop-out, failed match, back to nurturing…), so they can be counted."""

    __tablename__ = "reason_codes"

    code: Mapped[str] = mapped_column(sa.String(48), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), index=True)
    label_ja: Mapped[str] = mapped_column(sa.String(200))
    label_en: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)


class SurveyResponse(PublicIdMixin, Base):
    """One completed answer sheet. Coded answers are plain; free text is encrypted."""

    __tablename__ = "survey_responses"
    __table_args__ = (sa.CheckConstraint("channel IN ('web', 'interview', 'import')", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    instrument_id: Mapped[str] = mapped_column(sa.String(64))
    instrument_version: Mapped[int] = mapped_column()
    channel: Mapped[str] = mapped_column(sa.String(16))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    free_text_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    registrant: Mapped[Registrant] = relationship()


class Consultation(PublicIdMixin, Base):
    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    held_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32), default="career")
    channel: Mapped[str | None] = mapped_column(sa.String(32))
    coordinator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    notes_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    # Free text under the registrant's data key, like the notes.
    outcome_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)

    registrant: Mapped[Registrant] = relationship()


class Event(PublicIdMixin, TimestampMixin, Base):
    """A study session, meet-up or one of the year's job fairs."""

    __tablename__ = "events"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('fair', 'study_session', 'meetup', 'company_exchange', 'other')", "kind"
        ),
        sa.CheckConstraint("fair_number IS NULL OR fair_number BETWEEN 1 AND 9", "fair_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    venue: Mapped[str | None] = mapped_column(sa.String(200))
    online: Mapped[bool] = mapped_column(default=False)
    fair_number: Mapped[int | None] = mapped_column()
    capacity: Mapped[int | None] = mapped_column()


class EventSignup(Base):
    __tablename__ = "event_signups"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "registrant_id"),
        sa.CheckConstraint(
            "status IN ('applied', 'waitlisted', 'attended', 'no_show', 'cancelled')", "status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    signed_up_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(sa.String(16), default="coordinator")
    status: Mapped[str] = mapped_column(sa.String(16), default="applied")
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    event: Mapped[Event] = relationship()
    registrant: Mapped[Registrant] = relationship()


class Company(PublicIdMixin, TimestampMixin, Base):
    """A Shimane IT employer. Company data is not personal data."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    city: Mapped[str | None] = mapped_column(sa.String(64))
    shimane_it: Mapped[bool] = mapped_column(default=True)
    # The contact person is personal data: encrypted under the company's own data
    # key (a data_keys row like a registrant's), so it rotates and can be shredded.
    data_key_id: Mapped[int | None] = mapped_column(sa.ForeignKey("data_keys.id"), unique=True)
    contact_name_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    contact_email_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    contact_phone_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)


class Introduction(PublicIdMixin, Base):
    """A registrant introduced to an employer, and how it went."""

    __tablename__ = "introductions"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('introduced', 'interviewing', 'offered', 'hired', 'declined')",
            "status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id"))
    introduced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(16), default="introduced")
    reason_code: Mapped[str | None] = mapped_column(sa.ForeignKey("reason_codes.code"))
    follow_up_on: Mapped[date | None] = mapped_column(sa.Date)
    stage_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Started from a fair that ended without a match (continued support after the fair).
    fair_follow_up: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The third-party provision record the introduction was made under.
    provision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("third_party_provisions.id"))


class Hire(PublicIdMixin, Base):
    """A registrant hired by a Shimane IT company: the KGI."""

    __tablename__ = "hires"

    id: Mapped[int] = mapped_column(primary_key=True)
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"))
    introduction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("introductions.id"))
    hired_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    starts_on: Mapped[date | None] = mapped_column(sa.Date)
    turn: Mapped[str | None] = mapped_column(sa.String(8))  # u_turn | i_turn
    moved_on: Mapped[date | None] = mapped_column(sa.Date)  # moved to Shimane, when known


class TierAssignment(Base):
    """One proposal or confirmation of a readiness tier; the history is kept."""

    __tablename__ = "tier_assignments"
    __table_args__ = (
        sa.CheckConstraint(
            "tier IN ('move_now', 'few_years', 'region_undecided', 'one_option')", "tier"
        ),
        sa.CheckConstraint("method IN ('model', 'coordinator', 'import')", "method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    tier: Mapped[str] = mapped_column(sa.String(24))
    method: Mapped[str] = mapped_column(sa.String(16))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    model_version: Mapped[str | None] = mapped_column(sa.String(32))
    confidence: Mapped[float | None] = mapped_column()
    persona: Mapped[str | None] = mapped_column(sa.String(200))
    explanation: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    reason_code: Mapped[str | None] = mapped_column(sa.ForeignKey("reason_codes.code"))
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("segmentation_runs.id"), index=True)


class Campaign(PublicIdMixin, TimestampMixin, Base):
    """A publicity action (web advert, SNS, media, event) with its cost and reach."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    channel: Mapped[str] = mapped_column(sa.String(32))
    utm_campaign: Mapped[str] = mapped_column(sa.String(200), unique=True)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    cost_yen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    reach_target: Mapped[int | None] = mapped_column()
    reach_actual: Mapped[int | None] = mapped_column()
    clicks: Mapped[int | None] = mapped_column()
    evaluation: Mapped[str | None] = mapped_column(sa.Text)
