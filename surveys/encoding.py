"""Turn answers into a numeric feature matrix for the segmentation step.

The feature names are a contract with ``segmentation`` (which never imports
this package) and with stored models, so they only change with a new
instrument version:

- ordinal single choice: ``<qid>:ord``, then ``<qid>=<code>`` per code, then
  ``<qid>:missing``;
- single choice: ``<qid>=<code>`` per code, then ``<qid>:missing``;
- multiple choice: ``<qid>=<code>`` per code (multi-hot), then ``<qid>:missing``;
- number: ``<qid>`` (the raw value), then ``<qid>:missing``;
- free text: nothing (it is personal data and not comparable).

An unanswered item is always marked by its ``:missing`` column and NaN where a
value would stand, never by a silent zero that reads as a real answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from surveys.instrument import Instrument, Question, check_lang
from surveys.validation import clean_rows

ORD = ":ord"
MISSING = ":missing"


def feature_names(instrument: Instrument) -> list[str]:
    """Return the names of the columns :func:`encode` produces, in order."""
    names: list[str] = []
    for question in instrument.questions:
        names.extend(_question_features(question))
    return names


def encode(
    answers: Sequence[Mapping[str, object]] | Iterable[Mapping[str, object]],
    instrument: Instrument,
) -> tuple[np.ndarray, list[str]]:
    """Encode respondents' answers as a float64 feature matrix.

    Parameters
    ----------
    answers : sequence of Mapping
        One mapping of question id to answer per respondent, raw or already
        cleaned by :func:`surveys.validate`. Unanswered questions are allowed,
        even required ones; they are encoded as missing.
    instrument : Instrument
        The instrument the answers were given against.

    Returns
    -------
    X : numpy.ndarray of shape (n_respondents, n_features), dtype float64
        One row per respondent, columns in instrument question order.
        ``<qid>:ord`` is 1.0 for the first (soonest) code and 0.0 for the last
        on-scale code, evenly spaced; NaN when unanswered or off-scale.
        Numbers are raw values, NaN when unanswered. Every other column is 0/1.
    feature_names : list of str
        Column names, as :func:`feature_names` returns them.

    Raises
    ------
    SurveyValidationError
        When any answer is invalid (unknown question or code, wrong type...);
        keys are ``"<row index>.<question id>"``.

    Examples
    --------
    >>> from surveys import load_instrument
    >>> X, names = encode([{"move_timing": "within_1y"}], load_instrument("readiness", 1))
    >>> names[:3]
    ['move_timing:ord', 'move_timing=asap', 'move_timing=within_1y']
    >>> X[0, :3].tolist()
    [0.6666666666666667, 0.0, 1.0]
    """
    rows = answers if isinstance(answers, Sequence) else list(answers)
    columns = clean_rows(rows, instrument)
    names = feature_names(instrument)
    n = len(rows)
    X = np.zeros((n, len(names)), dtype=np.float64)
    start = 0
    for question in instrument.questions:
        width = len(_question_features(question))
        if width:
            _encode_question(question, columns[question.id], X[:, start : start + width])
        start += width
    return X, names


def feature_labels(instrument: Instrument, lang: str = "ja") -> dict[str, str]:
    """Name every feature of :func:`encode` in words, for explanations and personas.

    Parameters
    ----------
    instrument : Instrument
    lang : {"ja", "en"}

    Returns
    -------
    dict[str, str]
        Feature name to label, in feature order, e.g. ``"destination=shimane"``
        → ``"移住先: 島根県に決めている"`` and ``"move_timing:missing"`` →
        ``"移住時期: 未回答"``.
    """
    check_lang(lang)
    ja = lang == "ja"
    labels: dict[str, str] = {}
    for q in instrument.questions:
        short = q.short(lang)
        if q.type == "text":
            continue
        if q.type == "number":
            unit = q.unit_ja if ja else q.unit_en
            labels[q.id] = (f"{short}（{unit}）" if ja else f"{short} ({unit})") if unit else short
        if q.ordinal:
            first = q.choice(q.scale_codes[0]).label(lang)
            last = q.choice(q.scale_codes[-1]).label(lang)
            labels[q.id + ORD] = (
                f"{short}: 尺度（1＝{first}、0＝{last}）"
                if ja
                else f"{short}: scale (1 = {first}, 0 = {last})"
            )
        for choice in q.choices:
            labels[f"{q.id}={choice.code}"] = f"{short}: {choice.label(lang)}"
        labels[q.id + MISSING] = f"{short}: 未回答" if ja else f"{short}: no answer"
    return labels


def ordinal_scale(question: Question) -> dict[str, float]:
    """Return the ``:ord`` value of each on-scale code of an ordinal question.

    The first code scores 1.0 and the last on-scale code 0.0, evenly spaced;
    off-scale codes are absent.
    """
    codes = question.scale_codes
    if len(codes) < 2:
        return {}
    step = len(codes) - 1
    return {code: 1.0 - k / step for k, code in enumerate(codes)}


def _question_features(q: Question) -> list[str]:
    if q.type == "text":
        return []
    if q.type == "number":
        return [q.id, q.id + MISSING]
    head = [q.id + ORD] if q.ordinal else []
    return head + [f"{q.id}={code}" for code in q.codes] + [q.id + MISSING]


def _encode_question(q: Question, values: list[object], out: np.ndarray) -> None:
    """Fill ``out`` (a view of X holding this question's columns) from cleaned values."""
    n = len(values)
    if q.type == "number":
        numbers = np.fromiter(
            (np.nan if v is None else v for v in values), dtype=np.float64, count=n
        )
        out[:, 0] = numbers
        out[:, 1] = np.isnan(numbers)
        return

    index = q.positions
    first = 1 if q.ordinal else 0
    if q.type == "single":
        positions = np.fromiter(
            (index.get(v, -1) if isinstance(v, str) else -1 for v in values),
            dtype=np.intp,
            count=n,
        )
        answered = positions >= 0
        rows = np.flatnonzero(answered)
        out[rows, first + positions[answered]] = 1.0
        if q.ordinal:
            scale = ordinal_scale(q)
            by_position = np.array([scale.get(code, np.nan) for code in q.codes])
            out[:, 0] = np.where(answered, by_position[positions], np.nan)
    else:
        answered = np.fromiter((v is not None for v in values), dtype=bool, count=n)
        rows_list: list[int] = []
        cols_list: list[int] = []
        for i, chosen in enumerate(values):
            if chosen is not None:
                for code in chosen:  # type: ignore[attr-defined]
                    rows_list.append(i)
                    cols_list.append(index[code])
        rows = np.asarray(rows_list, dtype=np.intp)
        out[rows, first + np.asarray(cols_list, dtype=np.intp)] = 1.0
    out[:, -1] = ~answered
