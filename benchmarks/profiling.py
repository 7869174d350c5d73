"""``--profile DIR``: the same scenarios under pyinstrument, for finding why a goal
is missed. The `itworks` commands run as ``python -m pyinstrument -m itworks.cli …``
and the in-process timings inside a pyinstrument Profiler; each writes a text
profile to DIR. Figures from a profiled run carry the profiler's overhead: quote
the figures of a run without ``--profile``."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DIRECTORY: Path | None = None


def _file(name: str) -> Path:
    assert DIRECTORY is not None
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    return DIRECTORY / (re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") + ".txt")


def command(name: str, module_args: list[str]) -> list[str]:
    """``python -m <module_args>``, under pyinstrument when profiling."""
    if DIRECTORY is None:
        return [sys.executable, "-m", *module_args]
    return [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(_file(name)),
            "-m", *module_args]  # fmt: skip


@contextmanager
def profiled(name: str) -> Iterator[None]:
    if DIRECTORY is None:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        _file(name).write_text(profiler.output_text(unicode=True, show_all=False))
