"""One page of a long list: the rows shown, how many there are in all, and the
page count. Every paged list (registrants, tier lists, re-contact, audit) uses it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

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
    session: Session, query: sa.Select[*tuple[Any, ...]], page: int, page_size: int
) -> tuple[list[sa.Row[*tuple[Any, ...]]], int, int]:
    """The rows of page ``page`` (at least 1) of ``query`` (already ordered), the
    number of rows in all, and the page actually shown."""
    counted = query.order_by(None).subquery()  # the order changes no count
    total = session.scalar(sa.select(sa.func.count()).select_from(counted)) or 0
    page = max(1, page)
    rows = session.execute(query.offset((page - 1) * page_size).limit(page_size)).all()
    return list(rows), total, page
