"""One page of a long list: the rows shown, how many there are in all, and the
page count. Every paged list (registrants, tier lists, re-contact, audit) uses it."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.services import reuse

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    rows: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def fetch(
    session: Session,
    query: sa.Select[*tuple[Any, ...]],
    page: int,
    page_size: int,
    *,
    count_key: Hashable | None = None,
) -> tuple[list[sa.Row[*tuple[Any, ...]]], int, int]:
    """The rows of page ``page`` (at least 1) of ``query`` (already ordered), the
    number of rows in all, and the page actually shown.

    With ``count_key`` (no personal value in it) the count is reused while no
    write could have changed it (services.reuse)."""
    counted = query.order_by(None).subquery()  # the order changes no count

    def count() -> int:
        return session.scalar(sa.select(sa.func.count()).select_from(counted)) or 0

    total = count() if count_key is None else reuse.reused(session, ("count", count_key), count)
    page = max(1, page)
    rows = session.execute(query.offset((page - 1) * page_size).limit(page_size)).all()
    return list(rows), total, page
