"""Survey invitations and links, contacts, stage exits, segmentation runs and the
half-year notes: what coordinators do to move people along the funnel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..vocabulary import FUNNEL_STAGES as FUNNEL_STAGES  # re-exported
from .base import Base, PublicIdMixin, TimestampMixin, UTCDateTime, utcnow
from .registrants import Registrant


class InvitationRound(PublicIdMixin, TimestampMixin, Base):
    """One round of survey invitations, optionally split into incentive arms.

    Members are assigned to arms at random with the recorded seed, so the
    assignment can be reproduced and the arms compared fairly.
    """

    __tablename__ = "invitation_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    instrument_id: Mapped[str] = mapped_column(sa.String(64))
    instrument_version: Mapped[int] = mapped_column()
    arms: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class SurveyLink(Base):
    """A personal, expiring, single-use link to answer a survey.

    The URL carries a signed token naming this row's ``token_id``; the row
    binds it to one registrant and records when it was used.
    """

    __tablename__ = "survey_links"
    __table_args__ = (sa.UniqueConstraint("round_id", "registrant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitation_rounds.id", ondelete="CASCADE"), index=True
    )
    arm: Mapped[str | None] = mapped_column(sa.String(64))
    instrument_id: Mapped[str] = mapped_column(sa.String(64))
    instrument_version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    response_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_responses.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    registrant: Mapped[Registrant] = relationship()
    round: Mapped[InvitationRound | None] = relationship()


class ContactLog(Base):
    """A coordinator's contact with a registrant (mail, phone, meeting…), for
    service levels (time to first contact) and re-contact intervals."""

    __tablename__ = "contact_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    contacted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(sa.String(32))
    coordinator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The contact kind (services/engagement/contacts.py CONTACT_KINDS) when recorded
    # there; NULL for a quick log from the re-contact page. Career consultations
    # are Consultation rows, never here, so only they count toward the KPI.
    kind: Mapped[str | None] = mapped_column(sa.String(24))
    outcome_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    notes_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)


class StageExit(Base):
    """A registrant leaving the funnel (or going back to nurturing) at a stage,
    with a coded reason so drop-offs can be counted."""

    __tablename__ = "stage_exits"
    __table_args__ = (
        sa.CheckConstraint(
            "stage IN ('registered', 'surveyed', 'consulted', 'applied', 'attended', "
            "'introduced', 'hired')",
            "stage",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(sa.String(16))
    reason_code: Mapped[str] = mapped_column(sa.ForeignKey("reason_codes.code"))
    exited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class SegmentationRun(Base):
    """One fit of the readiness model, with its metrics and the fitted model (JSON)."""

    __tablename__ = "segmentation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    model_version: Mapped[str] = mapped_column(sa.String(32))
    registrants: Mapped[int] = mapped_column(default=0)
    metrics: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    model_json: Mapped[str | None] = mapped_column(sa.Text)
    started_by: Mapped[str] = mapped_column(sa.String(64))


class HalfYearNote(Base):
    """What was done in the first half, and the countermeasures for the second
    (上期の実施内容 / 下期の対策), per measure and fiscal year."""

    __tablename__ = "half_year_notes"
    __table_args__ = (
        sa.UniqueConstraint("fiscal_year", "measure", "half"),
        sa.CheckConstraint("half IN ('first', 'second')", "half"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column()
    measure: Mapped[str] = mapped_column(sa.String(32))
    half: Mapped[str] = mapped_column(sa.String(8))
    done: Mapped[str] = mapped_column(sa.Text, default="")
    countermeasures: Mapped[str] = mapped_column(sa.Text, default="")
    updated_by: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
