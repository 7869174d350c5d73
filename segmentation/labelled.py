"""Learning from confirmed tiers: a correction fitted on the labels, centred on the prior.

The k-means model (prototypes refined by all rows, see :mod:`segmentation.kmeans`)
gives every row a logit per tier, ``-d2 / temperature``. Coordinators'
confirmed tiers then fit a multinomial logistic correction on top of it:

``logit_k(x) = prior_k(x) + (m * z) . A_k + m . B_k + b_k``

where ``z`` is the row in the weighted, scaled space and ``m`` its observed
entries (so an unanswered question adds nothing, as in the distances). The
correction minimises the log loss on the confirmed rows plus
``prior_strength / 2 * ||A, B||^2``: a Gaussian prior centred on the prototype
model (maximum a posteriori logistic regression). With few confirmed tiers the
penalty keeps the prototype model; as labels accumulate their likelihood
outweighs the fixed penalty and the data decide. Without labels there is no
correction at all.

The prior logits are a sum over columns too (squared distances are), so the
corrected model is still linear in the answers and :mod:`segmentation.explain`
can split every margin per question.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from ._typing import FloatArray, IntArray

INTERCEPT_PENALTY = 1.0
"""Penalty on the per-tier intercepts relative to ``prior_strength``.

Confirmed rows are rarely a random sample (coordinators confirm the tiers
they act on), so their base rates are held to the prior as firmly as the rest.
"""

MAX_ITER = 300


def prior_logits(d2: FloatArray, temperature: float) -> FloatArray:
    """The prototype model's logits, shifted so each row's best is 0."""
    row_min: FloatArray = d2.min(axis=1, keepdims=True)
    return -(d2 - row_min) / temperature


def correction(
    Zm: FloatArray, m: FloatArray, coef: FloatArray, intercept: FloatArray
) -> FloatArray:
    """The labels' correction of the logits, ``Zm @ A + m @ B + b``.

    ``coef`` stacks ``A`` over ``B`` (shape ``(2 * n_features, n_tiers)``);
    ``Zm`` is the scaled data with zeros where unobserved, ``m`` the float mask.
    """
    p = Zm.shape[1]
    return Zm @ coef[:p] + m @ coef[p:] + intercept


def fit_correction(
    Zm: FloatArray,
    m: FloatArray,
    prior: FloatArray,
    labels: IntArray,
    prior_strength: float,
    n_classes: int = 4,
) -> tuple[FloatArray, FloatArray]:
    """Fit ``(coef, intercept)`` on the confirmed rows only.

    Parameters
    ----------
    Zm, m : numpy.ndarray of shape (n_labelled, n_features)
        Confirmed rows, zeroed where unobserved, and their float mask.
    prior : numpy.ndarray of shape (n_labelled, n_classes)
        The prototype model's logits of those rows (a fixed offset).
    labels : numpy.ndarray of int
        Confirmed tier position of each row.
    prior_strength : float
        L2 penalty on the correction's coefficients; larger stays nearer the
        prototype model.

    Returns
    -------
    coef : numpy.ndarray of shape (2 * n_features, n_classes)
    intercept : numpy.ndarray of shape (n_classes,)
    """
    n, p = Zm.shape
    F = np.hstack([Zm, m])
    Y = np.zeros((n, n_classes))
    Y[np.arange(n), labels] = 1.0
    size = 2 * p * n_classes
    lam = max(float(prior_strength), 1e-8)

    def loss(w: FloatArray) -> tuple[float, FloatArray]:
        W = w[:size].reshape(2 * p, n_classes)
        b = w[size:]
        L = prior + F @ W + b
        L -= L.max(axis=1, keepdims=True)
        log_z = np.log(np.exp(L).sum(axis=1, keepdims=True))
        logp = L - log_z
        G = np.exp(logp) - Y
        value = -(Y * logp).sum() + 0.5 * lam * (W * W).sum()
        value += 0.5 * INTERCEPT_PENALTY * lam * (b * b).sum()
        grad = np.concatenate(
            [(F.T @ G + lam * W).ravel(), G.sum(axis=0) + INTERCEPT_PENALTY * lam * b]
        )
        return float(value), grad

    result = minimize(
        loss,
        np.zeros(size + n_classes),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": MAX_ITER},
    )
    w = result.x
    return w[:size].reshape(2 * p, n_classes), w[size:].copy()
