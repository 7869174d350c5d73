"""Per-registrant data keys and the check values that tie keys to a database."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, TimestampMixin, UTCDateTime


class DataKey(TimestampMixin, Base):
    """A registrant's own data key, wrapped by the master key (KEK).

    ``wrapped`` becomes NULL when the registrant is erased: without it every
    copy of their ciphertext, backups included, is unreadable.
    """

    __tablename__ = "data_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kek_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    wrapped: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class KeyCheck(TimestampMixin, Base):
    """A value made with a key when the instance was created.

    At start-up the app recomputes it, so a wrong key file is refused before it
    can write anything.
    """

    __tablename__ = "key_checks"

    purpose: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    key_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    check_value: Mapped[bytes] = mapped_column(sa.LargeBinary)
