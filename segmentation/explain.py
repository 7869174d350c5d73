"""Why a registrant landed in a tier, in a coordinator's words.

For each row the squared distance to the runner-up tier minus the distance to
the chosen tier is a sum over columns. Summing those terms per question gives
how much each question pushed the row towards its tier rather than the next
best; the questions that pushed most are named with the row's own answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from . import text
from ._typing import BoolArray, FloatArray, IntArray, ObjectArray
from .features import FeatureLayout


class Reason(NamedTuple):
    """One question that drove a tier assignment.

    A named tuple rather than a dataclass: explaining 100,000 rows builds
    300,000 of them, and tuples are several times cheaper to create.

    Attributes
    ----------
    feature : str
        The question id (``"destination"``, ``"engagement:consultations"``).
    text : str
        The registrant's answer in words, e.g. ``"destination: Shimane"``.
    share : float
        This question's part of everything that pushed the registrant towards
        the chosen tier rather than the runner-up (shares of one row sum to
        at most 1).
    """

    feature: str
    text: str
    share: float

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class _Question:
    qid: str
    onehots: tuple[int, ...]
    missing: int | None
    value: int | None  # numeric or ordinal column


def _questions(layout: FeatureLayout) -> list[_Question]:
    order: dict[str, dict[str, Any]] = {}
    for j, (qid, kind) in enumerate(zip(layout.qids, layout.kinds, strict=True)):
        q = order.setdefault(qid, {"onehots": [], "missing": None, "value": None})
        if kind == "onehot":
            q["onehots"].append(j)
        elif kind == "missing":
            q["missing"] = j
        elif q["value"] is None or kind == "numeric":
            q["value"] = j
    return [
        _Question(qid, tuple(q["onehots"]), q["missing"], q["value"]) for qid, q in order.items()
    ]


def _answer_texts(
    q: _Question, rows: np.ndarray, layout: FeatureLayout, labels: Mapping[str, str] | None
) -> np.ndarray:
    """Word the answers of question ``q`` for a block of rows.

    Rows share few distinct answers, so each distinct answer is worded once.
    """
    out = np.empty(rows.shape[0], dtype=object)
    todo = np.ones(rows.shape[0], dtype=bool)
    if q.onehots:
        active = rows[:, list(q.onehots)] >= 0.5
        # A bit pattern per row; questions have far fewer than 63 codes.
        keys = active[:, :62].astype(np.int64) @ (
            np.int64(1) << np.arange(min(active.shape[1], 62))
        )
        for key in np.unique(keys[keys > 0]):
            chosen = [q.onehots[b] for b in range(62) if key >> b & 1][:3]
            out[keys == key] = ", ".join(text.answer_label(layout.names[j], labels) for j in chosen)
        todo = keys == 0
    unanswered = todo.copy()
    if q.value is not None:
        values = rows[:, q.value]
        numeric = todo & ~np.isnan(values)
        if q.missing is not None:
            numeric &= rows[:, q.missing] < 0.5
        for value in np.unique(values[numeric]):
            out[numeric & (values == value)] = text.value_label(q.qid, float(value), labels)
        unanswered &= ~numeric
    out[unanswered] = text.no_answer_label(q.qid, labels)
    return out


def explain_rows(
    Z: np.ndarray,
    mask: np.ndarray,
    centers: np.ndarray,
    d2: np.ndarray,
    X_raw: np.ndarray,
    layout: FeatureLayout,
    feature_labels: Mapping[str, str] | None,
    top: int,
    *,
    scores: np.ndarray | None = None,
    coef: np.ndarray | None = None,
    temperature: float = 1.0,
) -> list[list[Reason]]:
    """Name the questions that most separate each row's tier from the runner-up.

    Parameters
    ----------
    Z : numpy.ndarray of shape (n_samples, n_features)
        Rows in the weighted, scaled space.
    mask : numpy.ndarray of bool, shape (n_samples, n_features)
        Observed entries; unobserved ones push towards no tier.
    centers : numpy.ndarray of shape (n_tiers, n_features)
        Tier centres in the same space.
    d2 : numpy.ndarray of shape (n_samples, n_tiers)
        Squared distances of the rows to the centres.
    X_raw : numpy.ndarray of shape (n_samples, n_features)
        The rows as given (NaN for missing), to word the answers.
    layout : FeatureLayout
        Column layout.
    feature_labels : mapping of str to str or None
        Labels by feature name or question id.
    top : int
        Maximum number of reasons per row.
    scores : numpy.ndarray of shape (n_samples, n_tiers), optional
        Logits that rank the tiers (higher first) when a correction learnt
        from confirmed tiers is in use; ``-d2`` ranks them otherwise.
    coef : numpy.ndarray of shape (2 * n_features, n_tiers), optional
        That correction (see :mod:`segmentation.labelled`); its part of the
        margin is added per column to the distances' part.
    temperature : float, default=1.0
        Temperature of the k-means logits, to put both parts in one unit.

    Returns
    -------
    list of list of Reason
        Per row, the questions that favoured the chosen tier, strongest first.
        Only questions that pushed towards the chosen tier are listed.
    """
    return explain_arrays(
        Z,
        mask,
        centers,
        d2,
        X_raw,
        layout,
        feature_labels,
        top,
        scores=scores,
        coef=coef,
        temperature=temperature,
    ).reasons()


@dataclass(frozen=True)
class Explanations:
    """The reasons of many rows as arrays, ``top`` slots per row, strongest first.

    :meth:`reasons` turns them into :class:`Reason` lists; a caller that
    stores thousands of rows can read the arrays directly instead (slot
    ``k`` of row ``i`` is a reason when ``counted[i, k]``).

    Attributes
    ----------
    questions : tuple of str
        The question ids, indexed by ``question``.
    question : numpy.ndarray of int, shape (n_samples, top)
        The question in each slot.
    text : numpy.ndarray of object, shape (n_samples, top)
        The row's answer in words where ``counted``, else None.
    share : numpy.ndarray of float, shape (n_samples, top)
        The question's share of what pushed the row towards its tier.
    counted : numpy.ndarray of bool, shape (n_samples, top)
        Whether the slot holds a reason (the question pushed towards the tier).
    """

    questions: tuple[str, ...]
    question: IntArray
    text: ObjectArray
    share: FloatArray
    counted: BoolArray

    def __len__(self) -> int:
        return int(self.question.shape[0])

    def reasons(self) -> list[list[Reason]]:
        """Per row, the :class:`Reason` of every counted slot, strongest first."""
        qids = self.questions
        # Plain lists: building ~n*top objects from NumPy scalars is several times slower.
        share = self.share.tolist()
        positive = self.counted.tolist()
        texts, ranked = self.text.tolist(), self.question.tolist()
        return [
            [
                Reason(qids[g], words, sh)
                for g, words, sh, ok in zip(ranked[i], texts[i], share[i], positive[i], strict=True)
                if ok
            ]
            for i in range(len(ranked))
        ]


def explain_arrays(
    Z: FloatArray,
    mask: BoolArray,
    centers: FloatArray,
    d2: FloatArray,
    X_raw: FloatArray,
    layout: FeatureLayout,
    feature_labels: Mapping[str, str] | None,
    top: int,
    *,
    scores: FloatArray | None = None,
    coef: FloatArray | None = None,
    temperature: float = 1.0,
) -> Explanations:
    """:func:`explain_rows` as arrays (same parameters): see :class:`Explanations`."""
    questions = _questions(layout)
    group = np.zeros((len(layout.names), len(questions)))
    for g, q in enumerate(questions):
        for j in (*q.onehots, q.missing, q.value):
            if j is not None:
                group[j, g] = 1.0
    order = np.argsort(d2 if scores is None else -scores, axis=1, kind="stable")
    chosen, runner_up = order[:, 0], order[:, 1]
    contrib = np.where(mask, (Z - centers[runner_up]) ** 2 - (Z - centers[chosen]) ** 2, 0.0)
    if coef is not None:
        # Margin in logits: the distances' part over the temperature plus the
        # correction's part, column by column.
        p = Z.shape[1]
        contrib = contrib / temperature
        contrib += np.where(mask, Z, 0.0) * (coef[:p].T[chosen] - coef[:p].T[runner_up])
        contrib += mask * (coef[p:].T[chosen] - coef[p:].T[runner_up])
    by_question = contrib @ group
    pushed = np.maximum(np.where(by_question > 0, by_question, 0.0).sum(axis=1), 1e-12)
    ranked = np.argsort(-by_question, axis=1, kind="stable")[:, :top]
    strength = np.take_along_axis(by_question, ranked, axis=1)
    counted = strength > 0
    texts = np.full(ranked.shape, None, dtype=object)
    for g, q in enumerate(questions):
        rows, slots = np.nonzero((ranked == g) & counted)
        if rows.size:
            texts[rows, slots] = _answer_texts(q, X_raw[rows], layout, feature_labels)
    return Explanations(
        tuple(q.qid for q in questions), ranked, texts, strength / pushed[:, None], counted
    )
