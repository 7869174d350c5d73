"""Benchmark: `itworks segment` on 100,000 registrants must finish in under 10 s.

With 10% of them confirmed (10,000 labels), the fit learns a correction
from every confirmed tier. Not part of the normal suite (it takes about a
minute with the set-up). Run it
with::

    ITWORKS_BENCH=1 pytest -q -s tests/bench/test_segment_bench.py

(add ``ITWORKS_TEST_DATABASE_URL=postgresql+psycopg://…`` for PostgreSQL).
The people are written straight into the tables (no encryption: segmentation
never reads a personal field); the timed part is the whole command: reading
the answers and engagement, fitting, explaining, writing 100,000 assignments
and the run. It prints the time as a share of the limit and the CPU time per
phase (less noisy than wall time on a shared machine).
"""

from __future__ import annotations

import json
import os
import random
import time
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("ITWORKS_BENCH") != "1", reason="benchmark: set ITWORKS_BENCH=1 to run"
)

N = int(os.environ.get("ITWORKS_BENCH_ROWS", "100000"))
LIMIT_SECONDS = float(os.environ.get("ITWORKS_BENCH_LIMIT", "10"))
"""Issue 14: under 10 s end to end (it was 14.5 s)."""
CONFIRMED_SHARE = float(os.environ.get("ITWORKS_BENCH_CONFIRMED", "0.10"))
"""10,000 of 100,000 confirmed: the fit learns from every confirmed tier (issue 12)."""
FIT_LIMIT_SECONDS = 10.0

CORE = {
    "move_now": (
        ["asap", "within_1y"],
        ["shimane", "shimane_or_nearby"],
        ["within_3m", "within_1y"],
    ),
    "few_years": (["1_3y", "3y_plus"], ["shimane", "shimane_or_nearby"], ["1_3y", "no_plan"]),
    "region_undecided": (["within_1y", "1_3y"], ["region_undecided"], ["within_1y", "1_3y"]),
    "one_option": (["undecided", "3y_plus"], ["not_sure"], ["no_plan", "1_3y"]),
}
SKILLS = ["web_backend", "web_frontend", "mobile", "infrastructure", "cloud", "data_ai", "pm"]
CONCERNS = ["salary", "available_jobs", "career", "housing", "partner_job", "children_school"]


def _answers(rng: random.Random, tier: str) -> dict:
    timing, destination, job = CORE[tier]
    answers = {
        "move_timing": rng.choice(timing),
        "destination": rng.choice(destination),
        "job_change_timing": rng.choice(job),
        "age_band": rng.choice(["25_29", "30_34", "35_39", "40_44"]),
        "experience_years": rng.randint(0, 30),
        "skills": rng.sample(SKILLS, k=rng.randint(1, 3)),
        "concerns": rng.sample(CONCERNS, k=rng.randint(1, 2)),
        "work_style": rng.choice(["onsite", "hybrid", "remote"]),
    }
    if rng.random() < 0.15:
        del answers[rng.choice(["move_timing", "destination", "job_change_timing"])]
    return answers


def _populate(session, n: int) -> None:  # noqa: ANN001
    import sqlalchemy as sa

    from itworks.models import (
        Consultation,
        DataKey,
        Registrant,
        SurveyResponse,
        TierAssignment,
    )

    rng = random.Random(0)
    start = datetime(2022, 4, 1, tzinfo=UTC)
    tiers = list(CORE)
    truth = rng.choices(tiers, weights=[25, 30, 20, 25], k=n)
    session.execute(
        sa.insert(DataKey),
        [{"uid": f"{i:032x}", "kek_id": "k1", "wrapped": b"x"} for i in range(1, n + 1)],
    )
    key_ids = session.scalars(sa.select(DataKey.id).order_by(DataKey.id)).all()
    session.execute(
        sa.insert(Registrant),
        [
            {
                "public_id": f"bench{i:017d}",
                "data_key_id": key_ids[i],
                "origin": "i_turn"
                if truth[i] == "region_undecided"
                else rng.choice(["u_turn", "i_turn"]),
                "registered_at": start + timedelta(minutes=3 * i),
                "source": "import",
            }
            for i in range(n)
        ],
    )
    ids = session.scalars(sa.select(Registrant.id).order_by(Registrant.id)).all()
    answered = [i for i in range(n) if rng.random() < 0.8]
    session.execute(
        sa.insert(SurveyResponse),
        [
            {
                "public_id": f"resp{i:018d}",
                "registrant_id": ids[i],
                "instrument_id": "readiness",
                "instrument_version": 1,
                "channel": "web",
                "submitted_at": start + timedelta(days=rng.randint(30, 200)),
                "answers": _answers(rng, truth[i]),
            }
            for i in answered
        ],
    )
    consulted = [i for i in range(n) if rng.random() < (0.3 if truth[i] == "move_now" else 0.05)]
    session.execute(
        sa.insert(Consultation),
        [
            {
                "public_id": f"cons{i:018d}",
                "registrant_id": ids[i],
                "held_at": start + timedelta(days=rng.randint(30, 200)),
            }
            for i in consulted
        ],
    )
    session.execute(
        sa.insert(TierAssignment),
        [
            {
                "registrant_id": ids[i],
                "tier": truth[i],
                "method": "import",
                "assigned_at": start + timedelta(days=200),
            }
            for i in range(n)
            if rng.random() < CONFIRMED_SHARE
        ],
    )
    session.commit()


def _cpu_by_phase(monkeypatch) -> dict[str, float]:  # noqa: ANN001
    """CPU seconds (process_time) spent in each phase of the run, outermost call only."""
    from itworks.services.tiers import features, segment
    from segmentation import ReadinessSegmenter

    phases: dict[str, float] = {}
    active: list[str] = []

    def timed(owner, name: str, label: str) -> None:  # noqa: ANN001
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            if active:
                return original(*args, **kwargs)
            active.append(label)
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                active.pop()
                phases[label] = phases.get(label, 0.0) + time.process_time() - started

        monkeypatch.setattr(owner, name, wrapper)

    timed(features, "build", "features.build")
    timed(ReadinessSegmenter, "fit", "fit")
    timed(ReadinessSegmenter, "assign_explained", "assign+explain")
    timed(segment, "measure", "measure (5 refits)")
    timed(segment, "explanation_json", "explanation JSON")
    timed(segment.AssignmentInsert, "__call__", "inserts")
    return phases


def test_segment_100k_under_10_seconds(app, session, runner, monkeypatch) -> None:  # noqa: ANN001
    _populate(session, N)
    phases = _cpu_by_phase(monkeypatch)
    started, cpu = time.perf_counter(), time.process_time()
    result = runner.invoke(["segment", "--json"])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    print(  # noqa: T201 - the figure is the point of a benchmark
        f"\nitworks segment: {N:,} registrants in {elapsed:.1f} s = {elapsed / LIMIT_SECONDS:.2f}"
        f" of the {LIMIT_SECONDS:.0f} s limit (CPU {cpu:.1f} s; service "
        f"{summary['duration_seconds']} s); model {summary['accuracy_vs_confirmed']:.3f} vs rule "
        f"{summary['baseline_accuracy_vs_confirmed']:.3f} on {summary['agreement']['n']} confirmed"
        f"\nCPU by phase: "
        + ", ".join(f"{label} {seconds:.2f} s" for label, seconds in phases.items())
        + f", rest {cpu - sum(phases.values()):.2f} s"
    )
    assert summary["registrants"] == N
    assert elapsed < LIMIT_SECONDS


def test_fit_100k_rows_10k_labels(capsys) -> None:  # noqa: ANN001
    """The pure estimator alone: fit on 100,000 rows of which 10,000 are confirmed."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    from segmentation import ReadinessSegmenter
    from segmentation.synthetic import make_hard_registrants

    X, y = make_hard_registrants(N, random_state=0)
    confirmed = y.where(np.random.default_rng(0).random(N) < CONFIRMED_SHARE, None)
    with threadpool_limits(limits=1):
        started = time.perf_counter()
        model = ReadinessSegmenter(random_state=0).fit(X, confirmed)
        elapsed = time.perf_counter() - started
    print(  # noqa: T201
        f"\nReadinessSegmenter.fit: {N:,} rows, {model.n_labelled_:,} confirmed in {elapsed:.1f} s"
    )
    assert model.coef_ is not None
    assert elapsed < FIT_LIMIT_SECONDS
