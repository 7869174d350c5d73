"""The readiness segmenter: survey features to the four tiers and their personas."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import NamedTuple, cast

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.utils import Tags, check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from . import persistence
from ._typing import BoolArray, Features, FloatArray, IntArray, ObjectArray, TiersLike
from .explain import Explanations, Reason, explain_arrays
from .features import TIERS, FeatureLayout, prototypes
from .kmeans import (
    anchored_kmeans,
    fit_temperature,
    initial_centers,
    softmax_neg,
    sq_distances,
)
from .labelled import correction, fit_correction, prior_logits
from .naive_bayes import Space, stacked_correction
from .personas import Persona, find_personas, persona_weights
from .validation import check_params, tier_indices

CLIP = 5.0
"""Scaled values are clipped to +/-CLIP so one extreme count cannot decide a tier."""

_TIER_INDEX = {t: i for i, t in enumerate(TIERS)}


class Assignment(NamedTuple):
    """:meth:`ReadinessSegmenter.assign_explained`: everything a run stores, in one pass."""

    table: pd.DataFrame
    """What :meth:`ReadinessSegmenter.assign` returns."""
    distances: FloatArray
    """What :meth:`ReadinessSegmenter.transform` returns."""
    explanations: Explanations
    """What :meth:`ReadinessSegmenter.explain` returns, as arrays."""


# scikit-learn ships no type information, so mypy sees its base classes as Any.
class ReadinessSegmenter(ClusterMixin, TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Place registrants in the four readiness tiers and find personas inside them.

    A semi-supervised k-means with exactly four clusters, one per tier, so a
    cluster *is* a tier. Centres start from the coordinator-confirmed tiers in
    ``y`` (seeded k-means) or, for tiers nobody confirmed, from prototypes that
    restate the specification's tier definitions (see
    :mod:`segmentation.features`). With ``seeding="constrained"`` confirmed
    rows keep their tier (constrained k-means, Basu et al. 2002). Each update
    adds pseudo-members at the prototype, so the data refine the tiers but
    cannot turn one into another.

    Confirmed tiers are also labels: a naive Bayes of the answers is fitted
    by EM on them and on the unconfirmed rows, then stacked on the k-means
    logits with two weights fitted on the confirmed rows' leave-one-out
    logits (see :mod:`segmentation.naive_bayes`). The fewer the labels, the
    more the prototypes decide; without labels the model is the k-means
    model alone.

    Unanswered questions (NaN, or ``<qid>:missing`` set) are left out of the
    distances: every tier loses the same columns, so the question favours no
    tier, the other answers decide and the margin, hence the confidence,
    shrinks. The training means (``statistics_``) fill the gaps only where a
    complete vector is needed (persona sub-clustering).

    Parameters
    ----------
    n_personas_per_tier : int, default=3
        Sub-groups wanted in each tier (fewer if a tier is small).
    anchor_weight : float, default=1.0
        Weight of the prototype in each centre update, as a fraction of an
        average tier's size; 0 gives plain seeded/constrained k-means.
    seeding : {"constrained", "seeded"}, default="constrained"
        Whether confirmed rows keep their tier or only set the start.
    prior_strength : float, default=10.0
        With ``learner="logistic"``: L2 penalty on the correction learnt from
        confirmed tiers; larger trusts the prototypes longer. Ignored
        otherwise and without confirmed tiers.
    learner : {"naive_bayes_em", "naive_bayes", "logistic"}, default="naive_bayes_em"
        How confirmed tiers are learnt. ``"naive_bayes_em"``: a naive Bayes
        of the answers fitted by EM on the confirmed rows and, down-weighted,
        the unconfirmed ones, stacked on the prototype model by weights
        fitted on leave-one-out logits (see :mod:`segmentation.naive_bayes`).
        ``"naive_bayes"``: the same from the confirmed rows alone.
        ``"logistic"``: a logistic correction pulled towards the prototype
        model (see :mod:`segmentation.labelled`). Kept for comparison
        (``python -m segmentation.benchmark``).
    feature_weights : dict of str to float, optional
        Per-column weight overrides, keyed by feature name or question id
        (defaults in :data:`segmentation.features.DEFAULT_WEIGHTS`).
    max_iter : int, default=100
        Maximum number of k-means rounds.
    tol : float, default=1e-4
        Relative centre shift under which the iterations stop.
    random_state : int, RandomState instance or None, default=None
        Seeds the k-means++ fallback and the persona sub-clustering. Only
        ``None`` or an int can be saved to JSON.

    Attributes
    ----------
    classes_ : numpy.ndarray of str
        The tier codes, in the specification's order.
    feature_names_ : numpy.ndarray of str
        Feature names used (DataFrame columns, the ``feature_names`` fit
        argument, or ``x0``, ``x1``...).
    feature_names_in_ : numpy.ndarray of str
        Set only when fitted on a DataFrame (scikit-learn convention).
    n_features_in_ : int
        Number of features.
    statistics_ : numpy.ndarray
        Training mean of each column (over observed values): the centre of
        the scaling and the imputation value for personas.
    scale_ : numpy.ndarray
        Column unit: 0.5 for indicator/ordinal columns, the standard
        deviation for numbers.
    weights_ : numpy.ndarray
        Column weight in the distance.
    cluster_centers_ : numpy.ndarray of shape (4, n_features)
        Tier centres in the weighted, scaled space.
    prototypes_ : numpy.ndarray of shape (4, n_features) or None
        Tier prototypes in that space; ``None`` when no known column exists.
    init_ : str
        How the centres started: ``"prototypes"``, ``"seeds"`` or ``"k-means++"``
        (joined with ``+`` when mixed).
    temperature_ : float
        Softmax temperature of the k-means logits.
    coef_ : numpy.ndarray of shape (2 * n_features, 4) or None
        The correction learnt from confirmed tiers (observed scaled values,
        then observed-entry indicators); ``None`` without confirmed tiers.
    intercept_ : numpy.ndarray of shape (4,) or None
        Its per-tier intercepts.
    n_labelled_ : int
        Number of confirmed rows the fit learnt from.
    labels_ : numpy.ndarray of str
        Tier of each training row (confirmed rows keep theirs when constrained).
    n_iter_ : int
        Number of k-means rounds run.
    inertia_ : float
        Sum of squared distances of the training rows to their tier centre.
    personas_ : list of Persona
        Sub-groups of every tier, largest first within a tier.
    persona_centers_ : numpy.ndarray of shape (n_personas, n_features)
        Persona centres in the persona space.
    persona_weights_ : numpy.ndarray
        Column weights of the persona space (core questions excluded).

    Examples
    --------
    >>> from segmentation.synthetic import make_registrants
    >>> X, y = make_registrants(500, random_state=0)
    >>> model = ReadinessSegmenter(random_state=0).fit(X)
    >>> model.predict(X.iloc[:3]).tolist()
    ['region_undecided', 'few_years', 'move_now']
    >>> model.predict_proba(X.iloc[:1]).shape
    (1, 4)
    """

    # Fitted attributes, set by ``fit`` or ``from_json`` (annotations only: an
    # unfitted instance has none of them, as scikit-learn's checks expect).
    classes_: ObjectArray
    feature_names_: ObjectArray
    feature_names_in_: ObjectArray
    n_features_in_: int
    statistics_: FloatArray
    scale_: FloatArray
    weights_: FloatArray
    cluster_centers_: FloatArray
    prototypes_: FloatArray | None
    init_: str
    temperature_: float
    coef_: FloatArray | None
    intercept_: FloatArray | None
    n_labelled_: int
    labels_: ObjectArray
    n_iter_: int
    inertia_: float
    personas_: list[Persona]
    persona_centers_: FloatArray
    persona_weights_: FloatArray

    def __init__(
        self,
        *,
        n_personas_per_tier: int = 3,
        anchor_weight: float = 1.0,
        seeding: str = "constrained",
        prior_strength: float = 10.0,
        learner: str = "naive_bayes_em",
        feature_weights: dict[str, float] | None = None,
        max_iter: int = 100,
        tol: float = 1e-4,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.n_personas_per_tier = n_personas_per_tier
        self.anchor_weight = anchor_weight
        self.seeding = seeding
        self.prior_strength = prior_strength
        self.learner = learner
        self.feature_weights = feature_weights
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # NaN marks an unanswered question
        return tags

    # -- fitting --------------------------------------------------------------

    def fit(
        self, X: Features, y: TiersLike = None, feature_names: Sequence[str] | None = None
    ) -> ReadinessSegmenter:
        """Fit the tier centres, the confidence temperature and the personas.

        Parameters
        ----------
        X : array-like or pandas.DataFrame of shape (n_samples, n_features)
            Encoded features; NaN marks a missing value.
        y : array-like of shape (n_samples,), optional
            Confirmed tiers, partial: see :func:`tier_indices`.
        feature_names : sequence of str, optional
            Names of the columns of a plain array (a DataFrame names its own).

        Returns
        -------
        self : ReadinessSegmenter
        """
        check_params(self)
        X = self._validate_fit_input(X, feature_names)
        n_samples = X.shape[0]
        seeds = tier_indices(y, n_samples)
        layout = FeatureLayout.from_names(list(self.feature_names_))
        observed = ~np.isnan(X)
        counts = observed.sum(axis=0)
        sums = np.where(observed, X, 0.0).sum(axis=0)
        self.statistics_ = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
        imputed = np.where(observed, X, self.statistics_)
        spread = imputed.std(axis=0)
        self.scale_ = np.where(layout.bounded, 0.5, np.where(spread > 1e-12, spread, 1.0))
        weights = layout.weights(self.feature_weights)
        Z = self._scaled(imputed, weights)
        mask = layout.observed(X)
        raw_protos = prototypes(layout, X, self.statistics_, self.scale_)
        del X, observed  # the scaled copies carry on (memory at 1,000,000 rows)
        protos = None if raw_protos is None else self._scaled(raw_protos, weights)
        rng = check_random_state(self.random_state)
        init, self.init_ = initial_centers(Z, mask, seeds, protos, rng)
        result = anchored_kmeans(
            Z,
            init,
            mask=mask,
            seeds=seeds,
            constrained=self.seeding == "constrained",
            anchors=protos,
            anchor_mass=self.anchor_weight * n_samples / len(TIERS),
            max_iter=self.max_iter,
            tol=self.tol,
        )
        self.weights_, self.prototypes_ = weights, protos
        self.classes_ = np.array(TIERS, dtype=object)
        self.cluster_centers_ = result.centers
        self.labels_ = self.classes_[result.labels]
        self.n_iter_ = result.n_iter
        self.inertia_ = result.inertia
        d2 = sq_distances(Z, self.cluster_centers_, mask)
        self.temperature_ = fit_temperature(
            d2, seeds, Z, mask, self.cluster_centers_, result.labels, layout.groups()
        )
        labels = result.labels
        labelled = seeds >= 0
        self.n_labelled_ = int(labelled.sum())
        self.coef_ = self.intercept_ = None
        # One confirmed tier alone says nothing about the boundaries between tiers.
        if np.unique(seeds[labelled]).size >= 2:
            if self.learner == "logistic":
                Zl = np.where(mask[labelled], Z[labelled], 0.0)
                self.coef_, self.intercept_ = fit_correction(
                    Zl,
                    mask[labelled].astype(float),
                    prior_logits(d2[labelled], self.temperature_),
                    seeds[labelled],
                    self.prior_strength,
                )
            else:
                self.coef_, self.intercept_ = stacked_correction(
                    Z,
                    mask,
                    layout,
                    seeds,
                    d2,
                    Space(self.weights_, self.scale_, self.statistics_),
                    self.cluster_centers_,
                    self.temperature_,
                    labelled_only=self.learner == "naive_bayes",
                )
            labels = self._scores(Z, mask, d2).argmax(axis=1)
            if self.seeding == "constrained":
                labels[labelled] = seeds[labelled]
            self.labels_ = self.classes_[labels]
        self.persona_weights_ = persona_weights(layout)
        self.personas_, self.persona_centers_ = find_personas(
            imputed,
            self._scaled(imputed, self.persona_weights_),
            labels,
            layout,
            self.n_personas_per_tier,
            rng,
        )
        return self

    def _validate_fit_input(self, X: Features, feature_names: Sequence[str] | None) -> FloatArray:
        values: FloatArray = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan")
        if hasattr(self, "feature_names_in_"):
            names = list(self.feature_names_in_)
            if feature_names is not None and list(feature_names) != names:
                raise ValueError("feature_names differ from the DataFrame's columns")
        elif feature_names is not None:
            names = [str(n) for n in feature_names]
            if len(names) != values.shape[1]:
                raise ValueError(f"{len(names)} feature_names given for {values.shape[1]} columns")
        else:
            names = [f"x{i}" for i in range(values.shape[1])]
        self.feature_names_ = np.asarray(names, dtype=object)
        return values

    # -- the scaled space -----------------------------------------------------

    def _scaled(self, imputed: FloatArray, weights: FloatArray) -> FloatArray:
        clipped: FloatArray = np.clip((imputed - self.statistics_) / self.scale_, -CLIP, CLIP)
        return clipped * weights

    def _logits(self, Zm: FloatArray, m: FloatArray, d2: FloatArray) -> FloatArray:
        """Tier logits: the k-means ones plus the correction learnt from labels."""
        logits = prior_logits(d2, self.temperature_)
        coef = getattr(self, "coef_", None)
        if coef is not None:
            # fit and from_json set coef_ and intercept_ together (both or neither).
            intercept = cast(FloatArray, self.intercept_)
            logits = logits + correction(Zm, m, coef, intercept)
        return logits

    def _scores(self, Z: FloatArray, mask: BoolArray, d2: FloatArray) -> FloatArray:
        """Higher is likelier: ``-d2`` without labels (today's model exactly), else logits."""
        if getattr(self, "coef_", None) is None:
            return -d2
        return self._logits(np.where(mask, Z, 0.0), mask.astype(float), d2)

    def _proba(
        self, Z: FloatArray, mask: BoolArray, d2: FloatArray, scores: FloatArray | None = None
    ) -> FloatArray:
        """Confidences; ``scores`` is ``_scores(Z, mask, d2)`` when the caller has it."""
        if getattr(self, "coef_", None) is None:
            return softmax_neg(d2, self.temperature_)
        return softmax_neg(-(self._scores(Z, mask, d2) if scores is None else scores), 1.0)

    def _space(self, X: Features) -> tuple[FloatArray, FloatArray, BoolArray, FloatArray]:
        check_is_fitted(self)
        values: FloatArray = validate_data(
            self, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan"
        )
        imputed = np.where(np.isnan(values), self.statistics_, values)
        Z = self._scaled(imputed, self.weights_)
        mask = FeatureLayout.from_names(list(self.feature_names_)).observed(values)
        return values, Z, mask, sq_distances(Z, self.cluster_centers_, mask)

    # -- prediction -----------------------------------------------------------

    def predict(self, X: Features) -> ObjectArray:
        """Return the tier code of every row.

        Parameters
        ----------
        X : array-like or pandas.DataFrame of shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray of str
        """
        _, Z, mask, d2 = self._space(X)
        best: IntArray
        if getattr(self, "coef_", None) is None:
            best = d2.argmin(axis=1)
        else:
            best = self._scores(Z, mask, d2).argmax(axis=1)
        return self.classes_[best]

    def predict_proba(self, X: Features) -> FloatArray:
        """Return the confidence in each tier (columns follow ``classes_``).

        A softmax over the negative squared distances divided by
        ``temperature_``, plus the correction learnt from confirmed tiers.

        Returns
        -------
        numpy.ndarray of shape (n_samples, 4)
        """
        _, Z, mask, d2 = self._space(X)
        return self._proba(Z, mask, d2)

    def transform(self, X: Features) -> FloatArray:
        """Return the distance of every row to every tier centre.

        Returns
        -------
        numpy.ndarray of shape (n_samples, 4)
        """
        _, _, _, d2 = self._space(X)
        return np.sqrt(d2)

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> ObjectArray:
        """Names of the :meth:`transform` columns, ``distance:<tier>``."""
        check_is_fitted(self)
        return np.array([f"distance:{t}" for t in self.classes_], dtype=object)

    def persona_of(self, X: Features) -> ObjectArray:
        """Return the persona id of every row (``None`` if its tier has none)."""
        return self.assign(X)["persona"].to_numpy(dtype=object)

    def assign(self, X: Features) -> pd.DataFrame:
        """Return tier, confidence, runner-up tier and persona of every row.

        Returns
        -------
        pandas.DataFrame
            Columns ``tier``, ``confidence`` (probability of the tier),
            ``runner_up`` and ``persona``; the index of ``X`` when it has one.
        """
        raw, Z, mask, d2 = self._space(X)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return self._assign(raw, Z, mask, d2, self._scores(Z, mask, d2), index)

    def _assign(
        self,
        raw: FloatArray,
        Z: FloatArray,
        mask: BoolArray,
        d2: FloatArray,
        scores: FloatArray,
        index: pd.Index | None,
    ) -> pd.DataFrame:
        order = np.argsort(-scores, axis=1, kind="stable")
        proba = self._proba(Z, mask, d2, scores)
        tier = order[:, 0]
        persona = np.full(raw.shape[0], None, dtype=object)
        if self.personas_:
            imputed = np.where(np.isnan(raw), self.statistics_, raw)
            pd2 = sq_distances(self._scaled(imputed, self.persona_weights_), self.persona_centers_)
            persona_tier = np.array([_TIER_INDEX[p.tier] for p in self.personas_])
            pd2[persona_tier[None, :] != tier[:, None]] = np.inf
            has = np.isfinite(pd2).any(axis=1)
            ids = np.array([p.id for p in self.personas_], dtype=object)
            persona[has] = ids[pd2[has].argmin(axis=1)]
        return pd.DataFrame(
            {
                "tier": self.classes_[tier],
                "confidence": proba[np.arange(raw.shape[0]), tier],
                "runner_up": self.classes_[order[:, 1]],
                "persona": persona,
            },
            index=index,
        )

    def assign_explained(
        self, X: Features, feature_labels: Mapping[str, str] | None = None, top: int = 3
    ) -> Assignment:
        """:meth:`assign`, :meth:`transform` and :meth:`explain` of the same rows at once.

        The scaled space, distances and scores are computed once instead of
        three times; each part equals what its own method returns. The
        explanations come as arrays (:meth:`Explanations.reasons` gives the
        lists :meth:`explain` returns).
        """
        raw, Z, mask, d2 = self._space(X)
        scores = self._scores(Z, mask, d2)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return Assignment(
            self._assign(raw, Z, mask, d2, scores, index),
            np.sqrt(d2),
            self._explanations(raw, Z, mask, d2, scores, feature_labels, top),
        )

    def explain(
        self, X: Features, feature_labels: Mapping[str, str] | None = None, top: int = 3
    ) -> list[list[Reason]]:
        """Name, per row, the answers that most decided its tier.

        Parameters
        ----------
        X : array-like or pandas.DataFrame of shape (n_samples, n_features)
        feature_labels : mapping of str to str, optional
            Words for features (``"destination=shimane"``) or questions
            (``"destination"``, ``"move_timing:missing"``); English otherwise.
        top : int, default=3
            Maximum number of reasons per row.

        Returns
        -------
        list of list of Reason
            ``str(reason)`` is the sentence; ``reason.share`` the part of the
            margin over the runner-up tier it explains.
        """
        raw, Z, mask, d2 = self._space(X)
        return self._explanations(
            raw, Z, mask, d2, self._scores(Z, mask, d2), feature_labels, top
        ).reasons()

    def _explanations(
        self,
        raw: FloatArray,
        Z: FloatArray,
        mask: BoolArray,
        d2: FloatArray,
        scores: FloatArray,
        feature_labels: Mapping[str, str] | None,
        top: int,
    ) -> Explanations:
        coef = getattr(self, "coef_", None)
        return explain_arrays(
            Z,
            mask,
            self.cluster_centers_,
            d2,
            raw,
            FeatureLayout.from_names(list(self.feature_names_)),
            feature_labels,
            top,
            scores=None if coef is None else scores,
            coef=coef,
            temperature=self.temperature_,
        )

    def describe_personas(self, feature_labels: Mapping[str, str] | None = None) -> pd.DataFrame:
        """Return one row per persona: id, tier, size and description."""
        check_is_fitted(self)
        return pd.DataFrame(
            [(p.id, p.tier, p.size, p.describe(feature_labels)) for p in self.personas_],
            columns=["persona", "tier", "size", "description"],
        )

    # -- persistence ----------------------------------------------------------

    def to_json(self) -> str:
        """Serialise the fitted model as plain JSON (see :mod:`segmentation.persistence`)."""
        check_is_fitted(self)
        return persistence.dumps(self)

    @classmethod
    def from_json(cls, text: str) -> ReadinessSegmenter:
        """Rebuild a model saved by :meth:`to_json`.

        Raises
        ------
        ModelFormatError
            If the text is not a saved segmenter or its format is newer.
        """
        return persistence.loads(cls, text)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_json` to ``path`` (UTF-8)."""
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ReadinessSegmenter:
        """Read a model written by :meth:`save`."""
        with open(path, encoding="utf-8") as fh:
            return cls.from_json(fh.read())
