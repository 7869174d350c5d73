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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from numbers import Integral
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import i18n, vocabulary
from itworks.fiscal import Period
from itworks.i18n import N_
from itworks.models import (
    FUNNEL_STAGES,
    Consultation,
    Event,
    EventSignup,
    Hire,
    Introduction,
    ReasonCode,
    Registrant,
    StageExit,
    SurveyResponse,
)
from itworks.services.kpi import measures
from itworks.services.kpi.counts import ColumnArg, month_bucket, person_key
from itworks.services.tiers.tiers import current_tier_subquery
from itworks.tables import suppression

SPLITS = ("tier", "origin", "utm_source", "month")
NONE_KEY = "(none)"

STAGE_LABELS = i18n.by_language(vocabulary.STAGE_LABELS)
SPLIT_LABELS = i18n.by_language(
    {
        "tier": N_("ティア別"),
        "origin": N_("U/Iターン別"),
        "utm_source": N_("流入元別"),
        "month": N_("登録月別"),
    }
)
GROUP_LABELS = i18n.by_language(
    {**vocabulary.TIER_LABELS, **vocabulary.ORIGIN_LABELS, NONE_KEY: N_("（未設定）")}
)


def stage_label(stage: str, lang: str = "ja") -> str:
    return STAGE_LABELS["ja" if lang.startswith("ja") else "en"][stage]


def group_label(split: str, key: object, period: Period, lang: str = "ja") -> str:
    ja = lang.startswith("ja")
    if key == suppression.TOTAL_LABEL:
        return i18n.translate(N_("計"), lang)
    if split == "month":
        month = period.months[int(cast(int, key))]  # a month split's keys are 0..11
        return f"{month.year}年{month.month}月" if ja else f"{month:%Y-%m}"
    return GROUP_LABELS["ja" if ja else "en"].get(str(key), str(key))


# ----------------------------------------------------------------------------- SQL


def _cohort(period: Period) -> list[sa.ColumnElement[bool]]:
    return [
        Registrant.registered_at >= period.start_utc,
        Registrant.registered_at < period.cutoff_utc,
        Registrant.merged_into_id.is_(None),
    ]


def stage_facts(cutoff: datetime) -> dict[str, sa.Select]:
    """Per stage after "registered": (person, time) of every fact that reaches it."""
    person = person_key().label("person")

    def facts(entity: type[Any], column: ColumnArg, *where, join=()) -> sa.Select:  # noqa: ANN001
        query = sa.select(person, column.label("at")).select_from(entity)
        for target, on in join:
            query = query.join(target, on)
        query = query.join(Registrant, Registrant.id == entity.registrant_id)
        return query.where(column < cutoff, *where)

    fair = ((Event, Event.id == EventSignup.event_id),)
    return {
        "surveyed": facts(SurveyResponse, SurveyResponse.submitted_at),
        "consulted": facts(Consultation, Consultation.held_at, measures.career_consultation()),
        "applied": facts(
            EventSignup,
            EventSignup.signed_up_at,
            measures.is_fair(),
            measures.applied(),
            join=fair,
        ),
        "attended": facts(
            EventSignup,
            sa.func.coalesce(EventSignup.attended_at, Event.starts_at),
            measures.is_fair(),
            measures.attended(),
            join=fair,
        ),
        "introduced": facts(Introduction, Introduction.introduced_at),
        "hired": facts(
            Hire,
            Hire.hired_at,
            measures.shimane_it_hire(),
            join=(measures.HIRE_EMPLOYER,),
        ),
    }


def partition(session: Session, period: Period) -> pd.DataFrame:
    """Cohort counts by tier, origin, UTM source, registration month and the set of
    stages each person reached (``stages``: a bit per stage after "registered").

    One row per combination that occurs, with a ``people`` column.
    """
    facts = stage_facts(period.cutoff_utc)
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
    tiers = current_tier_subquery()
    columns = {
        "tier": sa.func.coalesce(tiers.c.tier, NONE_KEY),
        "origin": Registrant.origin,
        "utm_source": sa.func.coalesce(Registrant.utm_source, NONE_KEY),
        "month": month_bucket(Registrant.registered_at, period),
        "stages": sa.func.coalesce(stages.c.stages, 0),
    }
    query: sa.Select[*tuple[Any, ...]] = (
        sa.select(*[c.label(n) for n, c in columns.items()], sa.func.count().label("people"))
        .select_from(Registrant)
        .outerjoin(stages, stages.c.person == Registrant.id)
        .outerjoin(tiers, tiers.c.registrant_id == Registrant.id)
        .where(*_cohort(period))
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


def with_totals(
    table: pd.DataFrame, k: int | None, *, published: Iterable[tuple] = ()
) -> pd.DataFrame:
    """A count table with its "計" row and column: suppressed with ``k`` (``published``
    cells, figures another table publishes, stay shown), else as is."""
    if k is not None:
        return suppression.suppress_crosstab(table, k, published=published)
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

    "registered" is the exception: its total is the new-registrant KPI and its split
    by registration month is that KPI month by month, both published exactly on the
    dashboard and in the monthly sheet. They are published here too (hiding a copy of
    a published figure protects nothing); the other splits of "registered" are
    suppressed as breakdowns of that published total.
    """
    out = {}
    for split in SPLITS:
        table = by_stage(frame, split)
        totals = table.sum(axis=0)
        shown = table.astype(object)
        total_row: list[Any] = [int(v) for v in totals]
        if k is not None:
            for n, stage in enumerate(table.columns):
                total = int(totals[stage])
                if stage == "registered":
                    if split != "month":
                        shown[stage] = suppression.suppress_counts(table[stage], k)
                elif 0 < total < k:
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
        # A hidden cell is a marker ("<5", "x"); a shown count may be a NumPy integer.
        ok = isinstance(before, Integral) and isinstance(after, Integral) and int(before) > 0
        rates.append(int(after) / int(before) if ok else None)
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


def median_days(session: Session, period: Period) -> list[StageTiming]:
    """Median days from first reaching each stage to first reaching the next, over the
    cohort's people who reached both in that order."""
    firsts: dict[str, sa.Subquery] = {}
    firsts["registered"] = (
        sa.select(Registrant.id.label("person"), Registrant.registered_at.label("at"))
        .where(*_cohort(period))
        .subquery()
    )
    for stage, query in stage_facts(period.cutoff_utc).items():
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


def exit_reasons(session: Session, period: Period, lang: str = "ja") -> pd.DataFrame:
    """Drop-off reason codes (rows, labelled) by the stage people left at (columns)."""
    cohort = sa.select(Registrant.id).where(*_cohort(period)).subquery()
    label = ReasonCode.label_ja if lang.startswith("ja") else ReasonCode.label_en
    rows = session.execute(
        sa.select(label, StageExit.stage, sa.func.count(sa.distinct(person_key())))
        .select_from(StageExit)
        .join(Registrant, Registrant.id == StageExit.registrant_id)
        .join(ReasonCode, ReasonCode.code == StageExit.reason_code)
        .join(cohort, cohort.c.id == person_key())
        .where(StageExit.exited_at < period.cutoff_utc)
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
