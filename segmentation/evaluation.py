"""Honest evaluation of the segmenter against coordinator-confirmed tiers.

Every confirmed registrant is scored by a model that never saw its tier: the
confirmed rows are split into folds, and for each fold the model is refitted
on all rows with that fold's tiers hidden, then predicts that fold. The same
rows are scored by the rule baseline and by the model fitted without any
confirmed tier, overall and where a core answer is missing, with a reliability
table of the model's confidence. Plain data out (JSON-serialisable), no words.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from ._typing import BoolArray, Features, FloatArray, TiersLike
from .baseline import rule_tiers
from .estimator import ReadinessSegmenter
from .features import CORE_QUESTIONS, TIERS
from .validation import tier_indices

MIN_CONFIRMED = 30
"""Below this many confirmed tiers the figures are flagged ``too_few_to_judge``."""

N_FOLDS = 5

#: Confidence bands of the reliability table, ``[low, high)`` (the last one closed).
CONFIDENCE_BANDS: tuple[tuple[float, float], ...] = (
    (0.0, 0.4),
    (0.4, 0.5),
    (0.5, 0.6),
    (0.6, 0.7),
    (0.7, 0.8),
    (0.8, 0.9),
    (0.9, 1.0),
)

#: Parameters of the refitted models (one persona per tier: personas are not scored).
REFIT_PARAMS: dict[str, Any] = {"n_personas_per_tier": 1}


def core_missing_rows(X: Features, feature_names: Sequence[str] | None = None) -> BoolArray:
    """Rows where at least one core question (timing, destination, job change) is unanswered.

    Read from the ``<qid>:missing`` columns, or a NaN ``<qid>:ord`` when the
    question has no such column.
    """
    values, names = _matrix(X, feature_names)
    out = np.zeros(values.shape[0], dtype=bool)
    index = {n: i for i, n in enumerate(names)}
    for qid in sorted(CORE_QUESTIONS):
        if f"{qid}:missing" in index:
            out |= values[:, index[f"{qid}:missing"]] >= 0.5
        elif f"{qid}:ord" in index:
            out |= np.isnan(values[:, index[f"{qid}:ord"]])
    return out


def _matrix(X: Features, feature_names: Sequence[str] | None) -> tuple[FloatArray, list[str]]:
    if isinstance(X, pd.DataFrame):
        return X.to_numpy(dtype=float), [str(c) for c in X.columns]
    values = np.asarray(X, dtype=float)
    if feature_names is None:
        raise ValueError("feature_names are required for a plain array")
    names = [str(n) for n in feature_names]
    if values.ndim != 2 or values.shape[1] != len(names):
        raise ValueError(f"X has shape {values.shape} but {len(names)} feature names")
    return values, names


def _num(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """Accuracy, Cohen's kappa and the confusion matrix of tier positions.

    ``confusion[i][j]`` counts rows confirmed as ``TIERS[i]`` and predicted as
    ``TIERS[j]``. Accuracy and kappa are ``None`` without rows.
    """
    truth, predicted = np.asarray(truth, dtype=int), np.asarray(predicted, dtype=int)
    k = len(TIERS)
    matrix = confusion_matrix(truth, predicted, labels=list(range(k))) if truth.size else None
    out: dict[str, Any] = {
        "n": int(truth.size),
        "accuracy": None,
        "kappa": None,
        "confusion": np.zeros((k, k), dtype=int).tolist() if matrix is None else matrix.tolist(),
    }
    if truth.size:
        out["accuracy"] = float((truth == predicted).mean())
        if np.unique(np.concatenate([truth, predicted])).size < 2:
            out["kappa"] = 1.0  # one label on both sides: perfect (and 0/0 in the formula)
        else:
            out["kappa"] = _num(cohen_kappa_score(truth, predicted, labels=list(range(k))))
    return out


def reliability(confidence: np.ndarray, correct: np.ndarray) -> list[dict[str, Any]]:
    """Share correct per band of proposed confidence (out of fold).

    Returns one entry per band of :data:`CONFIDENCE_BANDS`: ``low``, ``high``,
    ``n``, ``mean_confidence`` and ``share_correct`` (``None`` when empty).
    A calibrated model has ``share_correct`` close to ``mean_confidence``.
    """
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    table = []
    for i, (low, high) in enumerate(CONFIDENCE_BANDS):
        last = i == len(CONFIDENCE_BANDS) - 1
        rows = (confidence >= low) & ((confidence <= high) if last else (confidence < high))
        n = int(rows.sum())
        table.append(
            {
                "low": low,
                "high": high,
                "n": n,
                "mean_confidence": float(confidence[rows].mean()) if n else None,
                "share_correct": float(correct[rows].mean()) if n else None,
            }
        )
    return table


def evaluate(
    X: Features,
    y: TiersLike,
    feature_names: Sequence[str] | None = None,
    core_missing: np.ndarray | None = None,
    *,
    n_folds: int = N_FOLDS,
    random_state: int = 0,
    params: Mapping[str, Any] | None = None,
    make_estimator: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """Score the model, the rule and the label-free model on the confirmed tiers.

    Parameters
    ----------
    X : array-like or pandas.DataFrame of shape (n_samples, n_features)
        Encoded features of every registrant (confirmed or not: the refits
        learn from all rows, as the real fit does).
    y : array-like of shape (n_samples,)
        Confirmed tiers; ``None``/NaN/``""`` or -1 for unconfirmed rows (see
        :func:`segmentation.tier_indices`).
    feature_names : sequence of str, optional
        Column names of a plain array.
    core_missing : array-like of bool, optional
        Rows with a core answer missing; read from the ``:missing`` columns
        when not given (:func:`core_missing_rows`).
    n_folds : int, default=5
        Folds over the confirmed rows (fewer when there are fewer rows).
    random_state : int, default=0
        Seeds the folds and the models.
    params : mapping, optional
        :class:`ReadinessSegmenter` parameters of the refits (on top of
        :data:`REFIT_PARAMS`).
    make_estimator : callable, optional
        Builds the model to evaluate instead (any estimator whose
        ``fit(X, y, feature_names=...)`` takes partial tiers and whose
        ``predict`` returns tier codes).

    Returns
    -------
    dict
        ``n_rows``, ``n_confirmed``, ``n_confirmed_core_missing``,
        ``n_folds``, ``min_confirmed``, ``too_few_to_judge``, ``tiers`` (the
        order of the confusion matrices) and ``model``, ``rule``,
        ``no_labels``: each ``{"overall": scores, "core_missing": scores}``
        (see :func:`scores`), plus ``reliability`` (see :func:`reliability`)
        for the model. Every registrant is scored by models that never saw its
        own tier.
    """
    values, names = _matrix(X, feature_names)
    n = values.shape[0]
    seeds = tier_indices(y, n)
    missing = (
        core_missing_rows(values, names)
        if core_missing is None
        else np.asarray(core_missing, dtype=bool).ravel()
    )
    if missing.shape != (n,):
        raise ValueError(f"core_missing must have {n} entries, got {missing.shape}")
    known = np.flatnonzero(seeds >= 0)
    folds_used = min(int(n_folds), known.size)

    def build() -> Any:
        if make_estimator is not None:
            return make_estimator()
        return ReadinessSegmenter(
            **{**REFIT_PARAMS, "random_state": random_state, **(params or {})}
        )

    index = {t: i for i, t in enumerate(TIERS)}
    model_pred = np.full(known.size, -1, dtype=int)
    confidence = np.zeros(known.size)
    if folds_used >= 2:
        rng = np.random.default_rng(random_state)
        for fold in np.array_split(rng.permutation(known.size), folds_used):
            hidden = seeds.copy()
            hidden[known[fold]] = -1  # never score a registrant with its own tier
            model = build().fit(values, hidden, feature_names=names)
            rows = values[known[fold]]
            model_pred[fold] = [index[t] for t in model.predict(rows)]
            if hasattr(model, "predict_proba"):
                confidence[fold] = model.predict_proba(rows).max(axis=1)
    free = build().fit(values, None, feature_names=names)
    free_pred = np.full(known.size, -1, dtype=int)
    if known.size:
        free_pred[:] = [index[t] for t in free.predict(values[known])]
    if folds_used < 2 and known.size:
        # One confirmed row: hiding it leaves no label, so the label-free fit scores it.
        model_pred = free_pred.copy()
        confidence = free.predict_proba(values[known]).max(axis=1)
    rule = rule_tiers(values[known], names)
    rule_pred = np.array([index.get(t, -1) for t in rule], dtype=int).reshape(-1)
    truth = seeds[known]
    gap = missing[known]

    def both(predicted: np.ndarray) -> dict[str, Any]:
        return {
            "overall": scores(truth, predicted),
            "core_missing": scores(truth[gap], predicted[gap]),
        }

    return {
        "n_rows": int(n),
        "n_confirmed": int(known.size),
        "n_confirmed_core_missing": int(gap.sum()),
        "n_folds": int(max(folds_used, 1 if known.size else 0)),
        "min_confirmed": MIN_CONFIRMED,
        "too_few_to_judge": bool(known.size < MIN_CONFIRMED),
        "tiers": list(TIERS),
        "model": both(model_pred),
        "rule": both(rule_pred),
        "no_labels": both(free_pred),
        "reliability": reliability(confidence, model_pred == truth),
    }
