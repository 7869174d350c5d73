"""Seeded and constrained k-means with prototype anchors, and its temperature.

Seeded k-means and constrained k-means follow Basu, Banerjee & Mooney,
"Semi-supervised Clustering by Seeding" (ICML 2002): the centroids start at the
means of the labelled seeds; in the constrained variant the seeds also keep
their labels in every assignment step.

The anchor is a prior on each centroid: the update is the mean of the cluster's
members plus ``anchor_mass`` pseudo-members at the tier prototype. It keeps the
cluster identity equal to the tier definition while still letting the data move
the centre (a maximum-a-posteriori k-means with a Gaussian prior on centroids).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import kmeans_plusplus

from ._typing import BoolArray, FloatArray, IntArray


def sq_distances(Z: FloatArray, centers: FloatArray, mask: BoolArray | None = None) -> FloatArray:
    """Squared Euclidean distances of every row of ``Z`` to every centre.

    Parameters
    ----------
    Z : numpy.ndarray of shape (n_samples, n_features)
        Rows.
    centers : numpy.ndarray of shape (n_centers, n_features)
        Centres.
    mask : numpy.ndarray of bool, optional
        Observed entries of ``Z``. Unobserved ones are left out of the sum
        (marginalised): every centre loses the same columns, so an unanswered
        question favours no tier and only lowers the margin.

    Returns
    -------
    numpy.ndarray of shape (n_samples, n_centers)
    """
    if mask is None:
        return _sq_distances(Z, None, centers)
    return _sq_distances(np.where(mask, Z, 0.0), mask.astype(float), centers)


def _sq_distances(Zm: FloatArray, m: FloatArray | None, centers: FloatArray) -> FloatArray:
    # Zm has zeros where unobserved and m is the float mask, prepared once per fit.
    zz: FloatArray = np.einsum("ij,ij->i", Zm, Zm)[:, None]  # no (n, p) temporary
    cc: FloatArray = (
        (centers * centers).sum(axis=1)[None, :] if m is None else m @ (centers * centers).T
    )
    # Cancellation can leave tiny negatives.
    return np.maximum(zz - 2.0 * (Zm @ centers.T) + cc, 0.0)


def initial_centers(
    Z: FloatArray,
    mask: BoolArray,
    seeds: IntArray,
    prototypes: FloatArray | None,
    rng: np.random.RandomState,
    n_clusters: int = 4,
) -> tuple[FloatArray, str]:
    """Start each centre at its seeds' mean, else its prototype, else k-means++.

    Returns
    -------
    init : numpy.ndarray of shape (n_clusters, n_features)
    source : str
        ``"seeds"``, ``"prototypes"``, ``"k-means++"`` or a ``+``-joined mix.
    """
    init = np.zeros((n_clusters, Z.shape[1]))
    seeded = np.zeros(n_clusters, dtype=bool)
    for k in range(n_clusters):
        rows = seeds == k
        if rows.any():
            seen = mask[rows].sum(axis=0)
            mean = np.where(mask[rows], Z[rows], 0.0).sum(axis=0) / np.maximum(seen, 1)
            fallback = prototypes[k] if prototypes is not None else Z[rows].mean(axis=0)
            init[k] = np.where(seen > 0, mean, fallback)
            seeded[k] = True
    sources = ["seeds"] if seeded.any() else []
    if seeded.all():
        return init, "+".join(sources)
    if prototypes is not None:
        init[~seeded] = prototypes[~seeded]
        return init, "+".join([*sources, "prototypes"])
    # Nothing names the tiers: spread the remaining centres over the data.
    need = int((~seeded).sum())
    if Z.shape[0] < need:
        raise ValueError(
            f"n_samples={Z.shape[0]} is too few to start {need} tier centres "
            "without known feature names or confirmed tiers"
        )
    init[~seeded], _ = kmeans_plusplus(Z, n_clusters=need, random_state=rng)
    return init, "+".join([*sources, "k-means++"])


@dataclass(frozen=True)
class KMeansResult:
    """Outcome of :func:`anchored_kmeans`."""

    centers: FloatArray
    labels: IntArray
    inertia: float
    n_iter: int


def anchored_kmeans(
    Z: FloatArray,
    init: FloatArray,
    *,
    mask: BoolArray,
    seeds: IntArray,
    constrained: bool,
    anchors: FloatArray | None,
    anchor_mass: float,
    max_iter: int,
    tol: float,
) -> KMeansResult:
    """Run Lloyd iterations from ``init``.

    Parameters
    ----------
    Z : numpy.ndarray of shape (n_samples, n_features)
        Weighted, scaled data.
    init : numpy.ndarray of shape (n_clusters, n_features)
        Initial centres.
    mask : numpy.ndarray of bool, shape (n_samples, n_features)
        Observed entries; centres average only what was observed.
    seeds : numpy.ndarray of int, shape (n_samples,)
        Known cluster of each row, -1 when unknown.
    constrained : bool
        Whether seeds keep their label (constrained k-means).
    anchors : numpy.ndarray of shape (n_clusters, n_features) or None
        Prior centre of each cluster; ``None`` for plain k-means updates.
    anchor_mass : float
        Number of pseudo-members placed at each anchor.
    max_iter : int
        Maximum number of assignment/update rounds.
    tol : float
        Stop when no label changes and the largest centre shift, relative to
        the data's spread, is below ``tol``.

    Returns
    -------
    KMeansResult
    """
    k = init.shape[0]
    centers = init.copy()
    fixed = (seeds >= 0) if constrained else np.zeros(Z.shape[0], dtype=bool)
    Zm = np.where(mask, Z, 0.0)
    m = mask.astype(float)
    spread = float(np.sqrt((Zm.var(axis=0)).sum())) or 1.0
    labels = np.full(Z.shape[0], -1)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is reported
        new = _sq_distances(Zm, m, centers).argmin(axis=1)
        new[fixed] = seeds[fixed]
        onehot = np.zeros((Z.shape[0], k))
        onehot[np.arange(Z.shape[0]), new] = 1.0
        sums = onehot.T @ Zm
        counts = onehot.T @ m  # observed entries per cluster and column
        if anchors is not None and anchor_mass > 0:
            updated = (sums + anchor_mass * anchors) / (counts + anchor_mass)
        else:
            # A column nobody in the cluster answered keeps its centre.
            updated = np.where(counts > 0, sums / np.maximum(counts, 1.0), centers)
        shift = float(np.sqrt(((updated - centers) ** 2).sum(axis=1)).max())
        changed = bool((new != labels).any())
        centers, labels = updated, new
        if not changed and shift <= tol * spread:
            break
    d2 = _sq_distances(Zm, m, centers)
    inertia = float(d2[np.arange(Z.shape[0]), labels].sum())
    return KMeansResult(centers=centers, labels=labels, inertia=inertia, n_iter=n_iter)


def softmax_neg(d2: FloatArray, temperature: float) -> FloatArray:
    """Row-wise softmax of ``-d2 / temperature``."""
    row_min: FloatArray = d2.min(axis=1, keepdims=True)
    logits = -(d2 - row_min) / temperature
    p = np.exp(logits)
    total: FloatArray = p.sum(axis=1, keepdims=True)
    return p / total


def _golden_min(f: Callable[[float], float], lo: float, hi: float, iters: int = 60) -> float:
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = lo, hi
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(iters):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = f(d)
    return (a + b) / 2.0


def fit_temperature(
    d2: FloatArray,
    seeds: IntArray,
    Z: FloatArray,
    mask: BoolArray,
    centers: FloatArray,
    labels: IntArray,
    groups: IntArray,
) -> float:
    """Choose the softmax temperature of ``predict_proba``.

    With at least 10 confirmed rows from two tiers or more, the temperature
    minimises their log loss, which calibrates the confidence on what
    coordinators confirmed.

    Otherwise it is ``2 sigma^2``, as for a mixture of Gaussians with a
    shared variance ``sigma^2`` per independent dimension. The columns of one
    question move together (one answer sets them all), so each question counts
    as one dimension with the pooled within-tier variance ``V_q`` of its
    columns, and ``sigma^2 = sum(V_q^2) / sum(V_q)``: the total variance over
    the participation-ratio number of questions. Counting every column as a
    dimension instead would make every answer look certain.

    Parameters
    ----------
    d2 : numpy.ndarray of shape (n_samples, n_clusters)
        Squared distances to the fitted centres.
    seeds : numpy.ndarray of int
        Confirmed cluster per row, -1 when unknown.
    Z, mask : numpy.ndarray of shape (n_samples, n_features)
        Scaled rows and their observed entries.
    centers : numpy.ndarray of shape (n_clusters, n_features)
        Fitted centres.
    labels : numpy.ndarray of int
        Fitted cluster of each row.
    groups : numpy.ndarray of int, shape (n_features,)
        Question of each column.

    Returns
    -------
    float
        A strictly positive temperature.
    """
    labelled = seeds >= 0
    if labelled.sum() >= 10 and np.unique(seeds[labelled]).size >= 2:
        d2l, yl = d2[labelled], seeds[labelled]

        def log_loss(log_t: float) -> float:
            p = softmax_neg(d2l, float(np.exp(log_t)))
            return float(-np.log(np.maximum(p[np.arange(yl.size), yl], 1e-300)).mean())

        typical = float(np.median(d2.min(axis=1))) or float(d2.mean()) or 1.0
        log_typical = np.log(typical)
        return float(np.exp(_golden_min(log_loss, log_typical - 9.0, log_typical + 9.0)))
    resid = np.where(mask, Z - centers[labels], 0.0)
    within = (resid**2).sum(axis=0) / np.maximum(mask.sum(axis=0), 1)
    per_question = np.bincount(groups, weights=within)
    if per_question.sum() <= 0:
        return 1.0
    return float(2.0 * (per_question**2).sum() / per_question.sum())
