"""Count answers per choice, overall or per group (アンケート集計).

Cross tabs by origin, age band or tier, and small-cell suppression, are the
app's business; this module only counts.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import overload

from surveys.instrument import Instrument
from surveys.validation import clean_rows

UNANSWERED = "unanswered"
ANSWERED = "answered"


@dataclass(frozen=True)
class Tally:
    """Counts of the answers to one question.

    Attributes
    ----------
    question_id : str
    n : int
        Respondents counted, unanswered included.
    counts : dict[str, int]
        Respondents per bucket: every choice code in instrument order, then
        ``"unanswered"``. Number and text questions have the buckets
        ``"answered"`` and ``"unanswered"`` instead. On a multiple-choice
        question a respondent counts once under each chosen code, so the
        counts may add up to more than ``n``.
    """

    question_id: str
    n: int
    counts: dict[str, int]

    @property
    def answered(self) -> int:
        """Respondents who answered the question."""
        return self.n - self.counts[UNANSWERED]

    @property
    def shares(self) -> dict[str, float]:
        """Each count as a fraction of ``n`` (all 0.0 when ``n`` is 0)."""
        if self.n == 0:
            return {bucket: 0.0 for bucket in self.counts}
        return {bucket: count / self.n for bucket, count in self.counts.items()}


@overload
def tally(
    answers_rows: Sequence[Mapping[str, object]],
    instrument: Instrument,
    question_id: str,
    by: None = None,
) -> Tally: ...


@overload
def tally(
    answers_rows: Sequence[Mapping[str, object]],
    instrument: Instrument,
    question_id: str,
    by: Sequence[Hashable],
) -> dict[Hashable, Tally]: ...


def tally(
    answers_rows: Sequence[Mapping[str, object]],
    instrument: Instrument,
    question_id: str,
    by: Sequence[Hashable] | None = None,
) -> Tally | dict[Hashable, Tally]:
    """Count the answers to one question.

    Parameters
    ----------
    answers_rows : sequence of Mapping
        One mapping of question id to answer per respondent (raw or cleaned).
    instrument : Instrument
    question_id : str
        The question to count.
    by : sequence of hashable, optional
        A group label per respondent, parallel to ``answers_rows`` (e.g. the
        respondent's tier or age band).

    Returns
    -------
    Tally or dict
        Without ``by``, one :class:`Tally` for everyone. With ``by``, one per
        group label, in the order the labels first appear.

    Raises
    ------
    KeyError
        ``question_id`` is not in the instrument.
    ValueError
        ``by`` is not as long as ``answers_rows``.
    SurveyValidationError
        An answer is invalid.

    Examples
    --------
    >>> from surveys import load_instrument
    >>> rows = [{"destination": "shimane"}, {"destination": "shimane"}, {}]
    >>> t = tally(rows, load_instrument("readiness", 1), "destination")
    >>> t.counts["shimane"], t.counts["unanswered"], round(t.shares["shimane"], 3)
    (2, 1, 0.667)
    """
    question = instrument.question(question_id)
    if by is not None and len(by) != len(answers_rows):
        raise ValueError(
            f"by has {len(by)} group labels for {len(answers_rows)} rows; they must be parallel"
        )
    values = clean_rows(answers_rows, instrument, [question])[question_id]
    buckets = [*question.codes, UNANSWERED] if question.codes else [ANSWERED, UNANSWERED]
    groups = [None] * len(values) if by is None else by

    counts: dict[Hashable, dict[str, int]] = {}
    sizes: dict[Hashable, int] = {}
    for group, value in zip(groups, values, strict=True):
        bucket_counts = counts.get(group)
        if bucket_counts is None:
            bucket_counts = counts[group] = dict.fromkeys(buckets, 0)
            sizes[group] = 0
        sizes[group] += 1
        if value is None:
            bucket_counts[UNANSWERED] += 1
        elif question.type == "single":
            bucket_counts[value] += 1  # type: ignore[index]
        elif question.type == "multiple":
            for code in value:  # type: ignore[attr-defined]
                bucket_counts[code] += 1
        else:
            bucket_counts[ANSWERED] += 1

    if by is None:
        return Tally(question_id, sizes.get(None, 0), counts.get(None, dict.fromkeys(buckets, 0)))
    return {group: Tally(question_id, sizes[group], counts[group]) for group in counts}
