"""Agreement between tier vectors, and cluster quality (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import (
    accuracy_score,
    adjusted_rand_score,
    cohen_kappa_score,
    silhouette_score,
)

from ._typing import BoolArray, Features, ObjectArray, TiersLike
from .features import TIERS

SILHOUETTE_SAMPLE = 5_000
"""Rows used for the silhouette; it is quadratic in the sample size."""


def _as_labels(values: TiersLike) -> ObjectArray:
    out = pd.Series(np.asarray(values, dtype=object).ravel(), dtype=object)
    return out.where(out.notna() & (out != ""), None).to_numpy(dtype=object)


def agreement(y_true: TiersLike, y_pred: TiersLike, tiers: Sequence[str] = TIERS) -> dict[str, Any]:
    """Accuracy and Cohen's kappa, overall and per tier.

    Rows whose true tier is unknown (``None``, NaN, ``""``) are left out; a
    prediction of ``None`` counts as a disagreement.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Tier codes.
    tiers : sequence of str, default=TIERS
        Tiers to report on.

    Returns
    -------
    dict
        ``n``, ``accuracy``, ``kappa`` and ``per_tier``: for each tier its
        ``support``, ``accuracy`` (share of that tier's rows given the tier,
        i.e. recall) and ``kappa`` (one tier against the rest).

    Examples
    --------
    >>> agreement(["move_now", "one_option"], ["move_now", "few_years"])["accuracy"]
    0.5
    """
    true, pred = _as_labels(y_true), _as_labels(y_pred)
    if true.shape != pred.shape:
        raise ValueError(f"y_true has {true.size} rows, y_pred {pred.size}")
    known = np.array([t is not None for t in true], dtype=bool)
    true = true[known].astype(str)
    pred = np.array(["<none>" if p is None else str(p) for p in pred[known]], dtype=object)
    pred = pred.astype(str)
    result: dict[str, Any] = {"n": int(true.size), "accuracy": float("nan"), "kappa": float("nan")}
    per_tier: dict[str, dict[str, float]] = {}
    if true.size:
        result["accuracy"] = float(accuracy_score(true, pred))
        result["kappa"] = _kappa(true, pred)
    for tier in tiers:
        rows = true == tier
        per_tier[tier] = {
            "support": int(rows.sum()),
            "accuracy": float((pred[rows] == tier).mean()) if rows.any() else float("nan"),
            "kappa": _kappa(true == tier, pred == tier) if true.size else float("nan"),
        }
    result["per_tier"] = per_tier
    return result


def _kappa(a: ObjectArray | BoolArray, b: ObjectArray | BoolArray) -> float:
    # Kappa is undefined (0/0) when both raters use a single label; report
    # perfect agreement then rather than let sklearn warn and return NaN.
    if np.unique(np.concatenate([a, b])).size < 2:
        return 1.0
    return float(cohen_kappa_score(a, b))


def adjusted_rand(labels_a: ArrayLike, labels_b: ArrayLike) -> float:
    """Adjusted Rand index between two labelings (1 = same partition)."""
    return float(adjusted_rand_score(np.asarray(labels_a).ravel(), np.asarray(labels_b).ravel()))


def silhouette(
    X: Features,
    labels: ArrayLike,
    *,
    sample_size: int = SILHOUETTE_SAMPLE,
    random_state: int | None = 0,
) -> float:
    """Silhouette of ``labels`` on a random sample of at most ``sample_size`` rows.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The space to measure in, without NaN (for a fitted segmenter,
        ``model.transform(X)``: the distances to the four tier centres).
    labels : array-like of shape (n_samples,)
        Cluster labels.
    sample_size : int, default=5000
        Cap on the rows used; the silhouette is quadratic in it.
    random_state : int or None, default=0
        Seed of the sample.

    Returns
    -------
    float
        In [-1, 1]; NaN when the sample holds fewer than two labels.
    """
    X = np.asarray(X, dtype=float)
    labels = np.asarray(labels).ravel()
    if labels.size > sample_size:
        rng = np.random.default_rng(random_state)
        rows = np.sort(rng.choice(labels.size, sample_size, replace=False))
        X, labels = X[rows], labels[rows]
    n_labels = np.unique(labels).size
    if not 2 <= n_labels <= labels.size - 1:
        return float("nan")
    return float(silhouette_score(X, labels))
