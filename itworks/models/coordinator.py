"""What a coordinator decides about a registrant beyond a contact: a return to
nurturing (育成に戻す) carries the date of the next contact.

The drop-off or return itself is a ``stage_exits`` row with its reason code (so
the funnel counts the codes); a return to nurturing adds one ``nurture_plans``
row beside it with the next-contact date that 今日の対応 lists when it comes.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class NurturePlan(Base):
    """The next contact planned when a registrant went back to nurturing."""

    __tablename__ = "nurture_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    registrant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrants.id", ondelete="CASCADE"), index=True
    )
    stage_exit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("stage_exits.id", ondelete="CASCADE"), unique=True
    )
    next_contact_on: Mapped[date] = mapped_column(sa.Date, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
