"""The benchmark harness cannot rot: ``python -m benchmarks.run`` as a user runs it.

Always (about 15 s of CPU, mostly two `itworks init`): the smallest dataset filled
into SQLite and PostgreSQL (by COPY, as every run does), checked by the harness
itself, and the funnel scenario on each engine: exit 0, the JSON as scripts read it,
figures that count something and are the same on every engine. (COPY against
executemany on PostgreSQL: test_benchmark_fill.py.)

With ITWORKS_BENCH_SMOKE=1 also every scenario (``--smoke``, 1–3 minutes, too slow
for the per-change CI budget): each must run and give finite, positive figures.
Speed is judged by neither (a shared machine cannot).

PostgreSQL is included when the server answers (the ITWORKS_TEST_DATABASE_URL
server, else 127.0.0.1:5432); with ITWORKS_REQUIRE_POSTGRES=1 it must answer.
"""

from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
KEYS = {"scenario", "value", "unit", "ratio", "goal", "met"}


def _postgres() -> str:
    """The server to give ``--database-url``, or "none"."""
    url = os.environ.get("ITWORKS_TEST_DATABASE_URL") or DEFAULT_SERVER
    server = sa.engine.make_url(url).set(database="postgres")
    engine = sa.create_engine(server)
    try:
        with engine.connect():
            return server.set(database=None).render_as_string(hide_password=False)
    except Exception:  # noqa: BLE001
        if os.environ.get("ITWORKS_REQUIRE_POSTGRES") == "1":
            pytest.fail("ITWORKS_REQUIRE_POSTGRES=1 but PostgreSQL is unreachable")
        return "none"
    finally:
        engine.dispose()


def _run(out: Path, server: str, *args: str, timeout: int) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITWORKS_")}
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--json", str(out), "--database-url", server,
         *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def _engines(server: str) -> set[str]:
    return {"SQLite"} | ({"PostgreSQL"} if server != "none" else set())


def test_harness_fills_checks_and_counts_the_funnel(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    server = _postgres()
    run = _run(out, server, "--size", "100", "--only", "3 funnel", "--rounds", "3",
               timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "DATASET REFUSED" not in run.stdout
    if server != "none":  # the harness compared the engines row by row
        assert "the same rows on SQLite (insert) / PostgreSQL (copy)" in run.stderr
    results = json.loads(out.read_text(encoding="utf-8"))
    assert all(KEYS <= set(r) for r in results)
    assert {r["scenario"][0] for r in results} == {"0", "3"}
    counted = {}
    for engine in _engines(server):
        name = f"3 funnel ({engine}): endpoint vs raw SQL"
        (row,) = [r for r in results if r["scenario"] == name]
        assert math.isfinite(row["value"]) and row["value"] > 0, row
        counted[engine] = ast.literal_eval(row["note"].split("same numbers: ", 1)[1])
        assert counted[engine]["new_registrants"] > 0, row
        assert sum(counted[engine]["fair_attendance"]) > 0, row
    assert len({json.dumps(c, sort_keys=True) for c in counted.values()}) == 1, counted


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("ITWORKS_BENCH_SMOKE") != "1", reason="every scenario: ITWORKS_BENCH_SMOKE=1"
)
def test_harness_smoke_every_scenario(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy_utils")
    out = tmp_path / "results.json"
    server = _postgres()
    run = _run(out, server, "--size", "200", "--smoke", "--rounds", "3", "--load-seconds", "1",
               "--intake-seconds", "1", timeout=900)  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert all(KEYS <= set(r) for r in results)
    assert {r["scenario"][0] for r in results} == set("01234567")
    for r in results:
        assert isinstance(r["value"], int | float) and math.isfinite(r["value"]), r
        assert isinstance(r["met"], bool) or r["met"] is None, r
        if r["unit"] != "errors":
            assert r["value"] > 0, r
        if r["ratio"] is not None and r["peer"]:
            assert r["ratio"] == pytest.approx(r["value"] / r["peer"], rel=1e-2), r
    engines = _engines(server)
    for prefix in ("3 funnel", "5 intake"):
        assert {e for e in engines if any(r["scenario"].startswith(f"{prefix} ({e})")
                                          for r in results)} == engines  # fmt: skip
    # the printed table is the same rows
    assert "scenario" in run.stdout and "1 import: rows/s vs peer" in run.stdout
