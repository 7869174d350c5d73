"""Personas: data-driven sub-groups inside each tier, described in words.

Inside a tier everyone answered the timing and destination questions alike
(that is what the tier means), so personas are found on the other answers:
origin, tie to Shimane, age, skills, concerns, engagement. Their descriptions
name the traits that set them apart from the whole population.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans

from . import text
from ._typing import FloatArray
from .features import CORE_QUESTIONS, TIERS, FeatureLayout

MAX_PERSONA_SAMPLES = 10_000
"""Rows per tier used to find persona centres; the rest are only assigned."""

_MAX_TRAITS = 4
_MIN_SHARE = 0.4  # an answer names a persona only when many of its members gave it
_MIN_SCORE = 0.25


@dataclass(frozen=True)
class Trait:
    """A way a persona differs from the whole population.

    Attributes
    ----------
    feature : str
        The feature name.
    kind : {"answer", "no_answer", "high", "low"}
        How it differs: an answer given more often, a question left unanswered
        more often, or a numeric answer higher or lower than usual.
    value : float
        The persona's share (for answers) or mean (for numbers).
    population : float
        The same figure over everyone.
    score : float
        The difference in population standard deviations.
    """

    feature: str
    kind: str
    value: float
    population: float
    score: float

    def describe(self, feature_labels: Mapping[str, str] | None = None) -> str:
        """Return the trait in words."""
        if self.kind == "answer":
            return text.answer_label(self.feature, feature_labels)
        if self.kind == "no_answer":
            return text.no_answer_label(self.feature.removesuffix(":missing"), feature_labels)
        direction = 1 if self.kind == "high" else -1
        return text.level_label(self.feature, direction, self.value, feature_labels)


@dataclass(frozen=True)
class Persona:
    """A sub-group of one tier.

    Attributes
    ----------
    id : str
        ``"<tier>-<n>"``, numbered from the largest persona of the tier.
    tier : str
        The tier code.
    size : int
        Number of training rows in the persona.
    centroid : dict of str to float
        Mean of every feature over its members (missing values imputed).
    traits : tuple of Trait
        The most distinguishing traits, strongest first.

    Examples
    --------
    >>> p = Persona("move_now-1", "move_now", 12, {}, ())
    >>> p.description
    'typical of its tier'
    """

    id: str
    tier: str
    size: int
    centroid: dict[str, float]
    traits: tuple[Trait, ...]

    def describe(self, feature_labels: Mapping[str, str] | None = None) -> str:
        """Return a short description, e.g. ``"I-turn, age 30-34, web back-end skills"``.

        Parameters
        ----------
        feature_labels : mapping of str to str, optional
            Labels keyed by feature name or question id; English otherwise.
        """
        if not self.traits:
            return "typical of its tier"
        return ", ".join(t.describe(feature_labels) for t in self.traits)

    @property
    def description(self) -> str:
        """The English description."""
        return self.describe()


def persona_weights(layout: FeatureLayout) -> np.ndarray:
    """Column weights of the persona space: everything but the core questions."""
    w = np.array([qid not in CORE_QUESTIONS for qid in layout.qids], dtype=float)
    return w if w.any() else np.ones(len(layout.names))


def find_personas(
    X: np.ndarray,
    Zp: np.ndarray,
    tier_index: np.ndarray,
    layout: FeatureLayout,
    n_per_tier: int,
    seed_rng: np.random.RandomState,
) -> tuple[list[Persona], np.ndarray]:
    """Sub-cluster each tier with k-means and describe the sub-groups.

    Parameters
    ----------
    X : numpy.ndarray of shape (n_samples, n_features)
        Imputed features in their own units.
    Zp : numpy.ndarray of shape (n_samples, n_features)
        The same rows in the scaled persona space.
    tier_index : numpy.ndarray of int
        Position of each row's tier in :data:`TIERS`.
    layout : FeatureLayout
        Column layout.
    n_per_tier : int
        Wanted personas per tier; fewer when a tier has fewer distinct rows.
    seed_rng : numpy.random.RandomState
        Source of the k-means seeds, so a fixed ``random_state`` gives fixed
        personas.

    Returns
    -------
    personas : list of Persona
    centers : numpy.ndarray of shape (n_personas, n_features)
        Persona centres in the persona space, aligned with ``personas``.
    """
    pop_mean = X.mean(axis=0)
    pop_std = np.maximum(X.std(axis=0), 1e-6)
    personas: list[Persona] = []
    centers: list[np.ndarray] = []
    seeds = seed_rng.randint(np.iinfo(np.int32).max, size=len(TIERS))
    for t, tier in enumerate(TIERS):
        members = np.flatnonzero(tier_index == t)
        if members.size == 0:
            continue
        rng = np.random.RandomState(seeds[t])
        if members.size > MAX_PERSONA_SAMPLES:
            sample = np.sort(rng.choice(members, MAX_PERSONA_SAMPLES, replace=False))
        else:
            sample = members
        # Fewer distinct rows than clusters would make k-means warn and
        # return duplicate centres.
        k = _distinct_rows(Zp[sample], n_per_tier)
        if k <= 1:
            sub_centers = Zp[members].mean(axis=0, keepdims=True)
            assign = np.zeros(members.size, dtype=int)
        else:
            km = KMeans(n_clusters=k, n_init=3, random_state=seeds[t]).fit(Zp[sample])
            sub_centers = km.cluster_centers_
            assign = km.predict(Zp[members])
        sizes = np.bincount(assign, minlength=sub_centers.shape[0])
        order = sorted(np.flatnonzero(sizes), key=lambda j: (-sizes[j], j))
        for rank, j in enumerate(order, start=1):
            rows = members[assign == j]
            mean = X[rows].mean(axis=0)
            personas.append(
                Persona(
                    id=f"{tier}-{rank}",
                    tier=tier,
                    size=int(rows.size),
                    centroid=dict(zip(layout.names, map(float, mean), strict=True)),
                    traits=traits(mean, pop_mean, pop_std, layout),
                )
            )
            centers.append(sub_centers[j])
    n = len(layout.names)
    return personas, (np.vstack(centers) if centers else np.empty((0, n)))


def _distinct_rows(A: FloatArray, limit: int) -> int:
    """Count distinct rows of ``A``, stopping at ``limit`` (cheaper than a sort)."""
    reps = A[:1]
    while reps.shape[0] < limit:
        gap = ((A[:, None, :] - reps[None, :, :]) ** 2).sum(axis=2).min(axis=1)
        new = np.flatnonzero(gap > 0)
        if new.size == 0:
            break
        reps = np.vstack([reps, A[new[0]]])
    count: int = reps.shape[0]
    return count


def traits(
    mean: np.ndarray, pop_mean: np.ndarray, pop_std: np.ndarray, layout: FeatureLayout
) -> tuple[Trait, ...]:
    """Pick the traits that most set a group apart, one per question."""
    candidates: list[Trait] = []
    score = (mean - pop_mean) / pop_std
    for j, (name, qid, kind) in enumerate(
        zip(layout.names, layout.qids, layout.kinds, strict=True)
    ):
        if qid in CORE_QUESTIONS or kind == "ord":
            continue
        if kind in ("onehot", "missing"):
            if mean[j] >= _MIN_SHARE and score[j] > _MIN_SCORE:
                trait_kind = "answer" if kind == "onehot" else "no_answer"
                candidates.append(
                    Trait(name, trait_kind, float(mean[j]), float(pop_mean[j]), float(score[j]))
                )
        elif abs(score[j]) >= 2 * _MIN_SCORE:
            candidates.append(
                Trait(
                    name,
                    "high" if score[j] > 0 else "low",
                    float(mean[j]),
                    float(pop_mean[j]),
                    float(score[j]),
                )
            )
    candidates.sort(key=lambda t: (-abs(t.score), t.feature))
    chosen: list[Trait] = []
    seen: set[str] = set()
    for trait in candidates:
        qid = layout.qids[layout.names.index(trait.feature)]
        if qid not in seen:
            seen.add(qid)
            chosen.append(trait)
        if len(chosen) == _MAX_TRAITS:
            break
    return tuple(chosen)
