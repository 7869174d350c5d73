"""`itworks segment`: fit the readiness model on everyone, propose a tier per
registrant and record the run with its metrics and the fitted model (JSON).

Proposals never replace anything: each run adds one ``model`` assignment per
registrant, so earlier proposals stay as history, and a coordinator's or an
import's confirmation keeps winning over them (see ``services.tiers``).
Confirmed tiers are the labels the fit learns from (see
``segmentation.naive_bayes``), and the run measures the model and the rule
baseline against them out of fold, with a reliability table of the confidence.
"""

from __future__ import annotations

import gc
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, defer
from threadpoolctl import threadpool_limits

from itworks.database import BulkInsert, begin_write
from itworks.i18n import N_
from itworks.models import SegmentationRun, TierAssignment, User, utcnow
from itworks.services import audit
from itworks.services.errors import Conflict, NotFound
from itworks.services.surveys import responses as survey_responses
from itworks.services.tiers import features as segment_features
from segmentation import MODEL_VERSION, TIERS

# scikit-learn (through the estimator, the baseline and the metrics) is imported
# only where a model is fitted, measured or loaded: every CLI command and worker
# imports this module, and most never segment (about 2 s of start-up each).
if TYPE_CHECKING:
    from segmentation import Persona, ReadinessSegmenter
    from segmentation.explain import Explanations

Progress = Callable[[int], None]
"""Called with the percentage done (0-100) as a run goes."""

INSERT_BATCH = 5_000
CV_FOLDS = 5
CV_MAX_ROWS = 5_000
"""Rows the out-of-fold refits use; below it they see all the data."""
CV_MAX_CONFIRMED = 2_500
TOP_REASONS = 3
NO_ROWS = N_("分類する登録者がいません")


def persona_description(persona: Persona, labels: Mapping[str, str]) -> str:
    """The persona's distinguishing traits in Japanese, e.g. ``Iターン、スキル: Web``."""
    words = []
    for trait in persona.traits:
        label = labels.get(trait.feature, trait.feature)
        if trait.kind == "answer":
            words.append(label)
        elif trait.kind == "no_answer":
            words.append(labels.get(trait.feature, f"{trait.feature}: 未回答"))
        else:
            level = "多め" if trait.kind == "high" else "少なめ"
            words.append(f"{label}: {level}（平均{trait.value:.1f}）")
    return "、".join(words) or persona.id


def persona_words(personas: list[Persona], labels: Mapping[str, str]) -> dict[str, str]:
    """persona id → description, unique within the run (it is what assignments store).

    Two personas can share their strongest traits; the later one gets a
    number, so a list filtered by persona finds exactly its members.
    """
    out: dict[str, str] = {}
    seen: Counter[str] = Counter()
    for persona in personas:
        text = persona_description(persona, labels)[:190]
        seen[text] += 1
        out[persona.id] = text if seen[text] == 1 else f"{text}（{seen[text]}）"
    return out


def _plain(value: Any) -> Any:
    """JSON-safe copy: NaN becomes null (PostgreSQL's json refuses NaN)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _estimator() -> type[ReadinessSegmenter]:
    from segmentation import ReadinessSegmenter

    return ReadinessSegmenter


def out_of_fold(
    X: np.ndarray, confirmed: np.ndarray, names: list[str], *, random_state: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predict each confirmed row with a model that did not see its tier.

    Confirmed rows are split into up to ``CV_FOLDS`` folds; for each fold the
    model is refitted with that fold's tiers hidden and predicts them. Beyond
    ``CV_MAX_ROWS`` the refits use a random sample (all confirmed rows up to
    ``CV_MAX_CONFIRMED``, the rest unconfirmed).

    Returns
    -------
    rows, predicted, confidence
        Positions in ``X`` of the evaluated confirmed rows, the tier the
        model gave each and its confidence in that tier.
    """
    rng = np.random.default_rng(random_state)
    known = np.flatnonzero(np.array([t is not None for t in confirmed], dtype=bool))
    if known.size > CV_MAX_CONFIRMED:
        known = np.sort(rng.choice(known, CV_MAX_CONFIRMED, replace=False))
    if known.size == 0:
        return known, np.empty(0, dtype=object), np.empty(0)
    unknown = np.flatnonzero(np.array([t is None for t in confirmed], dtype=bool))
    room = max(0, CV_MAX_ROWS - known.size)
    if unknown.size > room:
        unknown = np.sort(rng.choice(unknown, room, replace=False))
    sample = np.concatenate([known, unknown])
    X_s, y_s = X[sample], confirmed[sample].copy()
    predicted = np.empty(known.size, dtype=object)
    confidence = np.zeros(known.size)
    folds = np.array_split(rng.permutation(known.size), min(CV_FOLDS, known.size))
    for fold in folds:
        y_fold = y_s.copy()
        y_fold[fold] = None
        model = _estimator()(random_state=random_state, n_personas_per_tier=1)
        model.fit(X_s, y_fold, feature_names=names)
        proba = model.predict_proba(X_s[fold])
        predicted[fold] = model.classes_[proba.argmax(axis=1)]
        confidence[fold] = proba.max(axis=1)
    return known, predicted, confidence


def measure(
    model: ReadinessSegmenter,
    features: segment_features.FeatureSet,
    proposed: np.ndarray,
    *,
    random_state: int = 0,
    distances: np.ndarray | None = None,
) -> dict[str, Any]:
    """Cluster sizes, silhouette and agreement with the confirmed tiers (model vs rule).

    ``distances`` is ``model.transform(features.X)`` when the caller has it already.
    """
    from segmentation import rule_tiers
    from segmentation.evaluation import reliability
    from segmentation.metrics import agreement, silhouette

    X, names, confirmed = features.X, features.names, features.confirmed
    sizes = Counter(proposed.tolist())
    metrics: dict[str, Any] = {
        "registrants": len(features),
        "features": len(names),
        "confirmed": int(sum(t is not None for t in confirmed)),
        "cluster_sizes": {t: int(sizes.get(t, 0)) for t in TIERS},
        "confirmed_sizes": {t: int(sum(c == t for c in confirmed)) for t in TIERS},
        "silhouette": silhouette(
            model.transform(X) if distances is None else distances,
            proposed,
            random_state=random_state,
        )
        if len(features) > 2
        else None,
        "n_iter": int(model.n_iter_),
        "init": model.init_,
    }
    rows, predicted, confidence = out_of_fold(X, confirmed, names, random_state=random_state)
    if rows.size:
        truth = confirmed[rows]
        ours = agreement(truth, predicted)
        rule = agreement(truth, rule_tiers(X[rows], names))
        metrics.update(
            # Proposed confidence against share correct, out of fold: calibrated
            # when each band's share correct is near its mean confidence.
            reliability=reliability(confidence, predicted == truth),
            accuracy_vs_confirmed=ours["accuracy"],
            baseline_accuracy_vs_confirmed=rule["accuracy"],
            kappa_vs_confirmed=ours["kappa"],
            baseline_kappa_vs_confirmed=rule["kappa"],
            agreement={
                "method": f"out-of-fold ({min(CV_FOLDS, rows.size)} folds)",
                "n": int(rows.size),
                "model": ours,
                "baseline": rule,
            },
        )
    return metrics


def run(
    session: Session,
    *,
    started_by: str,
    actor: User | None = None,
    now: datetime | None = None,
    random_state: int = 0,
    progress: Progress | None = None,
) -> SegmentationRun:
    """Fit on every live registrant and add one ``model`` assignment each.

    ``now`` dates the run and its assignments and bounds what is read (answers,
    consultations, confirmations before it); the demo uses it to replay the
    year. Everything is written in one transaction.
    """
    with paused_collector():
        return _run(
            session,
            started_by=started_by,
            actor=actor,
            now=now,
            random_state=random_state,
            progress=progress,
        )


@contextmanager
def paused_collector() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a run's duration.

    A run makes millions of small containers (answers, rows, explanations)
    that are all still alive, so every automatic collection walks all of them
    again: about a third of the time went there. Plain reference counting still
    frees everything; the collector resumes (as it was) when the run ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run(
    session: Session,
    *,
    started_by: str,
    actor: User | None,
    now: datetime | None,
    random_state: int,
    progress: Progress | None,
) -> SegmentationRun:
    clock = time.perf_counter()
    now = now or utcnow()
    report = progress or (lambda _done: None)
    instrument = survey_responses.current_instrument()
    labels = segment_features.feature_labels(instrument, "ja")
    features = segment_features.build(session, now=now, instrument=instrument)
    if not len(features):
        raise Conflict(NO_ROWS)
    report(15)
    X, names = features.X, features.names
    # One thread: the matrices are small enough that OpenMP/BLAS threads only
    # spin against each other (100,000 rows fit in ~1 s on one core, and took
    # 30 s with the default threads on a busy 2-core machine).
    with threadpool_limits(limits=1):
        model = _estimator()(random_state=random_state).fit(
            X, features.confirmed, feature_names=names
        )
        report(45)
        # assign, transform and explain in one pass over the rows (same results).
        done = model.assign_explained(X, feature_labels=labels, top=TOP_REASONS)
        assigned = done.table
        proposed = assigned["tier"].to_numpy(dtype=object)
        metrics = measure(
            model, features, proposed, random_state=random_state, distances=done.distances
        )
        report(60)
    words = persona_words(model.personas_, labels)
    members = Counter(assigned["persona"].tolist())
    metrics["personas"] = [
        {"id": p.id, "tier": p.tier, "size": members.get(p.id, 0), "description": words[p.id]}
        for p in model.personas_
    ]
    report(70)

    begin_write(session)  # on SQLite, take the write lock before the first write
    record = SegmentationRun(
        started_at=now,
        model_version=MODEL_VERSION,
        registrants=len(features),
        metrics={},
        model_json=model.to_json(),
        started_by=started_by[:64],
    )
    session.add(record)
    session.flush()
    confidence = assigned["confidence"].to_numpy(dtype=float).tolist()
    persona_ids = assigned["persona"].tolist()
    tiers = proposed.tolist()
    ids = features.registrant_ids.tolist()
    total = len(ids)
    insert = AssignmentInsert(
        session, method="model", assigned_at=now, model_version=MODEL_VERSION, run_id=record.id
    )
    explanations = insert.explanations(done.explanations)
    for start in range(0, total, INSERT_BATCH):
        stop = min(start + INSERT_BATCH, total)
        insert(
            [
                (ids[i], tiers[i], confidence[i], words.get(persona_ids[i]), explanations[i])
                for i in range(start, stop)
            ]
        )
        report(70 + 30 * stop // total)
    elapsed = time.perf_counter() - clock
    metrics["mean_confidence"] = float(np.mean(confidence))
    metrics["duration_seconds"] = round(elapsed, 2)
    record.metrics = _plain(metrics)
    record.finished_at = now + timedelta(seconds=elapsed)
    audit.record(
        session,
        "segment.run",
        actor=actor,
        actor_label=started_by,
        entity_type="segmentation_run",
        entity_id=str(record.id),
        registrants=len(features),
        confirmed=metrics["confirmed"],
    )
    session.commit()
    return record


def explanation_lists(explanations: Explanations) -> list[list[dict[str, Any]]]:
    """What an assignment stores as its explanation, per row: feature, words and share
    (rounded to 3 places) of each reason, strongest first."""
    qids = explanations.questions
    share = explanations.share.tolist()
    counted = explanations.counted.tolist()
    texts, ranked = explanations.text.tolist(), explanations.question.tolist()
    return [
        [
            {"feature": qids[g], "text": words, "share": round(sh, 3)}
            for g, words, sh, ok in zip(ranked[i], texts[i], share[i], counted[i], strict=True)
            if ok
        ]
        for i in range(len(ranked))
    ]


def explanation_json(explanations: Explanations, *, ensure_ascii: bool = True) -> list[str]:
    """:func:`explanation_lists` as JSON text, exactly what ``json.dumps`` makes of each
    list, built from the few distinct (question, words) pairs instead of 300,000 dicts."""
    qids = explanations.questions
    heads: dict[tuple[int, str], str] = {}
    share = explanations.share.tolist()
    counted = explanations.counted.tolist()
    texts, ranked = explanations.text.tolist(), explanations.question.tolist()
    out = []
    for g_row, t_row, s_row, ok_row in zip(ranked, texts, share, counted, strict=True):
        parts = []
        for g, words, sh, ok in zip(g_row, t_row, s_row, ok_row, strict=True):
            if not ok:
                continue
            head = heads.get((g, words))
            if head is None:
                head = heads[g, words] = (
                    '{"feature": '
                    + json.dumps(qids[g], ensure_ascii=ensure_ascii)
                    + ', "text": '
                    + json.dumps(words, ensure_ascii=ensure_ascii)
                    + ', "share": '
                )
            number = round(sh, 3)
            # float.__repr__ is how json writes a finite float.
            parts.append(
                f"{head}{number!r}}}" if math.isfinite(number) else f"{head}{json.dumps(number)}}}"
            )
        out.append("[" + ", ".join(parts) + "]")
    return out


ASSIGNMENT_COLUMNS = (
    "registrant_id",
    "tier",
    "method",
    "assigned_at",
    "model_version",
    "confidence",
    "persona",
    "explanation",
    "run_id",
)
_ASSIGNED_AT = ASSIGNMENT_COLUMNS.index("assigned_at")
_EXPLANATION = ASSIGNMENT_COLUMNS.index("explanation")


class AssignmentInsert:
    """Bulk-insert one run's assignments in the session's transaction.

    Each call takes rows ``(registrant_id, tier, confidence, persona,
    explanation)``, the explanation as :meth:`explanations` gives it; method,
    time, model version and run are the same for every row. PostgreSQL gets
    COPY, several times faster than a batched INSERT for 100,000 rows; other
    engines get one executemany INSERT per call (``database.BulkInsert``: no
    ORM objects, no per-row statement compiling), with the shared time
    converted once and the explanation written as the JSON text it already is.
    """

    def __init__(
        self,
        session: Session,
        *,
        method: str,
        assigned_at: datetime,
        model_version: str | None,
        run_id: int,
    ) -> None:
        self.connection = session.connection()
        dialect = self.connection.dialect
        self.bulk: BulkInsert | None = None
        self.json_text = True
        self.ensure_ascii = False  # PostgreSQL's json keeps the text COPY gives it
        at: Any = assigned_at
        if dialect.name != "postgresql":
            self.bulk = BulkInsert(self.connection, TierAssignment.__table__, ASSIGNMENT_COLUMNS)
            processors = dict(self.bulk.processors)
            if _ASSIGNED_AT in processors:
                at = processors[_ASSIGNED_AT](assigned_at)
            # The JSON column's processor is json.dumps (unless the engine names its own
            # serializer): give it the JSON text directly.
            self.json_text = getattr(dialect, "_json_serializer", None) in (None, json.dumps)
            self.ensure_ascii = True
            done = {_ASSIGNED_AT, _EXPLANATION} if self.json_text else {_ASSIGNED_AT}
            self.bulk.processors = [(i, p) for i, p in self.bulk.processors if i not in done]
        self.constants = (method, at, model_version, run_id)

    def explanations(self, explanations: Explanations) -> list[Any]:
        """The explanation of every row as this insert takes it (JSON text or lists)."""
        if self.json_text:
            return explanation_json(explanations, ensure_ascii=self.ensure_ascii)
        return explanation_lists(explanations)

    def __call__(self, rows: list[tuple[Any, ...]]) -> None:
        method, at, version, run_id = self.constants
        full = [
            (registrant, tier, method, at, version, confidence, persona, explanation, run_id)
            for registrant, tier, confidence, persona, explanation in rows
        ]
        if self.bulk is not None:
            self.bulk(full)
            return
        table = TierAssignment.__table__.name
        statement = f"COPY {table} ({', '.join(ASSIGNMENT_COLUMNS)}) FROM STDIN"
        driver = self.connection.connection.driver_connection
        if driver is None:  # a checked-out connection always has one
            raise RuntimeError("no driver connection for COPY")
        with driver.cursor() as cursor:
            with cursor.copy(statement) as copy:
                for row in full:
                    copy.write_row(row)


def latest_run(session: Session) -> SegmentationRun | None:
    """The newest finished run."""
    return session.scalar(
        sa.select(SegmentationRun)
        .where(SegmentationRun.finished_at.is_not(None))
        .order_by(SegmentationRun.started_at.desc(), SegmentationRun.id.desc())
        .limit(1)
    )


def list_runs(session: Session, limit: int = 20) -> list[SegmentationRun]:
    """The latest runs, newest first (without loading the model JSON)."""
    return list(
        session.scalars(
            sa.select(SegmentationRun)
            .options(defer(SegmentationRun.model_json))
            .order_by(SegmentationRun.started_at.desc(), SegmentationRun.id.desc())
            .limit(limit)
        )
    )


def load_model(session: Session, run_id: int) -> ReadinessSegmenter:
    """The model a run fitted, rebuilt from its stored JSON."""
    record = session.get(SegmentationRun, run_id)
    if record is None or not record.model_json:
        raise NotFound(N_("分類の実行記録が見つかりません"))
    return _estimator().from_json(record.model_json)


def summary(record: SegmentationRun) -> dict[str, Any]:
    """What `itworks segment --json` prints: the run and its metrics."""
    return {
        "run": record.id,
        "started_at": record.started_at.isoformat(),
        "model_version": record.model_version,
        **dict(record.metrics or {}),
    }
