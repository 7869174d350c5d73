"""The rule baseline: a tier from ``move_timing`` and ``destination`` alone.

The rule restates the specification literally and is what a coordinator would
do by hand from two survey answers. Rules are tried in order; the first that
matches wins:

1. destination ``region_undecided``                          -> ``region_undecided``
2. move_timing ``asap``/``within_1y`` and destination ``shimane``,
   ``shimane_or_nearby`` or unanswered                      -> ``move_now``
3. move_timing ``1_3y``/``3y_plus`` and destination not ``not_sure``
                                                              -> ``few_years``
4. destination ``not_sure`` or move_timing ``undecided``    -> ``one_option``
5. anything else (e.g. move_timing unanswered)               -> ``default``

``default`` is ``"one_option"`` (the least committed tier) unless another
code or ``None`` (undecided) is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ._typing import BoolArray, Features, ObjectArray, TiersLike
from .features import TIERS


def rule_tiers(
    X: Features, feature_names: Sequence[str] | None = None, default: str | None = "one_option"
) -> ObjectArray:
    """Apply the rule to every row.

    Parameters
    ----------
    X : array-like or pandas.DataFrame of shape (n_samples, n_features)
        Encoded features; only ``move_timing=<code>`` and
        ``destination=<code>`` columns are read, absent ones count as not
        chosen.
    feature_names : sequence of str, optional
        Column names of a plain array (a DataFrame names its own).
    default : str or None, default="one_option"
        Tier of rows no rule decides.

    Returns
    -------
    numpy.ndarray of object
        A tier code, or ``default``, per row.

    Examples
    --------
    >>> X = pd.DataFrame({"move_timing=asap": [1.0, 0.0], "destination=shimane": [1.0, 0.0]})
    >>> rule_tiers(X).tolist()
    ['move_now', 'one_option']
    """
    if default is not None and default not in TIERS:
        raise ValueError(f"default must be a tier code or None, got {default!r}")
    if isinstance(X, pd.DataFrame):
        names = [str(c) for c in X.columns]
        values = X.to_numpy(dtype=float)
    else:
        values = np.asarray(X, dtype=float)
        if feature_names is None:
            raise ValueError("feature_names are required for a plain array")
        names = [str(n) for n in feature_names]
    if values.ndim != 2 or values.shape[1] != len(names):
        raise ValueError(f"X has shape {values.shape} but {len(names)} feature names")
    index = {n: i for i, n in enumerate(names)}

    def chosen(qid: str, *codes: str) -> BoolArray:
        hit = np.zeros(values.shape[0], dtype=bool)
        for code in codes:
            j = index.get(f"{qid}={code}")
            if j is not None:
                hit |= values[:, j] >= 0.5
        return hit

    dest_any = chosen("destination", "shimane", "shimane_or_nearby", "region_undecided", "not_sure")
    soon = chosen("move_timing", "asap", "within_1y")
    later = chosen("move_timing", "1_3y", "3y_plus")
    not_sure = chosen("destination", "not_sure")
    rules = [
        (chosen("destination", "region_undecided"), "region_undecided"),
        (soon & (chosen("destination", "shimane", "shimane_or_nearby") | ~dest_any), "move_now"),
        (later & ~not_sure, "few_years"),
        (not_sure | chosen("move_timing", "undecided"), "one_option"),
    ]
    out = np.full(values.shape[0], default, dtype=object)
    decided = np.zeros(values.shape[0], dtype=bool)
    for hit, tier in rules:
        out[hit & ~decided] = tier
        decided |= hit
    return out


# scikit-learn ships no type information, so mypy sees its base classes as Any.
class RuleBaseline(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """The rule of :func:`rule_tiers` as an estimator, to compare with the model.

    ``fit`` learns nothing; it records the feature names so ``predict`` can
    read plain arrays, and ``score`` is the accuracy against known tiers.

    Parameters
    ----------
    default : str or None, default="one_option"
        Tier of rows the rule cannot decide.

    Attributes
    ----------
    classes_ : numpy.ndarray of str
        The tier codes.
    feature_names_ : list of str
        Column names seen in ``fit``.

    Examples
    --------
    >>> X = pd.DataFrame({"move_timing=3y_plus": [1.0], "destination=shimane": [1.0]})
    >>> RuleBaseline().fit(X).predict(X).tolist()
    ['few_years']
    """

    def __init__(self, *, default: str | None = "one_option") -> None:
        self.default = default

    def fit(
        self, X: Features, y: TiersLike = None, feature_names: Sequence[str] | None = None
    ) -> RuleBaseline:
        """Record the feature names; ``y`` is ignored."""
        if isinstance(X, pd.DataFrame):
            feature_names = [str(c) for c in X.columns]
        elif feature_names is None:
            raise ValueError("feature_names are required for a plain array")
        self.feature_names_ = list(feature_names)
        self.classes_ = np.array(TIERS, dtype=object)
        return self

    def predict(self, X: Features) -> ObjectArray:
        """Return the rule's tier (or ``default``) per row."""
        check_is_fitted(self)
        names = None if isinstance(X, pd.DataFrame) else self.feature_names_
        return rule_tiers(X, names, default=self.default)
