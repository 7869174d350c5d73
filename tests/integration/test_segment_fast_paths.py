"""`itworks segment`'s fast paths write exactly what the plain ones would (issue 14).

The run reads features with grouped queries and one encoding per distinct
answer, assigns and explains in one pass, builds the explanation JSON from
its parts and writes through ``database.BulkInsert`` (COPY on PostgreSQL).
Each test recomputes the same output the plain way (``surveys.encode`` row by
row, ``model.assign``/``explain``/``transform``, ``json.dumps``) on a small
data set and requires it to be identical, value for value.
"""

from __future__ import annotations

import gc
import json
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa

from tests.bench.test_segment_bench import _populate

NOW = datetime(2026, 12, 1, tzinfo=UTC)
N = 800


def _stored(session, run_id: int) -> list[tuple]:
    from itworks.models import TierAssignment

    return [
        tuple(row)
        for row in session.execute(
            sa.select(
                TierAssignment.registrant_id,
                TierAssignment.tier,
                TierAssignment.method,
                TierAssignment.assigned_at,
                TierAssignment.model_version,
                TierAssignment.confidence,
                TierAssignment.persona,
                TierAssignment.explanation,
                TierAssignment.assigned_by_id,
                TierAssignment.reason_code,
            )
            .where(TierAssignment.run_id == run_id)
            .order_by(TierAssignment.registrant_id)
        )
    ]


def test_a_run_stores_what_assign_and_explain_give(app, session) -> None:
    from threadpoolctl import threadpool_limits

    from itworks.services.surveys import responses as survey_responses
    from itworks.services.tiers import features as segment_features
    from itworks.services.tiers import segment
    from segmentation import MODEL_VERSION, ReadinessSegmenter

    _populate(session, N)
    record = segment.run(session, started_by="test", now=NOW)
    stored = _stored(session, record.id)
    session.commit()

    features = segment_features.build(session, now=NOW)
    instrument = survey_responses.current_instrument()
    labels = segment_features.feature_labels(instrument, "ja")
    with threadpool_limits(limits=1):
        model = ReadinessSegmenter(random_state=0).fit(
            features.X, features.confirmed, feature_names=features.names
        )
        assigned = model.assign(features.X)
        reasons = model.explain(features.X, feature_labels=labels, top=segment.TOP_REASONS)
        proposed = assigned["tier"].to_numpy(dtype=object)
        metrics = segment.measure(model, features, proposed)  # transform(), not reused distances
    assert model.to_json() == record.model_json
    words = segment.persona_words(model.personas_, labels)
    expected = [
        (
            int(registrant_id),
            tier,
            "model",
            NOW,
            MODEL_VERSION,
            float(confidence),
            words.get(persona),
            [{"feature": r.feature, "text": r.text, "share": round(r.share, 3)} for r in row],
            None,
            None,
        )
        for registrant_id, tier, confidence, persona, row in zip(
            features.registrant_ids,
            assigned["tier"],
            assigned["confidence"],
            assigned["persona"],
            reasons,
            strict=True,
        )
    ]
    assert len(stored) == N
    assert stored == expected
    assert any(len(e[7]) == segment.TOP_REASONS for e in stored)
    kept = {k: v for k, v in record.metrics.items() if k not in ("duration_seconds", "personas")}
    kept.pop("mean_confidence")
    assert kept == segment._plain(metrics)
    assert record.metrics["mean_confidence"] == float(np.mean(assigned["confidence"]))

    # The JSON text itself is what json.dumps writes (SQLite keeps it as given).
    if session.get_bind().dialect.name == "sqlite":
        texts = session.connection().exec_driver_sql(
            "SELECT explanation FROM tier_assignments WHERE run_id = ? ORDER BY registrant_id",
            (record.id,),
        )
        assert [t for (t,) in texts] == [json.dumps(row[7]) for row in expected]


def test_the_explanation_json_is_json_dumps_of_the_lists() -> None:
    from itworks.services.tiers.segment import explanation_json, explanation_lists
    from segmentation.explain import Explanations

    explanations = Explanations(
        questions=("move_timing", "destination", "skills"),
        question=np.array([[0, 2, 1], [1, 0, 2], [2, 1, 0]]),
        text=np.array(
            [["移住時期: すぐ", 'スキル: Web, "AI"', None], ["a\\b", "x", None], [None] * 3],
            dtype=object,
        ),
        share=np.array([[0.12345, 1 / 3, 0.0], [0.9996, 2.5e-7, 0.0], [0.1, 0.2, 0.3]]),
        counted=np.array([[True, True, False], [True, True, False], [False] * 3]),
    )
    lists = explanation_lists(explanations)
    assert lists[0] == [
        {"feature": "move_timing", "text": "移住時期: すぐ", "share": 0.123},
        {"feature": "skills", "text": 'スキル: Web, "AI"', "share": 0.333},
    ]
    assert lists[2] == []
    for ascii_only in (True, False):
        assert explanation_json(explanations, ensure_ascii=ascii_only) == [
            json.dumps(row, ensure_ascii=ascii_only) for row in lists
        ]
    assert [[r._asdict() for r in row] for row in explanations.reasons()][1][1] == {
        "feature": "move_timing",
        "text": "x",
        "share": 2.5e-7,
    }


def test_encoding_distinct_answers_once_gives_the_row_by_row_matrix() -> None:
    import random

    from itworks.services.surveys import responses as survey_responses
    from itworks.services.tiers.features import encode_answers, encode_distinct

    instrument = survey_responses.current_instrument()
    rng = random.Random(3)
    odd = {
        "single": ["ＡＳＡＰ", " asap ", "bogus", 1, True, None, " ", ["asap"]],
        "multiple": ["x", [], None, [1], ["bogus"], [None, ""], {"a": 1}],
        "number": [1, 1.0, True, "3", "３", "x", float("nan"), -1, 10**6, [2], None],
    }
    rows = []
    for _ in range(3000):
        answers: dict = {}
        for q in instrument.questions:
            if rng.random() < 0.2 or q.type == "text":
                continue
            if rng.random() < 0.15:
                answers[q.id] = rng.choice(odd[q.type])
            elif q.type == "single":
                answers[q.id] = rng.choice(q.codes)
            elif q.type == "multiple":
                picked = rng.sample(list(q.codes), k=rng.randint(1, min(3, len(q.codes))))
                answers[q.id] = picked if rng.random() < 0.8 else tuple(picked)
            else:
                answers[q.id] = rng.randint(0, 30)
        if rng.random() < 0.05:
            answers["retired_question"] = "x"
        rows.append(answers)
    expected, names = encode_answers(rows, instrument)
    got, got_names = encode_distinct(rows, instrument)
    assert got_names == names
    np.testing.assert_array_equal(got, expected)  # NaN where NaN, bit for bit elsewhere
    assert np.isnan(got).any() and (got[:, names.index("move_timing:missing")] == 1).any()
    empty, _ = encode_distinct([], instrument)
    assert empty.shape == (0, len(names))


def test_a_run_pauses_the_collector_and_restores_it(app, session) -> None:
    from itworks.services.tiers import segment

    _populate(session, 50)
    seen = []
    segment.run(session, started_by="test", now=NOW, progress=lambda _: seen.append(gc.isenabled()))
    assert seen and not any(seen)
    assert gc.isenabled()
    gc.disable()
    try:
        with segment.paused_collector():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
