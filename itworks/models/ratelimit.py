"""Counters of the request rate limits, shared by every worker and server."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class RateLimitCounter(Base):
    """One fixed-window counter of Flask-Limiter's database storage.

    ``key`` is the SHA-256 of the limiter's key, which names the client's
    address: the address itself is not stored. ``expires_at`` is a Unix time.
    """

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer)
    expires_at: Mapped[float] = mapped_column(sa.Float, index=True)
