"""Checks of the segmenter's inputs: constructor parameters and partial tiers."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from ._typing import IntArray
from .features import TIERS

if TYPE_CHECKING:
    from .estimator import ReadinessSegmenter

_TIER_INDEX = {t: i for i, t in enumerate(TIERS)}

LEARNERS: tuple[str, ...] = ("naive_bayes_em", "naive_bayes", "logistic")
"""How confirmed tiers are learnt (see :class:`segmentation.ReadinessSegmenter`)."""


def tier_indices(y: object, n_samples: int) -> IntArray:
    """Turn a partial tier vector into cluster positions, -1 for unknown.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or None
        Tier codes (``"move_now"``...). Unknown entries are ``None``, NaN,
        ``pandas.NA`` or ``""``. Integers are read as positions in
        :data:`TIERS` (0 = ``move_now``) with -1 for unknown, the convention of
        :mod:`sklearn.semi_supervised`.
    n_samples : int
        Expected length.

    Returns
    -------
    numpy.ndarray of int
        Position of each row's confirmed tier, -1 when unknown.

    Examples
    --------
    >>> tier_indices(["one_option", None, "", 0], 4).tolist()
    [3, -1, -1, 0]
    """
    out = np.full(n_samples, -1, dtype=np.intp)
    if y is None:
        return out
    values = np.asarray(y, dtype=object)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values.ravel()
    if values.ndim != 1 or values.shape[0] != n_samples:
        raise ValueError(f"y must be 1-D with {n_samples} entries, got shape {values.shape}")
    for i, v in enumerate(values):
        if v is None or v is pd.NA or (isinstance(v, str) and v == ""):
            continue
        if isinstance(v, str):
            if v not in _TIER_INDEX:
                raise ValueError(f"unknown tier code {v!r} in y; expected one of {TIERS}")
            out[i] = _TIER_INDEX[v]
        elif isinstance(v, numbers.Real) and not isinstance(v, bool):
            # typeshed's numbers.Real supports neither int() nor comparison with
            # an int; PEP 484 spells a real number ``float`` (no runtime effect).
            r = cast(float, v)
            if math.isnan(r) or r == -1:
                continue
            if r != int(r) or not 0 <= r < len(TIERS):
                raise ValueError(f"tier position {r!r} in y is outside 0..{len(TIERS) - 1}")
            out[i] = int(r)
        else:
            raise ValueError(f"y entries must be tier codes, got {type(v).__name__}")
    return out


def check_params(est: ReadinessSegmenter) -> None:
    """Raise ``ValueError`` for a constructor parameter out of range."""
    if not isinstance(est.n_personas_per_tier, numbers.Integral) or est.n_personas_per_tier < 1:
        raise ValueError("n_personas_per_tier must be a positive integer")
    if not isinstance(est.anchor_weight, numbers.Real) or not est.anchor_weight >= 0:
        raise ValueError("anchor_weight must be a non-negative number")
    if not isinstance(est.prior_strength, numbers.Real) or not est.prior_strength >= 0:
        raise ValueError("prior_strength must be a non-negative number")
    if est.learner not in LEARNERS:
        raise ValueError(f"learner must be one of {', '.join(LEARNERS)}, got {est.learner!r}")
    if est.seeding not in ("constrained", "seeded"):
        raise ValueError(f"seeding must be 'constrained' or 'seeded', got {est.seeding!r}")
    if not isinstance(est.max_iter, numbers.Integral) or est.max_iter < 1:
        raise ValueError("max_iter must be a positive integer")
    if not isinstance(est.tol, numbers.Real) or not est.tol >= 0:
        raise ValueError("tol must be a non-negative number")
    weights = est.feature_weights or {}
    if not isinstance(weights, Mapping) or any(
        not isinstance(w, numbers.Real) or not w >= 0 for w in weights.values()
    ):
        raise ValueError("feature_weights must map names to non-negative numbers")
