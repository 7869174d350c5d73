"""The published stage-funnel tables: people reaching each stage by group with the
conversion between stages, the overall line, the time between stages, and drop-off
reasons. Counting is in tables.stages; this module labels and suppresses."""

from __future__ import annotations

from itertools import pairwise

import pandas as pd
from sqlalchemy.orm import Session

from itworks import i18n
from itworks.fiscal import Period
from itworks.i18n import N_
from itworks.models import FUNNEL_STAGES
from itworks.tables import stages, suppression
from itworks.tables.audience import Audience
from itworks.tables.table import Column, Table, frame

CONVERSION_NOTE = (
    "各段階の記録がある人の数（段階を飛ばす人がいるため移行率は100%を超えることがある）。"
)


def _lang(lang: str) -> str:
    return "ja" if lang.startswith("ja") else "en"


def _t(label: str, lang: str) -> str:
    """A column label in ``lang``, from the one catalogue."""
    return i18n.translate(N_(label), _lang(lang))


def split_label(split: str, lang: str = "ja") -> str:
    return stages.SPLIT_LABELS[_lang(lang)][split]


def _stage_columns(lang: str) -> list[Column]:
    return [Column(s, stages.stage_label(s, lang)) for s in FUNNEL_STAGES]


def _rate_columns(lang: str) -> list[Column]:
    return [
        Column(f"{a}>{b}", f"{stages.stage_label(a, lang)}→{stages.stage_label(b, lang)}", "rate")
        for a, b in pairwise(FUNNEL_STAGES)
    ]


def reached(
    session: Session,
    period: Period,
    audience: Audience,
    *,
    lang: str = "ja",
    splits: tuple[str, ...] = stages.SPLITS,
    partition: pd.DataFrame | None = None,
) -> dict[str, Table]:
    """For each split: people who reached each stage by group (the "計" row is the whole
    cohort), and the share of each stage's people who reached the next."""
    counted = stages.partition(session, period) if partition is None else partition
    published = stages.published(counted, audience.k)
    out = {}
    for split in splits:
        table = published[split]
        columns = [
            Column("group", split_label(split, lang), "text"),
            *_stage_columns(lang),
            *_rate_columns(lang),
        ]
        rows = []
        for key, row in table.iterrows():
            rates = stages.conversion(row)[1:]
            values = {s: row[s] for s in FUNNEL_STAGES}
            values.update({c.key: r for c, r in zip(_rate_columns(lang), rates, strict=True)})
            rows.append({"group": stages.group_label(split, key, period, lang), **values})
        out[split] = Table(
            f"stages_{split}",
            f"段階別人数（{split_label(split)}）",
            columns,
            frame(rows, table.index, [c.key for c in columns]),
            audience,
            meta={"split": split},
        )
    return out


def overall(
    session: Session,
    period: Period,
    audience: Audience,
    *,
    lang: str = "ja",
    partition: pd.DataFrame | None = None,
) -> Table:
    """The whole cohort stage by stage: people reached and the conversion from the
    stage before (the "計" line of every split)."""
    total = reached(session, period, audience, lang=lang, splits=("tier",), partition=partition)
    line = total["tier"].frame.loc[suppression.TOTAL_LABEL]
    rates = [None, *[line[c.key] for c in _rate_columns(lang)]]
    rows = [
        {"stage": stages.stage_label(s, lang), "people": line[s], "rate": rate}
        for s, rate in zip(FUNNEL_STAGES, rates, strict=True)
    ]
    columns = [
        Column("stage", _t("段階", lang), "text"),
        Column("people", _t("到達人数", lang)),
        Column("rate", _t("移行率", lang), "rate"),
    ]
    return Table(
        "stages",
        "段階別人数と移行率（当年度の新規登録者）",
        columns,
        frame(rows, FUNNEL_STAGES, [c.key for c in columns]),
        audience,
        CONVERSION_NOTE,
    )


def timing(session: Session, period: Period, audience: Audience, *, lang: str = "ja") -> Table:
    """Median days from each stage to the next; a pair reached by 1 to k−1 people
    shows neither its count nor its median."""
    k = audience.k
    rows = []
    for t in stages.median_days(session, period):
        hidden = k is not None and 0 < t.people < k
        rows.append(
            {
                "stage": f"{stages.stage_label(t.stage_from, lang)}→"
                f"{stages.stage_label(t.stage_to, lang)}",
                "people": suppression.primary_marker(k) if hidden and k is not None else t.people,
                "median_days": None if hidden else t.median_days,
                "stage_from": t.stage_from,
                "stage_to": t.stage_to,
            }
        )
    columns = [
        Column("stage", _t("段階", lang), "text"),
        Column("people", _t("人数", lang)),
        Column("median_days", _t("中央値（日）", lang), "days"),
    ]
    return Table(
        "timing",
        "段階間の所要日数（中央値）",
        columns,
        frame(rows, range(len(rows)), [c.key for c in columns]),
        audience,
    )


def exits(session: Session, period: Period, audience: Audience, *, lang: str = "ja") -> Table:
    """Drop-off reasons (rows) by the stage people left at, with totals; empty when
    no reason has been recorded."""
    counts = stages.exit_reasons(session, period, lang)
    columns = [Column("reason", _t("理由", lang), "text")]
    if counts.empty:
        return Table("exits", "離脱理由（段階別）", columns, frame([], [], ["reason"]), audience)
    published = stages.with_totals(counts, audience.k)
    for c in published.columns:
        label = stages.stage_label(c, lang) if c in FUNNEL_STAGES else _t("計", lang)
        columns.append(Column(c, label))
    rows = [
        {
            "reason": _t("計", lang) if key == suppression.TOTAL_LABEL else key,
            **row.to_dict(),
        }
        for key, row in published.iterrows()
    ]
    return Table(
        "exits",
        "離脱理由（段階別）",
        columns,
        frame(rows, published.index, [c.key for c in columns]),
        audience,
    )
