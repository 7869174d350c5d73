"""Learning from confirmed tiers with a semi-supervised naive Bayes (EM), stacked on the prior.

Confirmed tiers are few, the other registrants many. A naive Bayes model of
the answers (one categorical distribution per single-choice question, one
Bernoulli per multiple-choice answer, a Poisson per count, a Gaussian with a
pooled variance per other number) is fitted by expectation-maximisation (Nigam, McCallum, Thrun &
Mitchell, "Text Classification from Labeled and Unlabeled Documents using
EM", Machine Learning 39, 2000):

- confirmed rows keep their tier with weight 1 in every M-step;
- unconfirmed rows enter with their current posterior, down-weighted so that
  together they weigh as much as the confirmed rows (``lambda = n_confirmed /
  n_unconfirmed``, at most 1: the EM-lambda of Nigam et al.). The labels
  decide what a tier *is*; the unlabelled answers sharpen the estimates;
- the EM starts from the prototype model's posterior (the k-means prior).

With no confirmed tier nothing here runs: the model is the prototype model.

Unanswered questions add nothing to any tier (their rows are masked out of
the counts and of the likelihood), as in the distances.

The naive Bayes log-likelihood is linear in the observed answers, and so is
the prototype model's logit (``-d2 / T`` up to a per-row constant), so the
final logits are ``a * prior + c * nb``: the weights ``a`` and ``c`` are
fitted on the confirmed rows' *leave-one-out* naive Bayes logits (stacking),
which both blends the prior with the labels by how well the labels predict
held-out rows and calibrates the confidence. Everything is returned as the
linear correction of :mod:`segmentation.labelled`, so prediction, explanation
and persistence are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from ._typing import BoolArray, FloatArray, IntArray
from .features import FeatureLayout
from .kmeans import softmax_neg
from .labelled import prior_logits

EM_ITER = 30
"""Most EM rounds (the posteriors usually settle within about ten)."""

SMOOTHING = 1.0
"""Dirichlet/Beta pseudo-count per tier and question (Laplace smoothing)."""

EXCLUSIVE_SHARE = 0.98
"""A question whose answered rows tick exactly one answer this often is single choice."""

MIN_VARIANCE = 1e-3

EM_TOL = 1e-3
"""EM stops when no unconfirmed row's posterior moves by more than this."""

MAX_UNLABELLED = 20_000
"""Unconfirmed rows the EM reads at most (a seeded random sample beyond)."""

UNLABELLED_MASS = 1.0
"""Total weight of the unconfirmed rows relative to the confirmed ones (EM-lambda)."""


@dataclass(frozen=True)
class _Blocks:
    """Columns of the naive Bayes, by distribution."""

    categorical: tuple[tuple[int, ...], ...]
    bernoulli: tuple[int, ...]
    gaussian: tuple[int, ...]
    poisson: tuple[int, ...] = ()


def _blocks(layout: FeatureLayout, X: FloatArray, mask: BoolArray, weights: FloatArray) -> _Blocks:
    """Group the columns: single-choice groups, multiple-choice answers, numbers.

    ``:ord`` columns restate a one-hot answer and ``:missing`` columns are not
    evidence, so both are left out, as are columns of weight 0.
    """
    categorical: list[tuple[int, ...]] = []
    bernoulli: list[int] = []
    gaussian: list[int] = []
    poisson: list[int] = []
    by_qid: dict[str, list[int]] = {}
    for j, (qid, kind) in enumerate(zip(layout.qids, layout.kinds, strict=True)):
        if weights[j] <= 0:
            continue
        if kind == "onehot":
            by_qid.setdefault(qid, []).append(j)
        elif kind == "numeric":
            # Non-negative whole numbers (consultations, events) are counts.
            v = X[mask[:, j], j]
            whole = float((v == np.round(v)).mean()) if v.size else 0.0
            (poisson if v.size and bool((v >= 0).all()) and whole >= 0.99 else gaussian).append(j)
    for cols in by_qid.values():
        answered = mask[:, cols].all(axis=1)
        ticks = np.nan_to_num(X[np.ix_(answered, np.asarray(cols))]).sum(axis=1)
        if len(cols) > 1 and ticks.size and float((ticks == 1).mean()) >= EXCLUSIVE_SHARE:
            categorical.append(tuple(cols))
        else:
            bernoulli.extend(cols)
    return _Blocks(tuple(categorical), tuple(bernoulli), tuple(gaussian), tuple(poisson))


@dataclass(frozen=True)
class NaiveBayesFit:
    """A fitted naive Bayes as linear weights over the raw answers.

    ``logit_k(x) = (x * m) @ on[:, k] + m @ off[:, k] + bias[k]`` where ``x``
    holds the raw values (one-hot indicators, numbers) and ``m`` the observed
    entries; ``loo`` holds the leave-one-out logits of the confirmed rows.
    """

    on: FloatArray
    off: FloatArray
    bias: FloatArray
    loo: FloatArray


@dataclass(frozen=True)
class _Stats:
    """Sufficient statistics of one M-step, per tier and column."""

    sums: FloatArray  # (k, p): weighted values over observed entries
    seen: FloatArray  # (k, p): weighted observed entries
    squares: FloatArray  # (k, p): weighted squared values
    mass: FloatArray  # (k,): weighted rows


def _stats(V: FloatArray, m: FloatArray, Rw: FloatArray, gaussian: tuple[int, ...]) -> _Stats:
    squares = np.zeros((Rw.shape[1], V.shape[1]))
    if gaussian:
        g = list(gaussian)
        squares[:, g] = Rw.T @ (V[:, g] ** 2)
    return _Stats(Rw.T @ V, Rw.T @ m, squares, Rw.sum(axis=0))


def _add(a: _Stats, b: _Stats) -> _Stats:
    return _Stats(a.sums + b.sums, a.seen + b.seen, a.squares + b.squares, a.mass + b.mass)


def _variance(blocks: _Blocks, st: _Stats) -> FloatArray:
    """Pooled within-tier variance of every Gaussian column."""
    c = list(blocks.gaussian)
    mu = st.sums[:, c] / np.maximum(st.seen[:, c], 1e-12)
    within = (st.squares[:, c] - 2 * mu * st.sums[:, c] + mu**2 * st.seen[:, c]).sum(axis=0)
    var: FloatArray = np.maximum(
        within / np.maximum(st.seen[:, c].sum(axis=0), 1e-12), MIN_VARIANCE
    )
    return var


def _params(blocks: _Blocks, st: _Stats) -> tuple[FloatArray, FloatArray, FloatArray]:
    """M-step: linear weights ``(on, off, bias)`` of every tier."""
    k, p = st.sums.shape
    on = np.zeros((p, k))
    off = np.zeros((p, k))
    for cols in blocks.categorical:
        c = list(cols)
        counts = st.sums[:, c] + SMOOTHING / len(c)
        total = st.seen[:, c[0]][:, None] + SMOOTHING
        on[c] = np.log(counts / total).T
    if blocks.bernoulli:
        c = list(blocks.bernoulli)
        theta = (st.sums[:, c] + SMOOTHING / 2) / (st.seen[:, c] + SMOOTHING)
        on[c] = (np.log(theta) - np.log1p(-theta)).T
        off[c] = np.log1p(-theta).T
    if blocks.gaussian:
        c = list(blocks.gaussian)
        mu = st.sums[:, c] / np.maximum(st.seen[:, c], 1e-12)
        var = _variance(blocks, st)
        on[c] = (mu / var).T
        off[c] = (-(mu**2) / (2 * var)).T
    if blocks.poisson:
        c = list(blocks.poisson)
        rate = (st.sums[:, c] + SMOOTHING / 2) / (st.seen[:, c] + SMOOTHING)
        on[c] = np.log(rate).T
        off[c] = -rate.T
    bias = np.log((st.mass + 1.0) / (st.mass.sum() + k))
    return on, off, bias


def _logits(
    V: FloatArray, m: FloatArray, on: FloatArray, off: FloatArray, bias: FloatArray
) -> FloatArray:
    out: FloatArray = V @ on + m @ off + bias
    return out


def _softmax(L: FloatArray) -> FloatArray:
    e = np.exp(L - L.max(axis=1, keepdims=True))
    out: FloatArray = e / e.sum(axis=1, keepdims=True)
    return out


def em_rows(seeds: IntArray, limit: int = MAX_UNLABELLED) -> IntArray:
    """Rows the EM reads: every confirmed one and at most ``limit`` others.

    The unconfirmed rows weigh as much as the confirmed ones in total, so a
    large seeded random sample of them says the same as all of them, with
    less time and memory.
    """
    unlabelled = np.flatnonzero(seeds < 0)
    if unlabelled.size > limit:
        pick = np.random.default_rng(0).choice(unlabelled.size, limit, replace=False)
        unlabelled = unlabelled[pick]
    out: IntArray = np.sort(np.concatenate([np.flatnonzero(seeds >= 0), unlabelled]))
    return out


def fit_naive_bayes(
    X: FloatArray,
    mask: BoolArray,
    layout: FeatureLayout,
    weights: FloatArray,
    seeds: IntArray,
    start: FloatArray,
    *,
    unlabelled_weight: float | None = None,
    n_iter: int = EM_ITER,
) -> NaiveBayesFit:
    """Fit the naive Bayes by EM on confirmed and unconfirmed rows.

    Parameters
    ----------
    X : numpy.ndarray of shape (n_samples, n_features)
        Raw features (NaN where missing).
    mask : numpy.ndarray of bool
        Observed entries (an unanswered question's columns are unobserved).
    layout : FeatureLayout
        Column layout.
    weights : numpy.ndarray
        Column weights; columns of weight 0 are left out.
    seeds : numpy.ndarray of int
        Confirmed tier position per row, -1 when unconfirmed.
    start : numpy.ndarray of shape (n_samples, n_tiers)
        Starting posterior of the unconfirmed rows (the prior model's).
    unlabelled_weight : float, optional
        Weight of each unconfirmed row; default ``n_confirmed / n_unconfirmed``
        (at most 1), so both groups weigh the same in total. 0 is plain
        supervised naive Bayes. The rows given may be a sample of the
        unconfirmed ones (see :func:`em_rows`).
    n_iter : int
        Most EM rounds (it stops earlier once the posteriors settle, see
        :data:`EM_TOL`).

    Returns
    -------
    NaiveBayesFit
    """
    blocks = _blocks(layout, X, mask, weights)
    m = mask.astype(float)
    V = np.where(mask, X, 0.0)
    k = start.shape[1]
    labelled = np.flatnonzero(seeds >= 0)
    unlabelled = np.flatnonzero(seeds < 0)
    n_lab, n_unl = labelled.size, unlabelled.size
    if unlabelled_weight is None:
        lam = min(1.0, UNLABELLED_MASS * n_lab / n_unl) if n_unl else 0.0
    else:
        lam = float(unlabelled_weight)
    Y = np.zeros((n_lab, k))
    Y[np.arange(n_lab), seeds[labelled]] = 1.0
    Vl, ml = V[labelled], m[labelled]
    fixed = _stats(Vl, ml, Y, blocks.gaussian)  # the confirmed rows never change
    st = fixed
    if lam > 0 and n_unl:
        Vu, mu = V[unlabelled], m[unlabelled]
        R = start[unlabelled]
        st = _add(fixed, _stats(Vu, mu, lam * R, blocks.gaussian))
        for _ in range(n_iter):
            on, off, bias = _params(blocks, st)
            new = _softmax(_logits(Vu, mu, on, off, bias))
            shift = float(np.abs(new - R).max())
            R = new
            st = _add(fixed, _stats(Vu, mu, lam * R, blocks.gaussian))
            if shift < EM_TOL:
                break
    on, off, bias = _params(blocks, st)
    loo = _leave_one_out(blocks, st, Vl, ml, seeds[labelled], (on, off, bias))
    return NaiveBayesFit(on=on, off=off, bias=bias, loo=loo)


def _leave_one_out(
    blocks: _Blocks,
    st: _Stats,
    V: FloatArray,
    m: FloatArray,
    y: IntArray,
    fitted: tuple[FloatArray, FloatArray, FloatArray],
) -> FloatArray:
    """Logits of each confirmed row with its own counts taken out of its tier.

    Exact for the statistics of the final M-step (the unconfirmed rows'
    posteriors are kept), so no confirmed row vouches for its own tier when
    the blend and the confidence are fitted.
    """
    on, off, bias = fitted
    L = _logits(V, m, on, off, bias)
    if not y.size:
        return L
    rows = np.arange(y.size)
    k = st.sums.shape[0]
    S, T = st.sums[y] - V, st.seen[y] - m  # own tier's statistics without the row
    own = np.zeros(y.size)
    for cols in blocks.categorical:
        c = list(cols)
        counts = np.maximum(S[:, c], 0.0) + SMOOTHING / len(c)
        total = np.maximum(T[:, c[0]], 0.0)[:, None] + SMOOTHING
        own += (V[:, c] * np.log(counts / total)).sum(axis=1)
    if blocks.bernoulli:
        c = list(blocks.bernoulli)
        theta = (np.maximum(S[:, c], 0.0) + SMOOTHING / 2) / (np.maximum(T[:, c], 0.0) + SMOOTHING)
        own += (V[:, c] * np.log(theta) + (m[:, c] - V[:, c]) * np.log1p(-theta)).sum(axis=1)
    if blocks.gaussian:
        c = list(blocks.gaussian)
        var = _variance(blocks, st)
        mu = S[:, c] / np.maximum(T[:, c], 1e-12)
        own += (m[:, c] * (V[:, c] * mu - mu**2 / 2) / var).sum(axis=1)
    if blocks.poisson:
        c = list(blocks.poisson)
        rate = (np.maximum(S[:, c], 0.0) + SMOOTHING / 2) / (np.maximum(T[:, c], 0.0) + SMOOTHING)
        own += (V[:, c] * np.log(rate) - m[:, c] * rate).sum(axis=1)
    own += np.log(np.maximum(st.mass[y] - 1.0, 0.0) + 1.0) - np.log(st.mass.sum() - 1.0 + k)
    L[rows, y] = own
    return L


def stack(prior: FloatArray, nb: FloatArray, labels: IntArray) -> tuple[float, float]:
    """Weights ``(a, c) >= 0`` of ``softmax(a * prior + c * nb)`` minimising the log loss.

    ``prior`` and ``nb`` are logits of the confirmed rows (``nb`` leave-one-out).
    """
    rows = np.arange(labels.size)

    def loss(w: FloatArray) -> tuple[float, FloatArray]:
        L = w[0] * prior + w[1] * nb
        L = L - L.max(axis=1, keepdims=True)
        logp = L - np.log(np.exp(L).sum(axis=1, keepdims=True))
        G = np.exp(logp)
        G[rows, labels] -= 1.0
        value = -float(logp[rows, labels].sum())
        grad = np.array([(G * prior).sum(), (G * nb).sum()])
        return value, grad

    result = minimize(
        loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B", bounds=[(0.0, None)] * 2
    )
    return float(result.x[0]), float(result.x[1])


@dataclass(frozen=True)
class Space:
    """How answers map to the scaled space: ``Z = clip((X - statistics) / scale) * weights``."""

    weights: FloatArray
    scale: FloatArray
    statistics: FloatArray


def stacked_correction(
    Z: FloatArray,
    mask: BoolArray,
    layout: FeatureLayout,
    seeds: IntArray,
    d2: FloatArray,
    space: Space,
    centers: FloatArray,
    temperature: float,
    *,
    labelled_only: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """The semi-supervised naive Bayes stacked on the prior, as a linear correction.

    The naive Bayes reads the answers back from the scaled space (so its
    numbers are clipped as the distances' are) and is rewritten over
    ``(Zm, m)``; the prior's logit ``-d2 / T`` is linear there too, up to
    a per-row constant, so ``a * prior + c * nb`` is ``prior`` plus a
    linear correction (the module docstring). ``labelled_only`` leaves the
    unconfirmed rows out of the EM (the ``"naive_bayes"`` learner).
    """
    w = space.weights
    used = w > 0
    unit = np.where(used, space.scale / np.where(used, w, 1.0), 0.0)
    rows = em_rows(seeds)  # the confirmed rows and a sample of the others
    Xc = np.where(mask[rows], Z[rows] * unit + space.statistics, np.nan)
    fitted = fit_naive_bayes(
        Xc,
        mask[rows] & used,
        layout,
        w,
        seeds[rows],
        softmax_neg(d2[rows], temperature),
        unlabelled_weight=0.0 if labelled_only else None,
    )
    labelled = seeds >= 0
    a, c = stack(prior_logits(d2[labelled], temperature), fitted.loo, seeds[labelled])
    C, T = centers, temperature
    on_z = c * fitted.on * unit[:, None]
    off_m = c * (fitted.off + fitted.on * space.statistics[:, None] * used[:, None])
    coef_z = (a - 1.0) * 2.0 * C.T / T + on_z
    coef_m = -(a - 1.0) * (C * C).T / T + off_m
    coef: FloatArray = np.vstack([coef_z, coef_m])
    intercept: FloatArray = c * fitted.bias
    return coef, intercept
