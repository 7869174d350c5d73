"""Personas in words a coordinator would say, in the page's language.

A segmentation run keeps each persona's traits with its model (the answers its
members give more often than everyone, the questions they leave unanswered more
often, the figures above or below the average). Assignments store the persona's
short description (the Japanese feature list the run wrote, which the persona
filter matches); this module turns the traits into a sentence:

- Uターンの人が多い。島根とのつながりは「島根出身」、参加したいイベントは「勉強会」と
  答えた人が多い。希望する連絡方法は未回答が多い。
- Mostly U-turn registrants. Mostly answered Connection to Shimane: Born or raised
  in Shimane; Event interest: Study sessions. Often left unanswered: Contact channel.

A persona of an older run whose model is gone keeps its stored description.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from itworks.i18n import N_, translate
from itworks.services.surveys import responses as survey_responses
from itworks.services.tiers import features, segment

WHO = N_("%(who)sの人が多い。")
ANSWERED = N_("%(answers)sと答えた人が多い。")
UNANSWERED = N_("%(questions)sは未回答が多い。")
HIGHER = N_("%(figure)sが平均より多い（%(value)s）。")
LOWER = N_("%(figure)sが平均より少ない（%(value)s）。")
ANSWER = N_("%(question)sは「%(choice)s」")
# How the parts of one sentence are joined, per language (punctuation, not words).
JOIN = {"ja": ("、", "・", ""), "en": ("; ", ", ", " ")}


def _split(label: str) -> tuple[str | None, str]:
    """'Question: choice' → (question, choice); a label without a question → (None, label)."""
    question, sep, choice = label.partition(": ")
    return (question, choice) if sep else (None, label)


def sentence(traits: Iterable[Any], labels: Mapping[str, str], lang: str) -> str:
    """One persona's traits ([feature, kind, value, …] as the model keeps them) as
    sentences in ``lang``."""
    within, between, space = JOIN["ja" if lang.startswith("ja") else "en"]
    who, answers, unanswered, figures = [], [], [], []
    for trait in traits:
        feature, kind, value = trait[0], trait[1], float(trait[2])
        label = labels.get(feature, feature)
        question, choice = _split(label)
        if kind == "answer" and question is None:
            who.append(choice)  # a label that stands alone, such as Uターン
        elif kind == "answer":
            answers.append(translate(ANSWER.bind(question=question, choice=choice), lang))
        elif kind == "no_answer":
            unanswered.append(question or label)
        else:
            template = HIGHER if kind == "high" else LOWER
            figures.append(translate(template.bind(figure=label, value=f"{value:.1f}"), lang))
    parts = []
    if who:
        parts.append(translate(WHO.bind(who=between.join(who)), lang))
    if answers:
        parts.append(translate(ANSWERED.bind(answers=within.join(answers)), lang))
    if unanswered:
        parts.append(translate(UNANSWERED.bind(questions=between.join(unanswered)), lang))
    parts += figures
    return space.join(parts)


def latest(session: Session, lang: str) -> dict[str, str]:
    """The latest run's personas as sentences in ``lang``, keyed by persona id and by
    the description its assignments store (so a stored description finds its words)."""
    run = segment.latest_run(session)
    if run is None or not run.model_json:
        return {}
    try:
        kept = json.loads(run.model_json).get("personas") or []
    except (TypeError, ValueError):
        return {}
    labels = features.feature_labels(survey_responses.current_instrument(), lang)
    descriptions = {p["id"]: p.get("description") for p in (run.metrics or {}).get("personas", [])}
    out: dict[str, str] = {}
    for persona in kept:
        words = sentence(persona.get("traits") or [], labels, lang)
        if not words:
            continue
        out[persona["id"]] = words
        if descriptions.get(persona["id"]):
            out[descriptions[persona["id"]]] = words
    return out
