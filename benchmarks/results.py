"""One row of the results: a figure, its unit, the peer or limit beside it, the
ratio, the goal and whether it was met; the table and the JSON."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    scenario: str
    value: float
    unit: str
    goal: str
    met: bool | None
    peer: float | None = None  # the peer's or the limit's figure, in the same unit
    peer_label: str | None = None
    ratio: float | None = None
    note: str = ""
    # "positive": a speed or a size that must be > 0; "count": may be 0 (errors)
    kind: str = "positive"

    def sane(self) -> bool:
        """A figure a smoke run can trust: finite, and positive unless it counts errors."""
        numbers = [self.value] + ([self.peer] if self.peer is not None else [])
        if any(not isinstance(v, int | float) or not math.isfinite(v) for v in numbers):
            return False
        if self.kind == "count":
            return self.value >= 0
        return self.value > 0 and (self.peer is None or self.peer > 0)

    def as_json(self) -> dict:
        def clean(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else round(v, 4)

        return {
            "scenario": self.scenario,
            "value": clean(self.value),
            "unit": self.unit,
            "ratio": clean(self.ratio),
            "goal": self.goal,
            "met": self.met,
            "peer": clean(self.peer),
            "peer_label": self.peer_label,
            "note": self.note,
        }


def failed(scenario: str, unit: str, goal: str, why: str) -> Result:
    return Result(scenario, math.nan, unit, goal, False, note=f"FAILED: {why}")


def median_ms(
    call: Callable[[], object], rounds: int, warm: int = 3, name: str | None = None
) -> float:
    """The median wall time of ``call`` in ms, after ``warm`` untimed calls
    (profiled as ``name`` under ``--profile``)."""
    import time

    from . import profiling

    for _ in range(warm):
        call()
    times = []
    with profiling.profiled(name or "median"):
        for _ in range(rounds):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _fmt(v: float | None) -> str:
    if v is None:
        return "—"
    if not math.isfinite(v):
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


COLUMNS = ("scenario", "value", "unit", "peer/limit", "ratio", "goal", "met")


def rows(results: Iterable[Result]) -> list[list[str]]:
    out = []
    for r in results:
        peer = "—" if r.peer is None else f"{_fmt(r.peer)} ({r.peer_label})"
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}×"
        met = {True: "yes", False: "NO", None: "—"}[r.met]
        out.append([r.scenario, _fmt(r.value), r.unit, peer, ratio, r.goal, met])
    return out


def table(results: list[Result]) -> str:
    """A plain-text table for the terminal."""
    body = rows(results)
    widths = [max(len(c), *(len(row[i]) for row in body)) for i, c in enumerate(COLUMNS)]
    line = "  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))
    lines = [line, "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in body]
    notes = [f"  {r.scenario}: {r.note}" for r in results if r.note]
    return "\n".join(lines + (["", "notes:", *notes] if notes else []))


def markdown(results: list[Result]) -> str:
    body = rows(results)
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(v.replace("|", "\\|") for v in row) + " |" for row in body]
    return "\n".join(lines)


def write_json(path: Path, results: list[Result]) -> None:
    path.write_text(
        json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
