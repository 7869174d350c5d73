"""Stage conversion of a fiscal year's registrants: registered → surveyed → consulted
→ applied to a fair → attended → introduced to a company → hired.

The cohort is the year's new registrants (the KPI's definition, duplicates merged),
measured at the as-of date. A person reached a stage when a record of it exists
(a survey answer, a career consultation, a fair application that was not cancelled,
attendance, an introduction, a hire by a Shimane IT company), whatever the order:
people do skip stages, so a rate can exceed 100 %. All counting happens in SQL; only
the grouped counts come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import fiscal
from itworks.models import (
    FUNNEL_STAGES,
    Company,
    Consultation,
    Event,
    EventSignup,
    Hire,
    Introduction,
    ReasonCode,
    Registrant,
    StageExit,
    SurveyResponse,
    TierAssignment,
)
from itworks.services.kpi.counts import month_bucket, person_key
from itworks.services.kpi.progress import cutoff_utc
from itworks.tables import suppression

SPLITS = ("tier", "origin", "utm_source", "month")
NONE_KEY = "(none)"

STAGE_LABELS = {
    "ja": {
        "registered": "登録",
        "surveyed": "アンケート回答",
        "consulted": "キャリア相談",
        "applied": "フェア申込",
        "attended": "フェア参加",
        "introduced": "企業紹介",
        "hired": "採用",
    },
    "en": {
        "registered": "Registered",
        "surveyed": "Surveyed",
        "consulted": "Consulted",
        "applied": "Applied to a fair",
        "attended": "Attended a fair",
        "introduced": "Introduced",
        "hired": "Hired",
    },
}
SPLIT_LABELS = {
    "ja": {
        "tier": "ティア別",
        "origin": "U/Iターン別",
        "utm_source": "流入元別",
        "month": "登録月別",
    },
    "en": {
        "tier": "by tier",
        "origin": "by U/I-turn",
        "utm_source": "by UTM source",
        "month": "by registration month",
    },
}
GROUP_LABELS = {
    "ja": {
        "move_now": "直ぐに島根へUIターンしたい",
        "few_years": "何年か先にUIターンを検討中",
        "region_undecided": "Iターンしたいが地域は未確定",
        "one_option": "UIターンも選択肢の一つ",
        "u_turn": "Uターン",
        "i_turn": "Iターン",
        "unknown": "不明",
        NONE_KEY: "（未設定）",
    },
    "en": {
        "move_now": "Move now",
        "few_years": "In a few years",
        "region_undecided": "I-turn, region undecided",
        "one_option": "One option among others",
        "u_turn": "U-turn",
        "i_turn": "I-turn",
        "unknown": "Unknown",
        NONE_KEY: "(not set)",
    },
}


def stage_label(stage: str, lang: str = "ja") -> str:
    return STAGE_LABELS["ja" if lang.startswith("ja") else "en"][stage]


def group_label(split: str, key: object, fiscal_year: int, lang: str = "ja") -> str:
    ja = lang.startswith("ja")
    if split == "month":
        month = fiscal.fiscal_months(fiscal_year)[int(key)]
        return f"{month.year}年{month.month}月" if ja else f"{month:%Y-%m}"
    return GROUP_LABELS["ja" if ja else "en"].get(str(key), str(key))


# ----------------------------------------------------------------------------- SQL


def _cohort(fiscal_year: int, cutoff: datetime) -> list[sa.ColumnElement[bool]]:
    start, _ = fiscal.fiscal_year_bounds_utc(fiscal_year)
    return [
        Registrant.registered_at >= start,
        Registrant.registered_at < cutoff,
        Registrant.merged_into_id.is_(None),
    ]


def stage_facts(cutoff: datetime) -> dict[str, sa.Select]:
    """Per stage after "registered": (person, time) of every fact that reaches it."""
    person = person_key().label("person")

    def facts(entity: type, column: sa.ColumnElement, *where, join=()) -> sa.Select:  # noqa: ANN001
        query = sa.select(person, column.label("at")).select_from(entity)
        for target, on in join:
            query = query.join(target, on)
        query = query.join(Registrant, Registrant.id == entity.registrant_id)
        return query.where(column < cutoff, *where)

    fair = ((Event, Event.id == EventSignup.event_id),)
    return {
        "surveyed": facts(SurveyResponse, SurveyResponse.submitted_at),
        "consulted": facts(Consultation, Consultation.held_at, Consultation.kind == "career"),
        "applied": facts(
            EventSignup,
            EventSignup.signed_up_at,
            Event.kind == "fair",
            EventSignup.status != "cancelled",
            join=fair,
        ),
        "attended": facts(
            EventSignup,
            sa.func.coalesce(EventSignup.attended_at, Event.starts_at),
            Event.kind == "fair",
            EventSignup.status == "attended",
            join=fair,
        ),
        "introduced": facts(Introduction, Introduction.introduced_at),
        "hired": facts(
            Hire,
            Hire.hired_at,
            Company.shimane_it.is_(True),
            join=((Company, Company.id == Hire.company_id),),
        ),
    }


def current_tier() -> sa.Subquery:
    """registrant id → current tier: the latest coordinator or import assignment,
    else the latest model proposal (as services.exports.current_tiers)."""
    rank = (
        sa.func.row_number()
        .over(
            partition_by=TierAssignment.registrant_id,
            order_by=(
                sa.case((TierAssignment.method == "model", 0), else_=1).desc(),
                TierAssignment.assigned_at.desc(),
                TierAssignment.id.desc(),
            ),
        )
        .label("rank")
    )
    ranked = sa.select(TierAssignment.registrant_id, TierAssignment.tier, rank).subquery()
    return sa.select(ranked.c.registrant_id, ranked.c.tier).where(ranked.c.rank == 1).subquery()


def partition(session: Session, fiscal_year: int, as_of: date) -> pd.DataFrame:
    """Cohort counts by tier, origin, UTM source, registration month and the set of
    stages each person reached (``stages``: a bit per stage after "registered").

    One row per combination that occurs, with a ``people`` column.
    """
    cutoff = cutoff_utc(fiscal_year, as_of)
    facts = stage_facts(cutoff)
    reached = sa.union(
        *[
            sa.select(
                q.subquery().c.person, sa.literal(1 << FUNNEL_STAGES.index(stage)).label("bit")
            )
            for stage, q in facts.items()
        ]
    ).subquery()
    stages = (
        sa.select(reached.c.person, sa.func.sum(reached.c.bit).label("stages"))
        .group_by(reached.c.person)
        .subquery()
    )
    tiers = current_tier()
    columns = {
        "tier": sa.func.coalesce(tiers.c.tier, NONE_KEY),
        "origin": Registrant.origin,
        "utm_source": sa.func.coalesce(Registrant.utm_source, NONE_KEY),
        "month": month_bucket(Registrant.registered_at, fiscal_year),
        "stages": sa.func.coalesce(stages.c.stages, 0),
    }
    query = (
        sa.select(*[c.label(n) for n, c in columns.items()], sa.func.count().label("people"))
        .select_from(Registrant)
        .outerjoin(stages, stages.c.person == Registrant.id)
        .outerjoin(tiers, tiers.c.registrant_id == Registrant.id)
        .where(*_cohort(fiscal_year, cutoff))
        .group_by(*columns.values())
    )
    rows = session.execute(query).all()
    return pd.DataFrame(rows, columns=[*columns, "people"])


def by_stage(frame: pd.DataFrame, split: str) -> pd.DataFrame:
    """People who reached each stage, one row per group of ``split``."""
    stages = list(FUNNEL_STAGES)
    if frame.empty:
        return pd.DataFrame(columns=stages, dtype="int64").rename_axis(split)
    masks = frame["stages"].astype("int64")
    reached = {
        stage: frame["people"].where((masks & (1 << n)) != 0, 0) if n else frame["people"]
        for n, stage in enumerate(stages)
    }
    table = pd.DataFrame(reached).groupby(frame[split]).sum().astype("int64")
    table.index.name = split
    return table[stages]


def with_totals(table: pd.DataFrame, k: int | None) -> pd.DataFrame:
    """A count table with its "計" row and column: suppressed with ``k``, else as is."""
    if k is not None:
        return suppression.suppress_crosstab(table, k)
    full = table.astype(object)
    full[suppression.TOTAL_LABEL] = table.sum(axis=1).astype(object)
    full.loc[suppression.TOTAL_LABEL] = [*table.sum(axis=0), int(table.to_numpy().sum())]
    return full


def published(frame: pd.DataFrame, k: int | None) -> dict[str, pd.DataFrame]:
    """For every split: people who reached each stage by group, with the "計" row (the
    whole cohort). With ``k``, small cells are suppressed.

    A person can reach several stages, so the stages are not parts of one total; but
    within one stage the groups split that stage's people, whose number is the "計"
    row. Each stage column is therefore suppressed as a one-way breakdown of its
    total, and a total between 1 and k−1 is hidden with every cell under it. The
    totals are the same whatever the split, so every split hides the same ones.
    """
    out = {}
    for split in SPLITS:
        table = by_stage(frame, split)
        totals = table.sum(axis=0)
        shown = table.astype(object)
        total_row: list[object] = [int(v) for v in totals]
        if k is not None:
            for n, stage in enumerate(table.columns):
                total = int(totals[stage])
                if 0 < total < k:
                    total_row[n] = suppression.primary_marker(k)
                    shown[stage] = [suppression.primary_marker(k) if v else 0 for v in table[stage]]
                else:
                    shown[stage] = suppression.suppress_counts(table[stage], k)
        shown.loc[suppression.TOTAL_LABEL] = total_row
        out[split] = shown
    return out


def conversion(reached_row: pd.Series) -> list[float | None]:
    """Share of people at each stage who reached the next (None when not computable)."""
    values = list(reached_row)
    rates: list[float | None] = [None]
    for before, after in zip(values, values[1:], strict=False):
        ok = isinstance(before, int) and isinstance(after, int) and before > 0
        rates.append(after / before if ok else None)
    return rates


# ----------------------------------------------------------------------------- timing


def _days_between(session: Session, later: sa.ColumnElement, earlier: sa.ColumnElement):  # noqa: ANN202
    if session.get_bind().dialect.name == "sqlite":
        return sa.func.julianday(later) - sa.func.julianday(earlier)
    return sa.extract("epoch", later - earlier) / 86400.0


@dataclass
class StageTiming:
    stage_from: str
    stage_to: str
    people: int
    median_days: float | None


def median_days(session: Session, fiscal_year: int, as_of: date) -> list[StageTiming]:
    """Median days from first reaching each stage to first reaching the next, over the
    cohort's people who reached both in that order."""
    cutoff = cutoff_utc(fiscal_year, as_of)
    firsts: dict[str, sa.Subquery] = {}
    firsts["registered"] = (
        sa.select(Registrant.id.label("person"), Registrant.registered_at.label("at"))
        .where(*_cohort(fiscal_year, cutoff))
        .subquery()
    )
    for stage, query in stage_facts(cutoff).items():
        facts = query.subquery()
        firsts[stage] = (
            sa.select(facts.c.person, sa.func.min(facts.c.at).label("at"))
            .group_by(facts.c.person)
            .subquery()
        )
    result = []
    for before, after in zip(FUNNEL_STAGES, FUNNEL_STAGES[1:], strict=False):
        a, b = firsts[before], firsts[after]
        days = _days_between(session, b.c.at, a.c.at).label("days")
        diffs = sa.select(days).select_from(a).join(b, b.c.person == a.c.person)
        if before != "registered":
            cohort = firsts["registered"]
            diffs = diffs.join(cohort, cohort.c.person == a.c.person)
        diffs = diffs.where(b.c.at >= a.c.at)
        n = session.scalar(sa.select(sa.func.count()).select_from(diffs.subquery())) or 0
        median = None
        if n:
            inner = diffs.subquery()
            middle = session.scalars(
                sa.select(inner.c.days).order_by(inner.c.days).limit(2 - n % 2).offset((n - 1) // 2)
            ).all()
            median = round(sum(float(v) for v in middle) / len(middle), 1)
        result.append(StageTiming(before, after, int(n), median))
    return result


# ----------------------------------------------------------------------------- exits


def exit_reasons(session: Session, fiscal_year: int, as_of: date, lang: str = "ja") -> pd.DataFrame:
    """Drop-off reason codes (rows, labelled) by the stage people left at (columns)."""
    cutoff = cutoff_utc(fiscal_year, as_of)
    cohort = sa.select(Registrant.id).where(*_cohort(fiscal_year, cutoff)).subquery()
    label = ReasonCode.label_ja if lang.startswith("ja") else ReasonCode.label_en
    rows = session.execute(
        sa.select(label, StageExit.stage, sa.func.count(sa.distinct(person_key())))
        .select_from(StageExit)
        .join(Registrant, Registrant.id == StageExit.registrant_id)
        .join(ReasonCode, ReasonCode.code == StageExit.reason_code)
        .join(cohort, cohort.c.id == person_key())
        .where(StageExit.exited_at < cutoff)
        .group_by(label, StageExit.stage)
    ).all()
    frame = pd.DataFrame(rows, columns=["reason", "stage", "people"])
    if frame.empty:
        return pd.DataFrame(columns=list(FUNNEL_STAGES), dtype="int64")
    table = frame.pivot_table(index="reason", columns="stage", values="people", aggfunc="sum")
    table = table.reindex(columns=list(FUNNEL_STAGES)).fillna(0).astype("int64")
    table = table.loc[:, (table != 0).any(axis=0)]
    table.index.name = None
    return table.sort_index()
