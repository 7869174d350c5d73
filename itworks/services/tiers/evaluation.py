"""How well the readiness model matches coordinators' confirmed tiers, judged honestly.

Loads every live registrant's features and confirmed tier exactly as
``itworks segment`` does (``services.tiers.features.build``), then runs
``segmentation.evaluation.evaluate``: k-fold over the confirmed registrants,
each scored by a model refitted with its own fold's tiers hidden, against the
rule baseline and the model without any confirmed tier, overall and where a
core answer is missing, with a reliability table of the proposed confidence.
``evaluate`` only reads; ``evaluate_and_record`` keeps the result with the latest run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from itworks.models import User, utcnow
from itworks.services import audit
from itworks.services.errors import Conflict
from itworks.services.surveys import responses as survey_responses
from itworks.services.tiers import features as segment_features
from itworks.services.tiers import segment
from segmentation import MODEL_VERSION

MAX_ROWS = 20_000
"""Rows the refits use; beyond it every confirmed row (up to half of it) and a
random sample of the unconfirmed ones are kept."""


def _sample(confirmed: np.ndarray, max_rows: int, random_state: int) -> np.ndarray:
    """Positions of the rows to evaluate on, in their original order."""
    n = confirmed.size
    if n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    known = np.flatnonzero(np.array([t is not None for t in confirmed], dtype=bool))
    unknown = np.setdiff1d(np.arange(n), known)
    if known.size > max_rows // 2:
        known = rng.choice(known, max_rows // 2, replace=False)
    room = max_rows - known.size
    if unknown.size > room:
        unknown = rng.choice(unknown, room, replace=False)
    return np.sort(np.concatenate([known, unknown]))


def evaluate(
    session: Session,
    *,
    now: datetime | None = None,
    n_folds: int | None = None,
    random_state: int = 0,
    max_rows: int = MAX_ROWS,
) -> dict[str, Any]:
    """Evaluate the model on the confirmed tiers of the live registrants known at ``now``.

    Returns
    -------
    dict
        Plain, strict-JSON data: ``evaluated_at`` (ISO), ``model_version``,
        ``registrants`` (live registrants), ``sampled`` (whether the refits
        used a sample of ``max_rows``), ``method``, then everything
        :func:`segmentation.evaluation.evaluate` returns: ``n_rows``,
        ``n_confirmed``, ``n_confirmed_core_missing``, ``n_folds``,
        ``min_confirmed``, ``too_few_to_judge``, ``tiers``, ``model``,
        ``rule`` and ``no_labels`` (each ``overall`` and ``core_missing``
        with ``n``, ``accuracy``, ``kappa``, ``confusion``), ``reliability``.

    ``n_folds`` defaults to :data:`segmentation.evaluation.N_FOLDS`.

    Raises
    ------
    Conflict
        When there is no live registrant.
    """
    # scikit-learn only when an evaluation runs (see services.tiers.segment).
    from segmentation import evaluation as tier_evaluation

    now = now or utcnow()
    instrument = survey_responses.current_instrument()
    features = segment_features.build(session, now=now, instrument=instrument)
    if not len(features):
        raise Conflict(segment.NO_ROWS)
    rows = _sample(features.confirmed, max_rows, random_state)
    X, confirmed = features.X[rows], features.confirmed[rows]
    # One thread, as in `segment.run`: BLAS threads only contend on small matrices.
    with threadpool_limits(limits=1):
        result = tier_evaluation.evaluate(
            X,
            confirmed,
            features.names,
            tier_evaluation.core_missing_rows(X, features.names),
            n_folds=tier_evaluation.N_FOLDS if n_folds is None else n_folds,
            random_state=random_state,
        )
    return segment._plain(  # noqa: SLF001 - the one JSON-safety rule of the tier services
        {
            "evaluated_at": now.isoformat(),
            "model_version": MODEL_VERSION,
            "registrants": len(features),
            "sampled": bool(rows.size < len(features)),
            "method": f"out-of-fold ({result['n_folds']} folds over the confirmed tiers)",
            **result,
        }
    )


def evaluate_and_record(
    session: Session, *, actor: User | None = None, actor_label: str | None = None
) -> dict[str, Any]:
    """Evaluate (see :func:`evaluate`) and keep the result with the latest run.

    The tiers page shows the evaluation kept with the latest run, so coordinators
    read the same figures as ``itworks segment --evaluate`` printed. Commits.
    """
    result = evaluate(session)
    latest = segment.list_runs(session, limit=1)
    if latest:
        # A new dict, so the JSON column is written (in-place changes are not tracked).
        latest[0].metrics = {**(latest[0].metrics or {}), "evaluation": result}
    audit.record(
        session,
        "segment.evaluate",
        actor=actor,
        actor_label=actor_label,
        confirmed=result["n_confirmed"],
        run=latest[0].id if latest else None,
    )
    session.commit()
    return result
