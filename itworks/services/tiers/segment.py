"""`itworks segment`: fit the readiness model on everyone, propose a tier per
registrant and record the run with its metrics and the fitted model (JSON).

Proposals never replace anything: each run adds one ``model`` assignment per
registrant, so earlier proposals stay as history, and a coordinator's or an
import's confirmation keeps winning over them (see ``services.tiers``).
Confirmed tiers seed the fit, and the run measures the model and the rule
baseline against them out of fold.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, defer
from threadpoolctl import threadpool_limits

from itworks.database import begin_write
from itworks.i18n import N_
from itworks.models import SegmentationRun, TierAssignment, User, utcnow
from itworks.services import audit
from itworks.services.errors import Conflict, NotFound
from itworks.services.surveys import responses as survey_responses
from itworks.services.tiers import features as segment_features
from segmentation import MODEL_VERSION, TIERS, Persona, ReadinessSegmenter, rule_tiers
from segmentation.metrics import agreement, silhouette

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


def out_of_fold(
    X: np.ndarray, confirmed: np.ndarray, names: list[str], *, random_state: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Predict each confirmed row with a model that did not see its tier.

    Confirmed rows are split into up to ``CV_FOLDS`` folds; for each fold the
    model is refitted with that fold's tiers hidden and predicts them. Beyond
    ``CV_MAX_ROWS`` the refits use a random sample (all confirmed rows up to
    ``CV_MAX_CONFIRMED``, the rest unconfirmed).

    Returns
    -------
    rows, predicted
        Positions in ``X`` of the evaluated confirmed rows, and the tier the
        model gave each.
    """
    rng = np.random.default_rng(random_state)
    known = np.flatnonzero(np.array([t is not None for t in confirmed], dtype=bool))
    if known.size > CV_MAX_CONFIRMED:
        known = np.sort(rng.choice(known, CV_MAX_CONFIRMED, replace=False))
    if known.size == 0:
        return known, np.empty(0, dtype=object)
    unknown = np.flatnonzero(np.array([t is None for t in confirmed], dtype=bool))
    room = max(0, CV_MAX_ROWS - known.size)
    if unknown.size > room:
        unknown = np.sort(rng.choice(unknown, room, replace=False))
    sample = np.concatenate([known, unknown])
    X_s, y_s = X[sample], confirmed[sample].copy()
    predicted = np.empty(known.size, dtype=object)
    folds = np.array_split(rng.permutation(known.size), min(CV_FOLDS, known.size))
    for fold in folds:
        y_fold = y_s.copy()
        y_fold[fold] = None
        model = ReadinessSegmenter(random_state=random_state, n_personas_per_tier=1)
        model.fit(X_s, y_fold, feature_names=names)
        predicted[fold] = model.predict(X_s[fold])
    return known, predicted


def measure(
    model: ReadinessSegmenter,
    features: segment_features.FeatureSet,
    proposed: np.ndarray,
    *,
    random_state: int = 0,
) -> dict[str, Any]:
    """Cluster sizes, silhouette and agreement with the confirmed tiers (model vs rule)."""
    X, names, confirmed = features.X, features.names, features.confirmed
    sizes = Counter(proposed.tolist())
    metrics: dict[str, Any] = {
        "registrants": len(features),
        "features": len(names),
        "confirmed": int(sum(t is not None for t in confirmed)),
        "cluster_sizes": {t: int(sizes.get(t, 0)) for t in TIERS},
        "confirmed_sizes": {t: int(sum(c == t for c in confirmed)) for t in TIERS},
        "silhouette": silhouette(model.transform(X), proposed, random_state=random_state)
        if len(features) > 2
        else None,
        "n_iter": int(model.n_iter_),
        "init": model.init_,
    }
    rows, predicted = out_of_fold(X, confirmed, names, random_state=random_state)
    if rows.size:
        truth = confirmed[rows]
        ours = agreement(truth, predicted)
        rule = agreement(truth, rule_tiers(X[rows], names))
        metrics.update(
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
        model = ReadinessSegmenter(random_state=random_state).fit(
            X, features.confirmed, feature_names=names
        )
        report(45)
        assigned = model.assign(X)
        proposed = assigned["tier"].to_numpy(dtype=object)
        metrics = measure(model, features, proposed, random_state=random_state)
        report(60)
        reasons = model.explain(X, feature_labels=labels, top=TOP_REASONS)
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
    ids = features.registrant_ids.tolist()
    total = len(ids)
    for start in range(0, total, INSERT_BATCH):
        stop = min(start + INSERT_BATCH, total)
        insert_assignments(
            session,
            [
                {
                    "registrant_id": ids[i],
                    "tier": proposed[i],
                    "method": "model",
                    "assigned_at": now,
                    "model_version": MODEL_VERSION,
                    "confidence": confidence[i],
                    "persona": words.get(persona_ids[i]),
                    "explanation": [
                        {"feature": r.feature, "text": r.text, "share": round(r.share, 3)}
                        for r in reasons[i]
                    ],
                    "run_id": record.id,
                }
                for i in range(start, stop)
            ],
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


_COPY_COLUMNS = (
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


def insert_assignments(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk-insert assignments in the session's transaction.

    PostgreSQL gets COPY, several times faster than a batched INSERT for
    100,000 rows; other engines get an executemany INSERT.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(sa.insert(TierAssignment), rows)
        return
    table = TierAssignment.__table__.name
    statement = f"COPY {table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(statement) as copy:
            for row in rows:
                values = [row.get(c) for c in _COPY_COLUMNS]
                if values[7] is not None:  # explanation: COPY takes the JSON text
                    values[7] = json.dumps(values[7], ensure_ascii=False)
                copy.write_row(values)


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
    return ReadinessSegmenter.from_json(record.model_json)


def summary(record: SegmentationRun) -> dict[str, Any]:
    """What `itworks segment --json` prints: the run and its metrics."""
    return {
        "run": record.id,
        "started_at": record.started_at.isoformat(),
        "model_version": record.model_version,
        **dict(record.metrics or {}),
    }
