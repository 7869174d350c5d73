"""Feature-name contract, weights and tier prototypes.

The segmenter never imports the survey package: it only reads feature *names*,
following the contract of ``surveys.encode`` plus the engagement columns the
application adds:

``<qid>=<code>``
    one-hot (single choice) or multi-hot (multiple choice) indicator;
``<qid>:ord``
    ordinal position in [0, 1], 1.0 = soonest, NaN when unanswered/off-scale;
``<qid>:missing``
    1.0 when the question was left unanswered;
anything else
    a numeric column (``experience_years``, ``engagement:consultations``...).

Tier prototypes
---------------
Without confirmed tiers the four cluster centres start from prototypes that
restate the prefecture's tier definitions as expected answer shares (columns a
prototype does not mention sit at the population mean):

=================  ==========================================================
tier               prototype
=================  ==========================================================
move_now           move_timing asap/within_1y; destination shimane or
                   shimane_or_nearby; job change within 3 months/1 year;
                   more consultations and events, recent response
few_years          move_timing 1_3y/3y_plus; destination shimane or nearby;
                   job change 1-3 years or later
region_undecided   destination region_undecided; mostly I-turn with no tie
                   to Shimane
one_option         destination not_sure; move_timing undecided/3y_plus;
                   no job-change plan; little engagement
=================  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._typing import BoolArray, FloatArray

TIERS: tuple[str, ...] = ("move_now", "few_years", "region_undecided", "one_option")
"""Tier codes in the specification's order; ``classes_`` follows it."""

TIER_LABELS_JA: dict[str, str] = {
    "move_now": "直ぐに島根へUIターンしたい",
    "few_years": "何年か先にUIターンを検討中",
    "region_undecided": "Iターンしたいが地域は未確定",
    "one_option": "UIターンも選択肢の一つ",
}

#: On-scale codes of the ordinal questions, soonest first.
ORDINAL_SCALES: dict[str, tuple[str, ...]] = {
    "move_timing": ("asap", "within_1y", "1_3y", "3y_plus"),
    "job_change_timing": ("within_3m", "within_1y", "1_3y", "no_plan"),
}

#: Questions that define the tiers; personas leave them out (the tier says them).
CORE_QUESTIONS: frozenset[str] = frozenset({"move_timing", "destination", "job_change_timing"})

#: Per-column weight by question id. The tier definitions are about timing and
#: destination, so those dominate; skills and the like only break near-ties.
DEFAULT_WEIGHTS: dict[str, float] = {
    "move_timing": 3.0,
    "destination": 3.0,
    "job_change_timing": 2.0,
    "origin": 1.0,
    "shimane_connection": 1.0,
    "engagement:consultations": 1.0,
    "engagement:events_attended": 1.0,
    "engagement:days_since_response": 0.5,
}
OTHER_WEIGHT = 0.4
"""Weight of every column whose question is not in :data:`DEFAULT_WEIGHTS`."""

#: Expected answer shares per tier (see the module docstring).
PROTOTYPE_SHARES: dict[str, dict[str, dict[str, float]]] = {
    "move_now": {
        "move_timing": {"asap": 0.5, "within_1y": 0.5},
        "destination": {"shimane": 0.6, "shimane_or_nearby": 0.4},
        "job_change_timing": {"within_3m": 0.5, "within_1y": 0.5},
    },
    "few_years": {
        "move_timing": {"1_3y": 0.6, "3y_plus": 0.4},
        "destination": {"shimane": 0.5, "shimane_or_nearby": 0.5},
        "job_change_timing": {"1_3y": 0.6, "no_plan": 0.4},
    },
    "region_undecided": {
        "destination": {"region_undecided": 1.0},
        "origin": {"i_turn": 0.9, "u_turn": 0.1},
        "shimane_connection": {"none": 0.8, "lived_or_studied": 0.2},
    },
    "one_option": {
        "move_timing": {"undecided": 0.6, "3y_plus": 0.4},
        # "One option among others": Shimane may well be among the options.
        "destination": {"not_sure": 0.5, "shimane_or_nearby": 0.3, "shimane": 0.2},
        "job_change_timing": {"no_plan": 0.7, "1_3y": 0.3},
    },
}

#: Shift of numeric engagement columns, in population standard deviations.
PROTOTYPE_SHIFTS: dict[str, dict[str, float]] = {
    "move_now": {
        "engagement:consultations": 1.0,
        "engagement:events_attended": 0.7,
        "engagement:days_since_response": -0.5,
    },
    "few_years": {},
    "region_undecided": {"engagement:consultations": 0.2},
    "one_option": {
        "engagement:consultations": -0.4,
        "engagement:events_attended": -0.4,
        "engagement:days_since_response": 0.4,
    },
}


def parse_name(name: str) -> tuple[str, str, str | None]:
    """Split a feature name into ``(qid, kind, code)``.

    Parameters
    ----------
    name : str
        A feature name such as ``"skills=cloud"`` or ``"move_timing:ord"``.

    Returns
    -------
    tuple of (str, str, str or None)
        The question id, the kind (``"onehot"``, ``"ord"``, ``"missing"`` or
        ``"numeric"``) and the answer code for one-hot columns.

    Examples
    --------
    >>> parse_name("destination=shimane")
    ('destination', 'onehot', 'shimane')
    >>> parse_name("engagement:consultations")
    ('engagement:consultations', 'numeric', None)
    """
    if "=" in name:
        qid, code = name.split("=", 1)
        return qid, "onehot", code
    head, sep, tail = name.rpartition(":")
    if sep and tail in ("ord", "missing"):
        return head, tail, None
    return name, "numeric", None


@dataclass(frozen=True)
class FeatureLayout:
    """What the segmenter knows about each column, derived from its name.

    Attributes
    ----------
    names : tuple of str
        Feature names in column order.
    qids, kinds, codes : tuple
        The parts of each name (see :func:`parse_name`).

    Examples
    --------
    >>> layout = FeatureLayout.from_names(["destination=shimane", "experience_years"])
    >>> layout.bounded.tolist()
    [True, False]
    """

    names: tuple[str, ...]
    qids: tuple[str, ...]
    kinds: tuple[str, ...]
    codes: tuple[str | None, ...]

    @classmethod
    def from_names(cls, names: list[str] | tuple[str, ...]) -> FeatureLayout:
        """Parse every name once."""
        parsed = [parse_name(str(n)) for n in names]
        return cls(
            names=tuple(str(n) for n in names),
            qids=tuple(p[0] for p in parsed),
            kinds=tuple(p[1] for p in parsed),
            codes=tuple(p[2] for p in parsed),
        )

    @property
    def bounded(self) -> np.ndarray:
        """Columns known to lie in [0, 1].

        They keep their natural unit, so a rare answer does not dominate the
        distance the way its z-score would.
        """
        return np.array([kind != "numeric" for kind in self.kinds], dtype=bool)

    def weights(self, override: dict[str, float] | None = None) -> np.ndarray:
        """Per-column weight; ``override`` is keyed by full name or question id.

        ``<qid>:missing`` columns weigh 0 unless overridden by their full name.
        """
        override = override or {}
        out = []
        for name, qid, kind in zip(self.names, self.qids, self.kinds, strict=True):
            if kind == "missing":
                # Skipping a question is not evidence for a tier: the skipped
                # answers are left out of the distance instead (see the mask).
                out.append(override.get(name, 0.0))
            else:
                out.append(
                    override.get(name, override.get(qid, DEFAULT_WEIGHTS.get(qid, OTHER_WEIGHT)))
                )
        return np.asarray(out, dtype=float)

    def observed(self, X: FloatArray) -> BoolArray:
        """Entries of ``X`` (laid out as this layout) that carry an answer.

        NaN entries and every indicator/ordinal column of a question whose
        ``<qid>:missing`` is set count as unobserved: an unanswered question's
        zeros say nothing about which answer it would have been.
        """
        mask = ~np.isnan(X)
        for missing_col, cols in self.answer_groups():
            unanswered = X[:, missing_col] >= 0.5
            if unanswered.any():
                # np.ix_'s stub wants every index of one kind (a bool mask and a
                # list of ints match no overload); ix_ makes arrays of them anyway.
                mask[np.ix_(unanswered, np.asarray(cols))] = False
        return mask

    def answer_groups(self) -> list[tuple[int, list[int]]]:
        """Pair each ``<qid>:missing`` column with the answer columns it voids."""
        idx = self.index()
        groups = []
        for name, qid, kind in zip(self.names, self.qids, self.kinds, strict=True):
            if kind != "missing":
                continue
            cols = [j for j, (q, k) in enumerate(zip(self.qids, self.kinds, strict=True))
                    if q == qid and k in ("onehot", "ord")]  # fmt: skip
            if cols:
                groups.append((idx[name], cols))
        return groups

    def groups(self) -> np.ndarray:
        """Integer id of each column's question, in order of first appearance."""
        first: dict[str, int] = {}
        return np.array([first.setdefault(q, len(first)) for q in self.qids], dtype=np.intp)

    def index(self) -> dict[str, int]:
        """Return the column position of every name."""
        return {n: i for i, n in enumerate(self.names)}


def ordinal_values(layout: FeatureLayout, X: np.ndarray, qid: str) -> dict[str, float]:
    """Return the ``<qid>:ord`` value of each code of an ordinal question.

    The values are read from the data (mean ``:ord`` of the rows that chose
    the code) so that the segmenter does not depend on the encoder's spacing;
    codes nobody chose fall back to an even spacing from 1.0 down to 0.0.
    """
    scale = ORDINAL_SCALES.get(qid, ())
    even = {c: 1.0 - i / max(len(scale) - 1, 1) for i, c in enumerate(scale)}
    idx = layout.index()
    ord_col = idx.get(f"{qid}:ord")
    if ord_col is None:
        return even
    out = dict(even)
    for code in scale:
        col = idx.get(f"{qid}={code}")
        if col is None:
            continue
        chosen = X[:, col] >= 0.5
        values = X[chosen, ord_col]
        values = values[~np.isnan(values)]
        if values.size:
            out[code] = float(values.mean())
    return out


def prototypes(
    layout: FeatureLayout, X: np.ndarray, center: np.ndarray, scale: np.ndarray
) -> np.ndarray | None:
    """Build the four tier prototypes in raw feature units.

    Parameters
    ----------
    layout : FeatureLayout
        Column layout.
    X : numpy.ndarray
        Training matrix with NaN (used only to read ordinal spacing).
    center, scale : numpy.ndarray
        Population mean and scale of each column.

    Returns
    -------
    numpy.ndarray of shape (4, n_features) or None
        ``None`` when no column that tells tiers apart is present.
    """
    idx = layout.index()
    protos = np.tile(center, (len(TIERS), 1))
    defining = False
    for t, tier in enumerate(TIERS):
        for qid, shares in PROTOTYPE_SHARES[tier].items():
            cols = [i for i, q in enumerate(layout.qids) if q == qid]
            if not cols:
                continue
            for i in cols:
                kind, code = layout.kinds[i], layout.codes[i]
                if kind == "onehot":
                    protos[t, i] = shares.get(code or "", 0.0)
                    defining = True
                elif kind == "missing":
                    protos[t, i] = 0.0
            ord_col = idx.get(f"{qid}:ord")
            if ord_col is not None:
                values = ordinal_values(layout, X, qid)
                on_scale = {c: s for c, s in shares.items() if c in values}
                # Off-scale answers (``undecided``) are imputed with the mean.
                off = 1.0 - sum(on_scale.values())
                protos[t, ord_col] = sum(s * values[c] for c, s in on_scale.items())
                protos[t, ord_col] += off * center[ord_col]
                defining = True
        for name, shift in PROTOTYPE_SHIFTS[tier].items():
            col = idx.get(name)
            if col is not None:
                protos[t, col] = center[col] + shift * scale[col]
                defining = True
    return protos if defining else None
