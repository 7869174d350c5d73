"""Declarative base, naming convention and shared column helpers."""

from __future__ import annotations

import re
import secrets
import string
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names let Alembic diff and drop constraints identically on
# SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC on every engine.

    SQLite has no timezone type and hands back naive values; this type
    refuses naive input and always returns aware UTC datetimes, so fiscal-year
    arithmetic never guesses a zone.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


PUBLIC_ID_ALPHABET = string.ascii_letters + string.digits
# What a public id can look like: the alphabet above, at most the column's length.
PUBLIC_ID_SHAPE = re.compile(r"[A-Za-z0-9]{1,32}")
PUBLIC_ID_LENGTH = 22
# What new_public_id makes: told apart from an email or a phone number in a search.
NEW_PUBLIC_ID_SHAPE = re.compile(rf"[A-Za-z0-9]{{{PUBLIC_ID_LENGTH}}}")


def new_public_id() -> str:
    """Random id (about 131 bits) for anything that appears in a URL, never a row number.

    Letters and digits only, so an id never starts with "-" (a CLI option) and
    survives copy-and-paste from mail and spreadsheets.
    """
    # One draw from the OS's random source, written in base 62 (uniform over every
    # id, as 22 separate choices would be, at a 22nd of the system calls).
    n = secrets.randbelow(len(PUBLIC_ID_ALPHABET) ** PUBLIC_ID_LENGTH)
    digits = []
    for _ in range(PUBLIC_ID_LENGTH):
        n, digit = divmod(n, len(PUBLIC_ID_ALPHABET))
        digits.append(PUBLIC_ID_ALPHABET[digit])
    return "".join(digits)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Every model is declared with __tablename__, so its __table__ is a Table;
        # DeclarativeBase types it as the wider FromClause (a mapping onto a select).
        __table__: ClassVar[sa.Table]


class PublicIdMixin:
    public_id: Mapped[str] = mapped_column(
        sa.String(32), unique=True, default=new_public_id, nullable=False
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
