"""Staff accounts, their login sessions and failed-login records."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..vocabulary import ROLES as ROLES  # re-exported
from .base import Base, TimestampMixin, UTCDateTime, utcnow


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint("role IN ('admin', 'coordinator', 'prefecture')", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16))
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sessions: Mapped[list[LoginSession]] = relationship(back_populates="user")


class LoginSession(Base):
    """A server-side record of one login, so logout can really end it.

    The browser cookie only carries the random session id, and the row keeps
    only its SHA-256, so a copy of the database opens no session; revoking the
    row makes a copied cookie worthless.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="sessions")


class LoginFailure(Base):
    """One failed login, keyed by a keyed hash of the typed username.

    Unknown and known usernames are throttled alike, and what was typed (it
    may be a password pasted into the wrong box) is never stored.
    """

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiToken(Base):
    """A bearer token for the JSON API. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (sa.CheckConstraint("scope IN ('intake', 'read')", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(16))
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
