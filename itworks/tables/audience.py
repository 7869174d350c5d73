"""Who a published table is for: coordinators see every count, prefecture staff see
aggregates with small cells suppressed."""

from __future__ import annotations

from dataclasses import dataclass

from itworks.tables.suppression import DEFAULT_K

COORDINATOR = "coordinator"
PREFECTURE = "prefecture"
AUDIENCES = (COORDINATOR, PREFECTURE)


@dataclass(frozen=True)
class Audience:
    """An audience code and, for the prefecture, the small-cell threshold ``k``."""

    code: str
    k: int | None = None

    def __post_init__(self) -> None:
        if self.code not in AUDIENCES:
            raise ValueError(f"unknown audience {self.code!r}")
        if (self.code == PREFECTURE) != (self.k is not None):
            raise ValueError("k is given for the prefecture audience, and only for it")

    @classmethod
    def coordinator(cls) -> Audience:
        return cls(COORDINATOR)

    @classmethod
    def prefecture(cls, k: int = DEFAULT_K) -> Audience:
        return cls(PREFECTURE, int(k))

    @property
    def suppressed(self) -> bool:
        return self.k is not None
