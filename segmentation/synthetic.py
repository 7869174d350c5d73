"""Synthetic labelled registrants for tests, benchmarks and the demo.

The generator writes the same feature names as ``surveys.encode`` plus the
application's engagement columns, with the true tier of every row. The answer
distributions follow the tier definitions but overlap, as real answers do, so
no rule is perfect even on complete data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._typing import BoolArray, FloatArray, ObjectArray
from .features import ORDINAL_SCALES, TIERS

#: Share of each tier in the generated population.
TIER_SHARES = {"move_now": 0.15, "few_years": 0.35, "region_undecided": 0.15, "one_option": 0.35}

#: Codes of every question, in the order the encoder writes them.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "move_timing": ("asap", "within_1y", "1_3y", "3y_plus", "undecided"),
    "job_change_timing": ("within_3m", "within_1y", "1_3y", "no_plan"),
    "destination": ("shimane", "shimane_or_nearby", "region_undecided", "not_sure"),
    "shimane_connection": ("born_raised", "family", "lived_or_studied", "none"),
    "age_band": ("under_25", "25_29", "30_34", "35_39", "40_44", "45_49", "50_plus"),
    "work_style": ("onsite", "hybrid", "remote"),
    "household": ("single", "couple", "couple_children", "with_parents", "other"),
    "skills": (
        "web_backend",
        "web_frontend",
        "mobile",
        "infrastructure",
        "cloud",
        "data_ai",
        "embedded",
        "pm",
        "qa",
        "security",
        "sales_engineer",
        "other",
    ),
    "concerns": (
        "salary",
        "available_jobs",
        "career",
        "housing",
        "transport",
        "partner_job",
        "children_school",
        "community",
        "climate",
        "other",
    ),
    "event_interest": (
        "study_session",
        "meetup",
        "job_fair",
        "online_consultation",
        "company_visit",
        "none",
    ),
}
MULTIPLE = frozenset({"skills", "concerns", "event_interest"})

# Answer shares per tier for the tier-dependent single-choice questions.
_SHARES: dict[str, dict[str, list[float]]] = {
    "move_timing": {
        "move_now": [0.45, 0.5, 0.05, 0.0, 0.0],
        "few_years": [0.0, 0.05, 0.55, 0.35, 0.05],
        "region_undecided": [0.1, 0.25, 0.3, 0.15, 0.2],
        "one_option": [0.0, 0.0, 0.1, 0.3, 0.6],
    },
    "job_change_timing": {
        "move_now": [0.5, 0.4, 0.1, 0.0],
        "few_years": [0.0, 0.2, 0.5, 0.3],
        "region_undecided": [0.2, 0.4, 0.3, 0.1],
        "one_option": [0.0, 0.1, 0.3, 0.6],
    },
    "destination": {
        "move_now": [0.65, 0.35, 0.0, 0.0],
        "few_years": [0.45, 0.45, 0.0, 0.1],
        "region_undecided": [0.0, 0.0, 0.9, 0.1],
        "one_option": [0.1, 0.25, 0.05, 0.6],
    },
}
_U_TURN_SHARE = {"move_now": 0.6, "few_years": 0.55, "region_undecided": 0.05, "one_option": 0.4}
_CONSULTATIONS = {"move_now": 1.5, "few_years": 0.6, "region_undecided": 0.7, "one_option": 0.2}
_EVENTS = {"move_now": 1.2, "few_years": 0.8, "region_undecided": 0.8, "one_option": 0.3}
_DAYS = {"move_now": 60.0, "few_years": 150.0, "region_undecided": 120.0, "one_option": 250.0}
_SKILL_P = np.array([0.35, 0.25, 0.12, 0.2, 0.2, 0.12, 0.08, 0.15, 0.1, 0.06, 0.04, 0.05])
_CONCERN_P = np.array([0.5, 0.45, 0.25, 0.3, 0.25, 0.15, 0.1, 0.12, 0.08, 0.05])
_EVENT_P = np.array([0.3, 0.25, 0.4, 0.3, 0.15, 0.0])  # "none" is set below
_NON_CORE_MISSING = 0.05


def make_registrants(
    n_samples: int = 1000,
    *,
    degraded: float = 0.0,
    random_state: int | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Generate encoded survey answers and engagement with their true tiers.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of registrants.
    degraded : float, default=0.0
        Fraction of rows whose core answers (``move_timing``, ``destination``)
        are damaged: each damaged row loses or contradicts at least one of the
        two, unanswered with probability 0.6, a random other answer otherwise.
    random_state : int, optional
        Seed of the NumPy generator; the same seed gives the same frame.

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples, 80)
        Float features named as ``surveys.encode`` names them.
    y : pandas.Series of str
        The true tier code of every row.

    Examples
    --------
    >>> X, y = make_registrants(200, degraded=0.2, random_state=0)
    >>> X.shape[0], sorted(y.unique()) == sorted(TIERS)
    (200, True)
    """
    if not 0.0 <= degraded <= 1.0:
        raise ValueError(f"degraded must be within [0, 1], got {degraded!r}")
    rng = np.random.default_rng(random_state)
    n = int(n_samples)
    tiers = rng.choice(np.array(TIERS), size=n, p=[TIER_SHARES[t] for t in TIERS])
    answers: dict[str, np.ndarray] = {}  # index of the chosen code, -1 = unanswered
    for qid, by_tier in _SHARES.items():
        chosen = np.empty(n, dtype=int)
        for tier in TIERS:
            rows = tiers == tier
            chosen[rows] = rng.choice(len(QUESTIONS[qid]), size=rows.sum(), p=by_tier[tier])
        answers[qid] = chosen
    _degrade(answers, rng, degraded)

    u_turn = rng.random(n) < np.vectorize(_U_TURN_SHARE.get)(tiers)
    unknown_origin = rng.random(n) < 0.05
    connection = np.where(
        u_turn,
        rng.choice([0, 1], size=n, p=[0.8, 0.2]),
        rng.choice([1, 2, 3], size=n, p=[0.2, 0.2, 0.6]),
    )
    answers["shimane_connection"] = connection
    answers["age_band"] = rng.choice(7, size=n, p=[0.08, 0.2, 0.24, 0.2, 0.13, 0.09, 0.06])
    answers["work_style"] = rng.choice(3, size=n, p=[0.3, 0.45, 0.25])
    answers["household"] = rng.choice(5, size=n, p=[0.4, 0.2, 0.25, 0.1, 0.05])
    for qid in ("shimane_connection", "age_band", "work_style", "household"):
        answers[qid] = np.where(rng.random(n) < _NON_CORE_MISSING, -1, answers[qid])

    X = _finish(
        _encode(answers, rng, tiers, _encode_multiple),
        rng, tiers, u_turn, unknown_origin, _NON_CORE_MISSING,
        (_CONSULTATIONS, _EVENTS, _DAYS), days_missing=0.05,
    )  # fmt: skip
    return X, pd.Series(tiers.astype(object), name="tier")


def _degrade(answers: dict[str, np.ndarray], rng: np.random.Generator, degraded: float) -> None:
    n = answers["move_timing"].size
    damaged = rng.random(n) < degraded
    # Each damaged row loses one or both core answers; never none.
    which = rng.choice(3, size=n)  # 0: move_timing, 1: destination, 2: both
    for qid, hit in (("move_timing", which != 1), ("destination", which != 0)):
        rows = damaged & hit
        n_codes = len(QUESTIONS[qid])
        other = (answers[qid] + rng.integers(1, n_codes, size=n)) % n_codes
        answers[qid] = np.where(rows, np.where(rng.random(n) < 0.6, -1, other), answers[qid])


def _encode_single(
    columns: dict[str, np.ndarray], qid: str, codes: tuple[str, ...], chosen: np.ndarray
) -> None:
    if qid in ORDINAL_SCALES:
        scale = ORDINAL_SCALES[qid]
        step = np.array(
            [1.0 - scale.index(c) / (len(scale) - 1) if c in scale else np.nan for c in codes]
        )
        columns[f"{qid}:ord"] = np.where(chosen >= 0, step[np.maximum(chosen, 0)], np.nan)
    for i, code in enumerate(codes):
        columns[f"{qid}={code}"] = (chosen == i).astype(float)
    columns[f"{qid}:missing"] = (chosen < 0).astype(float)


def _encode_multiple(
    columns: dict[str, np.ndarray], rng: np.random.Generator, qid: str, tiers: np.ndarray
) -> None:
    codes = QUESTIONS[qid]
    n = tiers.size
    p = {"skills": _SKILL_P, "concerns": _CONCERN_P, "event_interest": _EVENT_P}[qid]
    p = np.tile(p, (n, 1))
    if qid == "concerns":
        # Whether there are jobs at all weighs most on those who have not
        # picked a region; family questions on those about to move.
        p[tiers == "region_undecided", codes.index("available_jobs")] = 0.7
        p[tiers == "move_now", codes.index("partner_job")] = 0.3
    ticked = rng.random((n, len(codes))) < p
    if "none" in codes:
        # "none" is exclusive: only for people who ticked nothing else.
        ticked[:, codes.index("none")] = ~ticked.any(axis=1)
    missing = rng.random(n) < _NON_CORE_MISSING
    ticked[missing] = False
    for i, code in enumerate(codes):
        columns[f"{qid}={code}"] = ticked[:, i].astype(float)
    columns[f"{qid}:missing"] = missing.astype(float)


# -- a harder population -------------------------------------------------------
#
# Written from how registrants *answer*, not from the tier prototypes: the
# tiers overlap, the timing answers drift from the specification's wording
# (people about to move often say "1-3 years", those for whom Shimane is one
# option often name Shimane), and some tiers show mostly in answers the
# prototypes never mention (concerns, event interest, work style).

#: Base answer shares per tier of the harder generator (before the drift).
_HARD_SHARES: dict[str, dict[str, list[float]]] = {
    "move_timing": {  # asap, within_1y, 1_3y, 3y_plus, undecided
        "move_now": [0.2, 0.68, 0.1, 0.0, 0.02],
        "few_years": [0.0, 0.07, 0.7, 0.2, 0.03],
        "region_undecided": [0.08, 0.3, 0.37, 0.1, 0.15],
        "one_option": [0.0, 0.02, 0.08, 0.25, 0.65],
    },
    "job_change_timing": {  # within_3m, within_1y, 1_3y, no_plan
        "move_now": [0.35, 0.55, 0.08, 0.02],
        "few_years": [0.02, 0.2, 0.66, 0.12],
        "region_undecided": [0.2, 0.4, 0.3, 0.1],
        "one_option": [0.0, 0.05, 0.2, 0.75],
    },
    "destination": {  # shimane, shimane_or_nearby, region_undecided, not_sure
        "move_now": [0.45, 0.53, 0.0, 0.02],
        "few_years": [0.35, 0.6, 0.02, 0.03],
        "region_undecided": [0.0, 0.06, 0.88, 0.06],
        "one_option": [0.07, 0.3, 0.03, 0.6],
    },
    "work_style": {  # onsite, hybrid, remote
        "move_now": [0.45, 0.45, 0.1],
        "few_years": [0.3, 0.45, 0.25],
        "region_undecided": [0.15, 0.4, 0.45],
        "one_option": [0.15, 0.3, 0.55],
    },
}
_HARD_U_TURN = {"move_now": 0.55, "few_years": 0.5, "region_undecided": 0.15, "one_option": 0.35}
_HARD_CONSULTATIONS = {
    "move_now": 1.6,
    "few_years": 0.5,
    "region_undecided": 0.7,
    "one_option": 0.15,
}
_HARD_EVENTS = {"move_now": 1.3, "few_years": 0.8, "region_undecided": 0.7, "one_option": 0.25}
_HARD_DAYS = {"move_now": 60.0, "few_years": 150.0, "region_undecided": 130.0, "one_option": 260.0}
#: Extra tick probability of some multiple-choice answers, per tier.
_HARD_TICKS: dict[str, dict[str, dict[str, float]]] = {
    "concerns": {
        "move_now": {"housing": 0.35, "partner_job": 0.3, "children_school": 0.15},
        "few_years": {"career": 0.15, "salary": 0.1},
        "region_undecided": {"available_jobs": 0.4, "transport": 0.25},
        "one_option": {"salary": 0.3, "career": 0.35},
    },
    "event_interest": {
        "move_now": {"company_visit": 0.45, "job_fair": 0.3},
        "few_years": {"study_session": 0.15, "meetup": 0.1},
        "region_undecided": {"online_consultation": 0.25},
        "one_option": {},
    },
}


def make_hard_registrants(
    n_samples: int = 1000,
    *,
    noise: float = 0.1,
    core_missing: float = 0.25,
    drift: float = 0.5,
    random_state: int | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Generate a harder population: overlapping tiers, noise, gaps and drift.

    Unlike :func:`make_registrants` the answer shares are not a restatement of
    the tier definitions: tiers overlap, a share ``noise`` of registrants
    answer the core questions (timing, destination, job change) at random
    whatever their tier, ``core_missing`` of them leave at least one core
    question unanswered, and every call draws its own distortion of the
    shares (``drift``), so two seeds are two differently-worded populations.
    For tests and benchmarks only.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of registrants.
    noise : float, default=0.1
        Share of registrants whose core answers ignore their tier.
    core_missing : float, default=0.25
        Share of registrants with at least one core answer missing.
    drift : float, default=0.5
        Standard deviation of a random (seeded) log-scale tilt of every
        tier's answer shares; 0 keeps the base shares.
    random_state : int, optional
        Seed; the same seed and settings give the same frame.

    Returns
    -------
    X : pandas.DataFrame
        The same columns as :func:`make_registrants`.
    y : pandas.Series of str
        The true tier of every row.

    Examples
    --------
    >>> X, y = make_hard_registrants(300, random_state=0)
    >>> round(float(X[["move_timing:missing", "destination:missing",
    ...     "job_change_timing:missing"]].max(axis=1).mean()), 1)
    0.2
    """
    for name, value in (("noise", noise), ("core_missing", core_missing), ("drift", drift / 3)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be within [0, 1], got {value!r}")
    rng = np.random.default_rng(random_state)
    n = int(n_samples)
    tier_p = rng.dirichlet(np.array([TIER_SHARES[t] for t in TIERS]) * 40)
    tiers = rng.choice(np.array(TIERS), size=n, p=tier_p)
    against = rng.random(n) < noise
    answers: dict[str, np.ndarray] = {}
    for qid, by_tier in _HARD_SHARES.items():
        n_codes = len(QUESTIONS[qid])
        chosen = np.empty(n, dtype=int)
        for tier in TIERS:
            rows = tiers == tier
            p = np.asarray(by_tier[tier], dtype=float)
            p = p * np.exp(drift * rng.standard_normal(n_codes))  # a seeded tilt
            chosen[rows] = rng.choice(n_codes, size=int(rows.sum()), p=p / p.sum())
        if qid in _SHARES:  # a core question: some answer against their tier
            chosen = np.where(against, rng.integers(0, n_codes, size=n), chosen)
        answers[qid] = chosen
    gaps = rng.random(n) < core_missing
    core = ("move_timing", "destination", "job_change_timing")
    first = rng.choice(len(core), size=n, p=[0.4, 0.35, 0.25])
    second = rng.random(n) < 0.3  # some skip two core questions
    for j, qid in enumerate(core):
        lost = gaps & ((first == j) | (second & (first != j) & (rng.random(n) < 0.5)))
        answers[qid] = np.where(lost, -1, answers[qid])

    u_turn = rng.random(n) < np.vectorize(_HARD_U_TURN.get)(tiers)
    unknown_origin = rng.random(n) < 0.08
    answers["shimane_connection"] = np.where(
        u_turn,
        rng.choice([0, 1, 2], size=n, p=[0.6, 0.3, 0.1]),
        rng.choice([1, 2, 3], size=n, p=[0.15, 0.25, 0.6]),
    )
    answers["age_band"] = rng.choice(7, size=n, p=[0.08, 0.2, 0.24, 0.2, 0.13, 0.09, 0.06])
    answers["household"] = rng.choice(5, size=n, p=[0.4, 0.2, 0.25, 0.1, 0.05])
    for qid in ("shimane_connection", "age_band", "work_style", "household"):
        answers[qid] = np.where(rng.random(n) < 0.08, -1, answers[qid])

    X = _finish(
        _encode(answers, rng, tiers, _encode_hard_multiple),
        rng, tiers, u_turn, unknown_origin, 0.08,
        (_HARD_CONSULTATIONS, _HARD_EVENTS, _HARD_DAYS), days_missing=0.1,
    )  # fmt: skip
    return X, pd.Series(tiers.astype(object), name="tier")


def core_missing_mask(X: pd.DataFrame) -> BoolArray:
    """Rows with at least one core answer (timing, destination, job change) unanswered."""
    cols = [f"{q}:missing" for q in ("move_timing", "destination", "job_change_timing")]
    present = [c for c in cols if c in X.columns]
    # ndarray.any(axis=...) is stubbed as possibly a scalar; over axis 1 of a 2-D array
    # it is one flag per row.
    missing: BoolArray = np.any(X[present].to_numpy(dtype=float) >= 0.5, axis=1)
    return missing


def _encode_hard_multiple(
    columns: dict[str, np.ndarray], rng: np.random.Generator, qid: str, tiers: np.ndarray
) -> None:
    codes = QUESTIONS[qid]
    n = tiers.size
    p = {"skills": _SKILL_P, "concerns": _CONCERN_P, "event_interest": _EVENT_P}[qid]
    p = np.tile(p, (n, 1))
    for tier, extra in _HARD_TICKS.get(qid, {}).items():
        for code, bump in extra.items():
            p[tiers == tier, codes.index(code)] += bump
    ticked = rng.random((n, len(codes))) < np.minimum(p, 0.95)
    if "none" in codes:
        ticked[:, codes.index("none")] = ~ticked.any(axis=1)
    missing = rng.random(n) < 0.08
    ticked[missing] = False
    for i, code in enumerate(codes):
        columns[f"{qid}={code}"] = ticked[:, i].astype(float)
    columns[f"{qid}:missing"] = missing.astype(float)


def _encode(
    answers: dict[str, Any],
    rng: np.random.Generator,
    tiers: ObjectArray,
    encode_multiple: Callable[[dict[str, Any], np.random.Generator, str, ObjectArray], None],
) -> dict[str, Any]:
    """One-hot columns for every question; multiple choice drawn by ``encode_multiple``."""
    columns: dict[str, Any] = {}
    for qid, codes in QUESTIONS.items():
        if qid in MULTIPLE:
            encode_multiple(columns, rng, qid, tiers)
        else:
            _encode_single(columns, qid, codes, answers[qid])
    return columns


def _finish(
    columns: dict[str, Any],
    rng: np.random.Generator,
    tiers: ObjectArray,
    u_turn: BoolArray,
    unknown_origin: BoolArray,
    experience_missing_rate: float,
    rates: tuple[Mapping[str, float], Mapping[str, float], Mapping[str, float]],
    *,
    days_missing: float,
) -> pd.DataFrame:
    """Experience, origin and engagement columns, drawn in one fixed order, then the frame.

    ``rates`` are the per-tier means of consultations, events attended and days since
    the last answer.
    """
    n = len(tiers)
    experience = rng.gamma(3.0, 3.0, size=n).round()
    experience_missing = rng.random(n) < experience_missing_rate
    columns["experience_years"] = np.where(experience_missing, np.nan, experience)
    columns["experience_years:missing"] = experience_missing.astype(float)
    columns["origin=u_turn"] = (u_turn & ~unknown_origin).astype(float)
    columns["origin=i_turn"] = (~u_turn & ~unknown_origin).astype(float)
    columns["origin=unknown"] = unknown_origin.astype(float)
    lookup = np.vectorize
    # np.vectorize returns Any; the per-row rates are floats.
    consultations: FloatArray = lookup(rates[0].get)(tiers)
    events: FloatArray = lookup(rates[1].get)(tiers)
    mean_days: FloatArray = lookup(rates[2].get)(tiers)
    columns["engagement:consultations"] = rng.poisson(consultations)
    columns["engagement:events_attended"] = rng.poisson(events)
    days = rng.exponential(mean_days).round(1)
    columns["engagement:days_since_response"] = np.where(rng.random(n) < days_missing, np.nan, days)
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in columns.items()})
