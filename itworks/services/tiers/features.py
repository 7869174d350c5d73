"""The segmentation's input: one feature row per live registrant, built from the
latest survey answers, the origin and engagement counted in SQL.

The column names follow the contract of ``segmentation.features``:
``surveys.encode`` columns, then ``origin=<code>`` one-hots and the numeric
``engagement:*`` columns. Only coded (non-personal) facts are read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
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
from itworks.services.kpi import measures
from itworks.services.privacy import scope
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


def encode_distinct(
    answers: list[Mapping[str, Any]], instrument: surveys.Instrument
) -> tuple[np.ndarray, list[str]]:
    """:func:`encode_answers`, each question's distinct answers encoded once.

    Every column of the encoding depends on one question's answer alone, so
    the distinct answers of each question are encoded as a few rows (an
    invalid one counts as unanswered, as in :func:`encode_answers`) and every
    row copies its answer's columns: the same matrix, without cleaning
    100,000 rows one by one.
    """
    names = surveys.feature_names(instrument)
    if not answers:
        return encode_answers(answers, instrument)
    spans: list[tuple[str, int, int]] = []
    start = 0
    for question in instrument.questions:
        stop = start
        while stop < len(names) and (
            names[stop] == question.id
            or names[stop].startswith((question.id + ":", question.id + "="))
        ):
            stop += 1
        if stop > start:
            spans.append((question.id, start, stop))
        start = stop
    distinct: dict[str, list[Any]] = {}
    positions: dict[str, list[int]] = {}
    for qid, _, _ in spans:
        distinct[qid], positions[qid] = _distinct([a.get(qid) for a in answers])
    width = max((len(v) for v in distinct.values()), default=0)
    unique_rows = [
        {qid: values[k] for qid, values in distinct.items() if k < len(values)}
        for k in range(width)
    ]
    X_unique, names = encode_answers([*unique_rows, {}], instrument)
    X = np.empty((len(answers), len(names)))
    for qid, start, stop in spans:
        at = np.asarray(positions[qid], dtype=np.intp)
        at[at < 0] = width  # unanswered: the empty row
        X[:, start:stop] = X_unique[at, start:stop]
    return X, names


def _distinct(column: list[Any]) -> tuple[list[Any], list[int]]:
    """The distinct answers of one column and each row's position among them (-1: none).

    Answers are told apart by type as well as value (``True`` is not ``1``); a
    value that cannot be compared safely gets a position of its own.
    """
    kinds = set(map(type, column)) - {type(None)}
    if kinds <= {str} or kinds == {int}:
        # One plain type: values compare exactly as they encode (the usual case).
        values = [v for v in dict.fromkeys(column) if v is not None]
        at = {v: i for i, v in enumerate(values)}
        return values, [at.get(v, -1) for v in column]
    seen: dict[Any, int] = {}
    values = []
    out: list[int] = []
    for value in column:
        if value is None:
            out.append(-1)
            continue
        kind = value.__class__
        key: Any
        if kind is str:
            key = value
        elif (kind is list or kind is tuple) and all(v.__class__ is str for v in value):
            key = (kind, *value)
        elif kind is int or kind is float:
            key = (kind, value)
        else:
            key = object()  # anything else is rare: encoded on its own
        index = seen.get(key)
        if index is None:
            index = seen[key] = len(values)
            values.append(value)
        out.append(index)
    return values, out


def build(
    session: Session, *, now: datetime, instrument: surveys.Instrument | None = None
) -> FeatureSet:
    """Features of every live registrant (not merged, not erased) known at ``now``.

    Engagement is counted in SQL, one grouped query per measure, read on the
    session's connection as plain rows (no ORM objects); no personal field is
    read.
    """
    instrument = instrument or survey_responses.current_instrument()
    connection = session.connection()
    people = connection.execute(
        sa.select(Registrant.id, Registrant.origin)
        .where(scope.in_use(), Registrant.registered_at <= now)
        .order_by(Registrant.id)
    ).all()
    n = len(people)
    ids = np.fromiter((p[0] for p in people), dtype=np.int64, count=n)
    id_list = ids.tolist()
    answers = survey_responses.latest_answers(session, until=now)
    X_answers, names = encode_distinct([answers.get(i, {}) for i in id_list], instrument)

    position = {code: j for j, code in enumerate(ORIGINS)}
    unknown = position["unknown"]
    origin = np.zeros((n, len(ORIGINS)))
    origin[np.arange(n), [position.get(p[1], unknown) for p in people]] = 1.0

    # Engagement is the person's: a merged duplicate's consultations, attendance and
    # answers count for the registrant it was merged into (grouped by survivor).
    person = sa.func.coalesce(Registrant.merged_into_id, Registrant.id)
    engagement = np.empty((n, len(ENGAGEMENT_COLUMNS)))
    engagement[:, 0] = _per_person(
        connection,
        ids,
        sa.select(person, sa.func.count(Consultation.id))
        .join(Registrant, Registrant.id == Consultation.registrant_id)
        .where(Consultation.held_at <= now)
        .group_by(person),
        default=0.0,
    )
    engagement[:, 1] = _per_person(
        connection,
        ids,
        sa.select(person, sa.func.count(sa.distinct(EventSignup.event_id)))
        .join(Registrant, Registrant.id == EventSignup.registrant_id)
        .where(
            measures.attended(),
            sa.func.coalesce(EventSignup.attended_at, EventSignup.signed_up_at) <= now,
        )
        .group_by(person),
        default=0.0,
    )
    engagement[:, 2] = _days_since_response(connection, ids, now)

    confirmed = confirmed_tiers(session, until=now)
    y = np.array([confirmed.get(i) for i in id_list], dtype=object)
    X = np.hstack([X_answers, origin, engagement])
    return FeatureSet(ids, X, [*names, *ORIGIN_COLUMNS, *ENGAGEMENT_COLUMNS], y)


def _per_person(
    connection: sa.Connection,
    ids: np.ndarray,
    query: sa.Select[*tuple[Any, ...]],
    *,
    default: float,
    value: Callable[[Any], float] = float,
) -> np.ndarray:
    """One figure per row of ``ids`` (sorted) from a query of (person id, figure) rows;
    ``default`` for a person the query has no row for (and for other people's rows)."""
    rows = connection.execute(query).all()
    out = np.full(len(ids), default)
    if not rows or not len(ids):
        return out
    person = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    figures = np.fromiter((value(r[1]) for r in rows), dtype=np.float64, count=len(rows))
    at = np.minimum(np.searchsorted(ids, person), len(ids) - 1)
    found = ids[at] == person
    out[at[found]] = figures[found]
    return out


def _days_since_response(connection: sa.Connection, ids: np.ndarray, now: datetime) -> np.ndarray:
    """Days from each person's latest answer sheet before ``now`` to ``now`` (NaN: none).

    The latest sheet is found per registrant, where the index groups it
    without sorting, then a merged duplicate's days count for the person it
    was merged into, the fewer winning: the same figure as grouping by
    survivor in SQL, several times faster on SQLite.
    """
    latest = connection.execute(
        sa.select(SurveyResponse.registrant_id, sa.func.max(SurveyResponse.submitted_at))
        .where(SurveyResponse.submitted_at < now)
        .group_by(SurveyResponse.registrant_id)
    ).all()
    survivor = dict(
        connection.execute(
            sa.select(Registrant.id, Registrant.merged_into_id).where(
                Registrant.merged_into_id.is_not(None)
            )
        ).all()
    )
    days: dict[int, float] = {}
    for registrant_id, at in latest:
        person = survivor.get(registrant_id) or registrant_id
        value = _days_between(at, now)
        if person not in days or value < days[person]:
            days[person] = value
    out = np.full(len(ids), np.nan)
    if days and len(ids):
        person_ids = np.fromiter(days.keys(), dtype=np.int64, count=len(days))
        figures = np.fromiter(days.values(), dtype=np.float64, count=len(days))
        at_row = np.minimum(np.searchsorted(ids, person_ids), len(ids) - 1)
        found = ids[at_row] == person_ids
        out[at_row[found]] = figures[found]
    return out


def _days_between(earlier: datetime, later: datetime) -> float:
    # SQLite hands back naive values from an aggregate (the column type is lost).
    if earlier.tzinfo is None:
        earlier = earlier.replace(tzinfo=later.tzinfo)
    return max(0.0, (later - earlier).total_seconds() / 86400.0)
