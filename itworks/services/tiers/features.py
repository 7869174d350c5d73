"""The segmentation's input: one feature row per live registrant, built from the
latest survey answers, the origin and engagement counted in SQL.

The column names follow the contract of ``segmentation.features``:
``surveys.encode`` columns, then ``origin=<code>`` one-hots and the numeric
``engagement:*`` columns. Only coded (non-personal) facts are read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

import surveys
from itworks import i18n
from itworks.i18n import N_
from itworks.models import (
    ORIGINS,
    Consultation,
    EventSignup,
    Registrant,
    SurveyResponse,
    TierAssignment,
)
from itworks.services.surveys import responses as survey_responses
from itworks.vocabulary import ORIGIN_LABELS

ORIGIN_COLUMNS = [f"origin={code}" for code in ORIGINS]
ENGAGEMENT_COLUMNS = [
    "engagement:consultations",
    "engagement:events_attended",
    "engagement:days_since_response",
]
CONFIRMING_METHODS = ("coordinator", "import")

# Words for the columns the application adds to the instrument's own.
EXTRA_LABELS = i18n.by_language(
    {
        "origin": N_("U/Iターン"),
        "origin=u_turn": ORIGIN_LABELS["u_turn"],
        "origin=i_turn": ORIGIN_LABELS["i_turn"],
        "origin=unknown": N_("U/Iターン: 不明"),
        "engagement:consultations": N_("キャリア相談の回数"),
        "engagement:events_attended": N_("イベント参加回数"),
        "engagement:days_since_response": N_("最終回答からの日数"),
        "engagement:days_since_response:missing": N_("アンケート: 未回答"),
    }
)


def feature_labels(instrument: surveys.Instrument, lang: str = "ja") -> dict[str, str]:
    """Words for every feature: the instrument's labels plus origin and engagement."""
    return {**surveys.feature_labels(instrument, lang), **EXTRA_LABELS[lang]}


@dataclass
class FeatureSet:
    """The fit's input. Row ``i`` is registrant ``registrant_ids[i]``."""

    registrant_ids: np.ndarray
    X: np.ndarray
    names: list[str]
    confirmed: np.ndarray  # tier code or None per row

    def __len__(self) -> int:
        return len(self.registrant_ids)


def confirmed_tiers(session: Session, *, until: datetime | None = None) -> dict[int, str]:
    """registrant id → the latest coordinator- or import-confirmed tier."""
    query = (
        sa.select(TierAssignment.registrant_id, TierAssignment.tier)
        .where(TierAssignment.method.in_(CONFIRMING_METHODS))
        .order_by(TierAssignment.assigned_at, TierAssignment.id)
    )
    if until is not None:
        query = query.where(TierAssignment.assigned_at <= until)
    return {registrant_id: tier for registrant_id, tier in session.execute(query)}


def _counts(session: Session, query: sa.Select) -> dict[int, float]:
    return {registrant_id: float(n) for registrant_id, n in session.execute(query)}


def encode_answers(
    answers: list[Mapping[str, Any]], instrument: surveys.Instrument
) -> tuple[np.ndarray, list[str]]:
    """``surveys.encode``, leaving out answers the instrument no longer accepts.

    Answers stored under an older instrument version may hold a code the
    current one dropped; that one answer counts as unanswered rather than
    stopping the whole fit.
    """
    try:
        return surveys.encode(answers, instrument)
    except surveys.SurveyValidationError as exc:
        bad: dict[int, set[str]] = defaultdict(set)
        for key in exc.errors:
            row, _, qid = str(key).partition(".")
            if row.isdigit():
                bad[int(row)].add(qid)
        kept = [
            {q: v for q, v in a.items() if q not in bad[i]} if i in bad else a
            for i, a in enumerate(answers)
        ]
        return surveys.encode(kept, instrument)


def build(
    session: Session, *, now: datetime, instrument: surveys.Instrument | None = None
) -> FeatureSet:
    """Features of every live registrant (not merged, not erased) known at ``now``."""
    instrument = instrument or survey_responses.current_instrument()
    people = session.execute(
        sa.select(Registrant.id, Registrant.origin)
        .where(
            Registrant.merged_into_id.is_(None),
            Registrant.erased_at.is_(None),
            Registrant.registered_at <= now,
        )
        .order_by(Registrant.id)
    ).all()
    ids = np.fromiter((p[0] for p in people), dtype=np.int64, count=len(people))
    answers = survey_responses.latest_answers(session, until=now)
    X_answers, names = encode_answers([answers.get(int(i), {}) for i in ids], instrument)

    origin = np.zeros((len(ids), len(ORIGINS)))
    position = {code: j for j, code in enumerate(ORIGINS)}
    for i, (_, code) in enumerate(people):
        origin[i, position.get(code, position["unknown"])] = 1.0

    consultations = _counts(
        session,
        sa.select(Consultation.registrant_id, sa.func.count(Consultation.id))
        .where(Consultation.held_at <= now)
        .group_by(Consultation.registrant_id),
    )
    attended = _counts(
        session,
        sa.select(EventSignup.registrant_id, sa.func.count(EventSignup.id))
        .where(
            EventSignup.status == "attended",
            sa.func.coalesce(EventSignup.attended_at, EventSignup.signed_up_at) <= now,
        )
        .group_by(EventSignup.registrant_id),
    )
    last_response = dict(
        session.execute(
            sa.select(SurveyResponse.registrant_id, sa.func.max(SurveyResponse.submitted_at))
            .where(SurveyResponse.submitted_at < now)
            .group_by(SurveyResponse.registrant_id)
        ).all()
    )
    engagement = np.empty((len(ids), len(ENGAGEMENT_COLUMNS)))
    for i, registrant_id in enumerate(ids.tolist()):
        engagement[i, 0] = consultations.get(registrant_id, 0.0)
        engagement[i, 1] = attended.get(registrant_id, 0.0)
        at = last_response.get(registrant_id)
        engagement[i, 2] = np.nan if at is None else _days_between(at, now)

    confirmed = confirmed_tiers(session, until=now)
    y = np.array([confirmed.get(i) for i in ids.tolist()], dtype=object)
    X = np.hstack([X_answers, origin, engagement])
    return FeatureSet(ids, X, [*names, *ORIGIN_COLUMNS, *ENGAGEMENT_COLUMNS], y)


def _days_between(earlier: datetime, later: datetime) -> float:
    # SQLite hands back naive values from an aggregate (the column type is lost).
    if earlier.tzinfo is None:
        earlier = earlier.replace(tzinfo=later.tzinfo)
    return max(0.0, (later - earlier).total_seconds() / 86400.0)
