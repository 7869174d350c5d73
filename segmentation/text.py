"""Readable words for feature names.

The application passes labels from the survey instruments (Japanese); this
module only supplies the English fallback, derived from the names, so that a
notebook user reads "I-turn" rather than ``origin=i_turn``.

Labels are looked up by full feature name (``"destination=shimane"``) first,
then by question id (``"destination"``) where a sentence needs the question.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

_QUESTIONS = {
    "move_timing": "move timing",
    "job_change_timing": "job change timing",
    "destination": "destination",
    "shimane_connection": "tie to Shimane",
    "age_band": "age",
    "work_style": "work style",
    "household": "household",
    "skills": "skills",
    "concerns": "concerns",
    "event_interest": "event interest",
    "experience_years": "years of experience",
    "origin": "U/I-turn",
    "engagement:consultations": "career consultations",
    "engagement:events_attended": "events attended",
    "engagement:days_since_response": "days since last survey answer",
}

_CODES = {
    "asap": "as soon as possible",
    "within_1y": "within a year",
    "within_3m": "within 3 months",
    "1_3y": "in 1-3 years",
    "3y_plus": "in 3+ years",
    "no_plan": "no plan",
    "shimane": "Shimane",
    "shimane_or_nearby": "Shimane or nearby",
    "region_undecided": "region undecided",
    "not_sure": "not sure",
    "born_raised": "born and raised there",
    "lived_or_studied": "lived or studied there",
    "under_25": "under 25",
    "50_plus": "50+",
    "web_backend": "web back-end",
    "web_frontend": "web front-end",
    "data_ai": "data/AI",
    "pm": "project management",
    "qa": "QA",
    "sales_engineer": "sales engineering",
    "available_jobs": "available jobs",
    "partner_job": "partner's job",
    "children_school": "children's school",
    "couple_children": "with partner and children",
    "with_parents": "with parents",
    "online_consultation": "online consultations",
    "study_session": "study sessions",
    "job_fair": "job fairs",
    "company_visit": "company visits",
}

# Whole-name phrasings that read better than "<question>: <answer>".
_WHOLE = {
    "origin=u_turn": "U-turn",
    "origin=i_turn": "I-turn",
    "origin=unknown": "U/I-turn unknown",
    "shimane_connection=none": "no tie to Shimane",
}
_TEMPLATES = {
    "skills": "{code} skills",
    "concerns": "worried about {code}",
    "event_interest": "interested in {code}",
    "age_band": "age {code}",
    "work_style": "prefers {code} work",
    "move_timing": "move {code}",
    "job_change_timing": "job change {code}",
}


def _code_words(code: str) -> str:
    if code in _CODES:
        return _CODES[code]
    if len(code.split("_")) == 2 and all(p.isdigit() for p in code.split("_")):
        return code.replace("_", "-")  # an age band such as 30_34
    return code.replace("_", " ")


def question_label(qid: str, labels: Mapping[str, str] | None = None) -> str:
    """Return the words for a question id.

    Examples
    --------
    >>> question_label("engagement:consultations")
    'career consultations'
    >>> question_label("destination", {"destination": "希望勤務地"})
    '希望勤務地'
    """
    if labels and qid in labels:
        return labels[qid]
    return _QUESTIONS.get(qid, qid.replace("_", " ").replace(":", " "))


def answer_label(name: str, labels: Mapping[str, str] | None = None) -> str:
    """Return the words for a one-hot feature ``<qid>=<code>``.

    Examples
    --------
    >>> answer_label("skills=web_backend")
    'web back-end skills'
    >>> answer_label("concerns=partner_job")
    "worried about partner's job"
    >>> answer_label("origin=i_turn", {"origin=i_turn": "Iターン"})
    'Iターン'
    """
    if labels and name in labels:
        return labels[name]
    if name in _WHOLE:
        return _WHOLE[name]
    qid, _, code = name.partition("=")
    words = _code_words(code)
    if qid in _TEMPLATES:
        return _TEMPLATES[qid].format(code=words)
    return f"{question_label(qid)}: {words}"


def no_answer_label(qid: str, labels: Mapping[str, str] | None = None) -> str:
    """Return the words for an unanswered question (key ``<qid>:missing``)."""
    key = f"{qid}:missing"
    if labels and key in labels:
        return labels[key]
    return f"{question_label(qid, labels)}: no answer"


def value_label(qid: str, value: float, labels: Mapping[str, str] | None = None) -> str:
    """Return the words for a numeric answer, ``"career consultations: 3"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return no_answer_label(qid, labels)
    return f"{question_label(qid, labels)}: {value:g}"


def level_label(
    qid: str, direction: int, mean: float, labels: Mapping[str, str] | None = None
) -> str:
    """Return the words for a group's high or low numeric answers."""
    word = "high" if direction > 0 else "low"
    return f"{word} {question_label(qid, labels)} (avg {mean:.1f})"
