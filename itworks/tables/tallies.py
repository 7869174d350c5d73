"""Survey tallies (アンケート集計): counts and shares per answer, and cross-tabs
by origin (U/I), age band and tier. Published copies (prefecture staff, the
report, CSV) go through the shared small-cell rule in services.suppression."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

import surveys
from itworks import i18n, vocabulary
from itworks.fiscal import Period, fiscal_year_bounds_utc
from itworks.i18n import N_
from itworks.models import TIERS, Registrant, SurveyResponse
from itworks.services.errors import InvalidInput
from itworks.services.intake import exports
from itworks.services.surveys import responses as survey_responses
from itworks.tables import suppression
from itworks.tables.audience import Audience
from itworks.tables.table import Column, Table, frame
from surveys.tallies import ANSWERED, UNANSWERED

BREAKDOWNS = ("origin", "age_band", "tier")
TIER_LABELS = i18n.by_language(vocabulary.TIER_LABELS)
ORIGIN_LABELS = i18n.by_language(vocabulary.ORIGIN_LABELS)
BUCKET_LABELS = i18n.by_language(
    {UNANSWERED: N_("未回答"), ANSWERED: N_("回答あり"), None: N_("未設定")}
)
BY_LABELS = i18n.by_language(
    {"origin": N_("U/Iターン別"), "age_band": N_("年代別"), "tier": N_("ティア別")}
)


@dataclass
class QuestionTally:
    question: surveys.Question
    counts: pd.DataFrame  # one row per answer; columns: 人数 and, if by, one per group
    respondents: int

    @property
    def shares(self) -> list[float | None]:
        """Each answer's count over the respondents (None when nobody answered); for
        multiple choice the shares add up to more than 1."""
        first = self.counts.iloc[:, 0]
        return [int(n) / self.respondents if self.respondents else None for n in first]


@dataclass
class Tallies:
    fiscal_year: int | None
    by: str | None
    respondents: int
    questions: list[QuestionTally]


def _scope(session: Session, fiscal_year: int | None) -> tuple[list[int], dict[int, dict]]:
    query = (
        sa.select(SurveyResponse.registrant_id)
        .join(Registrant, Registrant.id == SurveyResponse.registrant_id)
        .where(Registrant.merged_into_id.is_(None))
        .distinct()
    )
    until = None
    if fiscal_year is not None:
        start, until = fiscal_year_bounds_utc(fiscal_year)
        query = query.where(
            SurveyResponse.submitted_at >= start, SurveyResponse.submitted_at < until
        )
    ids = sorted(session.scalars(query))
    return ids, survey_responses.latest_answers(session, ids, until=until)


def _groups(
    session: Session,
    ids: list[int],
    answers: dict[int, dict],
    by: str,
    lang: str,
    instrument: surveys.Instrument,
) -> list[str]:
    if by == "origin":
        origins = (
            dict(
                session.execute(
                    sa.select(Registrant.id, Registrant.origin).where(Registrant.id.in_(ids))
                ).all()
            )
            if ids
            else {}
        )
        return [ORIGIN_LABELS[lang][origins.get(i, "unknown")] for i in ids]
    if by == "tier":
        tiers = exports.current_tiers(session)
        return [
            TIER_LABELS[lang][tiers[i][0]] if i in tiers else BUCKET_LABELS[lang][None] for i in ids
        ]
    question = instrument.question("age_band")
    return [
        question.choice(answers[i]["age_band"]).label(lang)
        if answers.get(i, {}).get("age_band") in question.codes
        else BUCKET_LABELS[lang][UNANSWERED]
        for i in ids
    ]


def _group_order(by: str, lang: str, instrument: surveys.Instrument) -> list[str]:
    if by == "origin":
        return list(ORIGIN_LABELS[lang].values())
    if by == "tier":
        return [TIER_LABELS[lang][t] for t in TIERS] + [BUCKET_LABELS[lang][None]]
    return [c.label(lang) for c in instrument.question("age_band").choices] + [
        BUCKET_LABELS[lang][UNANSWERED]
    ]


def tally(
    session: Session,
    *,
    fiscal_year: int | None = None,
    by: str | None = None,
    lang: str = "ja",
) -> Tallies:
    """Count the latest answers of everyone who answered (in the fiscal year, if given)."""
    if by is not None and by not in BREAKDOWNS:
        raise InvalidInput({"by": N_("origin, age_band, tier のいずれかです")})
    lang = "ja" if lang.startswith("ja") else "en"
    instrument = survey_responses.current_instrument()
    ids, answers = _scope(session, fiscal_year)
    rows = [answers.get(i, {}) for i in ids]
    groups = _groups(session, ids, answers, by, lang, instrument) if by else None
    order = _group_order(by, lang, instrument) if by else []
    result = []
    for question in instrument.questions:
        if question.personal:
            continue  # free text is personal data: never tallied
        buckets = [*question.codes, UNANSWERED] if question.codes else [ANSWERED, UNANSWERED]
        labels = [
            question.choice(b).label(lang) if b in question.codes else BUCKET_LABELS[lang][b]
            for b in buckets
        ]
        total = surveys.tally(rows, instrument, question.id)
        frame = pd.DataFrame(
            {"人数" if lang == "ja" else "count": [total.counts[b] for b in buckets]},
            index=pd.Index(labels, name=question.short(lang)),
        )
        if groups is not None:
            per_group = surveys.tally(rows, instrument, question.id, by=groups)
            for group in order:
                if group in per_group:
                    frame[group] = [per_group[group].counts[b] for b in buckets]
        result.append(QuestionTally(question, frame, len(rows)))
    return Tallies(fiscal_year, by, len(rows), result)


def publish(table: pd.DataFrame, k: int) -> pd.DataFrame:
    """The copy of one question's table that may leave the operator: small cells hidden.

    With a breakdown, the groups form a cross-tab with its own totals; without,
    the one-way counts sum to the published number of respondents (for single
    choice) and are suppressed with their complements.
    """
    count_column = table.columns[0]
    groups = table.drop(columns=[count_column])
    if len(groups.columns):
        return suppression.suppress_crosstab(groups.astype(int), k)
    return suppression.suppress_counts(table[count_column].astype(int), k).to_frame(count_column)


def published(
    session: Session,
    audience: Audience,
    *,
    fiscal_year: int | None = None,
    by: str | None = None,
    lang: str = "ja",
) -> tuple[Tallies, list[tuple[QuestionTally, pd.DataFrame]]]:
    """The tallies page and its CSV: every question's table as ``audience`` may see it."""
    result = tally(session, fiscal_year=fiscal_year, by=by, lang=lang)
    if audience.k is None:
        return result, [(t, t.counts) for t in result.questions]
    return result, [(t, publish(t.counts, audience.k)) for t in result.questions]


def report_tables(
    session: Session, fiscal_year: int, *, k: int | None = None, lang: str = "ja"
) -> list[tuple[str, pd.DataFrame]]:
    """Tables for the implementation report: each question overall and by origin,
    age band and tier. With ``k``, small cells are suppressed."""
    tables: list[tuple[str, pd.DataFrame]] = []
    for by in (None, *BREAKDOWNS):
        tallies = tally(session, fiscal_year=fiscal_year, by=by, lang=lang)
        suffix = f"（{BY_LABELS[lang][by]}）" if by else ""
        for item in tallies.questions:
            table = item.counts if k is None else publish(item.counts, k)
            if by is not None and k is None:
                table = table.drop(columns=[table.columns[0]])
            tables.append((f"{item.question.short(lang)}{suffix}", table))
    return tables


def survey_tables(
    session: Session, period: Period, audience: Audience, *, lang: str = "ja"
) -> list[Table]:
    """Every question's tally overall and by origin, age band and tier, for the
    period's fiscal year; small cells suppressed for the prefecture."""
    tables = []
    for title, table in report_tables(session, period.fiscal_year, k=audience.k, lang=lang):
        columns = [Column("answer", "", "text"), *[Column(str(c), str(c)) for c in table.columns]]
        rows = [
            {"answer": str(answer), **{str(c): v for c, v in row.items()}}
            for answer, row in table.iterrows()
        ]
        tables.append(
            Table(
                "survey",
                title,
                columns,
                frame(rows, table.index, [c.key for c in columns]),
                audience,
                empty="回答なし",
            )
        )
    return tables
