"""Results reused while nothing they read has changed: a small per-process cache,
per engine (so per database), validated by the figures generation.

Every commit that writes a table a figure or a count could read bumps the
generation in the same transaction (``models.performance``), so a reused result
is served only while it is still exact, in this process or any other, whatever
wrote the data; the check costs one one-row query. Keys must hold no personal
value (they stay in memory).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from sqlalchemy.orm import Session

T = TypeVar("T")

ENTRIES = 64
"""Results kept per engine; the oldest goes first."""

_ATTRIBUTE = "_itworks_reuse_cache"


def reused(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave before under ``key`` while no write that could
    change it has been committed since."""
    from itworks.models.performance import current_generation

    generation = current_generation(session.connection())
    cache: dict = session.get_bind().__dict__.setdefault(_ATTRIBUTE, {})
    hit = cache.get(key)
    if hit is not None and hit[0] == generation:
        return cast(T, hit[1])
    result = compute()
    cache.pop(key, None)
    cache[key] = (generation, result)
    while len(cache) > ENTRIES:
        cache.pop(next(iter(cache)))
    return result


def forget(session_or_engine: object) -> None:
    """Drop every reused result of an engine (tests that recompute on purpose)."""
    bind = getattr(session_or_engine, "get_bind", lambda: session_or_engine)()
    bind.__dict__.pop(_ATTRIBUTE, None)
