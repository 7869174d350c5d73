"""The publicity (広報) tables: each campaign of the year with its reach, the people it
brought in and its cost per person, and the registrants' channel mix by month.

A registrant is attributed to a campaign by the ``utm_campaign`` of their first
arrival (first touch) or of their latest arrival before the as-of date (last
touch); a merged duplicate's arrivals are the person's. Counting is in SQL.
"""

from __future__ import annotations

from typing import Any, cast

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.fiscal import Period
from itworks.i18n import N_
from itworks.models import Campaign, Consultation, Hire, Registrant, UtmTouch
from itworks.services.errors import InvalidInput
from itworks.services.kpi import measures
from itworks.services.kpi.counts import month_bucket, person_key
from itworks.services.publicity import campaigns
from itworks.tables import suppression
from itworks.tables.audience import Audience
from itworks.tables.stages import with_totals
from itworks.tables.table import Column, Table, frame

MODELS = ("first", "last")
OTHER_KEY = "(other)"
OTHER_LABEL = "キャンペーン外・その他"
MEASURED = ("registrants", "consultations", "hires")
MEASURED_LABELS = {"registrants": "登録", "consultations": "相談", "hires": "採用"}
PERSON_LABELS = {"registrants": "登録者", "consultations": "相談者", "hires": "採用者"}
TOUCH_LABELS = {"first": "ファーストタッチ", "last": "ラストタッチ"}


def _touches(cutoff) -> tuple[sa.Subquery, sa.Subquery]:  # noqa: ANN001
    """(person, utm_campaign) of each person's first and of their last arrival."""
    person = person_key()
    ranked = (
        sa.select(
            person.label("person"),
            UtmTouch.utm_campaign,
            sa.func.row_number()
            .over(partition_by=person, order_by=(UtmTouch.at, UtmTouch.id))
            .label("first_rank"),
            sa.func.row_number()
            .over(partition_by=person, order_by=(UtmTouch.at.desc(), UtmTouch.id.desc()))
            .label("last_rank"),
        )
        .join(Registrant, Registrant.id == UtmTouch.registrant_id)
        .where(UtmTouch.at < cutoff)
        .subquery()
    )
    first = sa.select(ranked.c.person, ranked.c.utm_campaign).where(ranked.c.first_rank == 1)
    last = sa.select(ranked.c.person, ranked.c.utm_campaign).where(ranked.c.last_rank == 1)
    return first.subquery(), last.subquery()


def _people(measure: str, period: Period) -> sa.Subquery:
    start, cutoff = period.start_utc, period.cutoff_utc
    if measure == "registrants":
        query = sa.select(Registrant.id.label("person")).where(
            Registrant.registered_at >= start,
            Registrant.registered_at < cutoff,
            Registrant.merged_into_id.is_(None),
        )
    elif measure == "consultations":
        query = (
            sa.select(person_key().label("person"))
            .select_from(Consultation)
            .join(Registrant, Registrant.id == Consultation.registrant_id)
            .where(
                measures.career_consultation(),
                Consultation.held_at >= start,
                Consultation.held_at < cutoff,
            )
            .distinct()
        )
    else:
        query = (
            sa.select(person_key().label("person"))
            .select_from(Hire)
            .join(Registrant, Registrant.id == Hire.registrant_id)
            .join(*measures.HIRE_EMPLOYER)
            .where(Hire.hired_at >= start, Hire.hired_at < cutoff, measures.shimane_it_hire())
            .distinct()
        )
    return query.subquery()


def attribution(session: Session, period: Period) -> pd.DataFrame:
    """People of each measure by the utm_campaign they are attributed to.

    Index: utm_campaign (None when the arrival had none, or the person has no
    arrival); columns ``<measure>_<model>`` for the three measures and both models.
    """
    first, last = _touches(period.cutoff_utc)
    columns: dict[str, pd.Series] = {}
    for measure in MEASURED:
        people = _people(measure, period)
        for model, touches in (("first", first), ("last", last)):
            rows = session.execute(
                sa.select(touches.c.utm_campaign, sa.func.count())
                .select_from(people)
                .outerjoin(touches, touches.c.person == people.c.person)
                .group_by(touches.c.utm_campaign)
            ).all()
            columns[f"{measure}_{model}"] = pd.Series(
                {code: int(n) for code, n in rows}, dtype="int64"
            )
    return pd.DataFrame(columns).fillna(0).astype("int64")


def _counts(session: Session, period: Period, keys: list[str], codes: dict) -> pd.DataFrame:
    counts = attribution(session, period)
    grouped = counts.groupby(
        [codes.get(code, OTHER_KEY) if code is not None else OTHER_KEY for code in counts.index]
    ).sum()
    table = grouped.reindex(keys).fillna(0).astype("int64")
    names = [f"{m}_{x}" for m in MEASURED for x in MODELS]
    if table.columns.empty:
        table = pd.DataFrame(0, index=keys, columns=names)
    for column in names:
        if column not in table:
            table[column] = 0
    return table[names]


def campaign_columns(model: str) -> list[Column]:
    return [
        Column("name", "キャンペーン", "text"),
        Column("channel", "媒体", "text"),
        Column("utm_campaign", "utm_campaign", "text"),
        Column("starts_on", "開始日", "text"),
        Column("ends_on", "終了日", "text"),
        Column("cost_yen", "費用（円）", "yen"),
        Column("reach_target", "目標リーチ"),
        Column("reach_actual", "実績リーチ"),
        Column("reach_achievement", "リーチ達成率", "ratio"),
        Column("clicks", "クリック数"),
        *[
            Column(f"{m}_{x}", f"{PERSON_LABELS[m]}（{TOUCH_LABELS[x]}）")
            for m in MEASURED
            for x in MODELS
        ],
        *[Column(f"cost_per_{m}", f"{MEASURED_LABELS[m]}単価（{model}）", "yen") for m in MEASURED],
        Column("evaluation", "評価", "text"),
    ]


def evaluation(
    session: Session, period: Period, audience: Audience, *, model: str = "first"
) -> Table:
    """Reach, attributed people and cost per person for the year's campaigns, then
    everyone else. Cost per person uses the ``model`` attribution. For the prefecture,
    each count column is suppressed as a breakdown of its published total, and a cost
    per person is not shown where its count is hidden (it would reveal the count)."""
    if model not in MODELS:
        raise InvalidInput({"model": N_("first か last です")})
    year = campaigns.campaigns_in_year(session, period.fiscal_year)
    keys = [c.public_id for c in year] + [OTHER_KEY]
    table = _counts(session, period, keys, {c.utm_campaign: c.public_id for c in year})
    shown = table.astype(object)
    if audience.k is not None:
        for column in table.columns:
            shown[column] = suppression.suppress_counts(table[column], audience.k)
    by_id = {c.public_id: c for c in year}
    rows = []
    for key in keys:
        c = by_id.get(key)
        row: dict[str, object] = {
            f"{m}_{x}": shown.at[key, f"{m}_{x}"] for m in MEASURED for x in MODELS
        }
        for m in MEASURED:
            n: Any = shown.at[key, f"{m}_{model}"]  # an object cell: a count or a marker
            ok = c is not None and not suppression.is_hidden(n) and n > 0
            row[f"cost_per_{m}"] = round(c.cost_yen / n) if c is not None and ok else None
        if c is None:
            row.update(name=OTHER_LABEL, public_id=None)
        else:
            row.update(
                name=c.name,
                channel=campaigns.channel_label(c.channel),
                utm_campaign=c.utm_campaign,
                starts_on=c.starts_on.isoformat(),
                ends_on=c.ends_on.isoformat() if c.ends_on else None,
                cost_yen=c.cost_yen,
                reach_target=c.reach_target,
                reach_actual=c.reach_actual,
                reach_achievement=(c.reach_actual / c.reach_target)
                if c.reach_target and c.reach_actual is not None
                else None,
                clicks=c.clicks,
                evaluation=c.evaluation,
                public_id=c.public_id,
            )
        rows.append(row)
    columns = campaign_columns(model)
    return Table(
        "campaigns",
        "広報の評価（キャンペーン別）",
        columns,
        frame(rows, keys, [c.key for c in columns]),
        audience,
        "帰属はファーストタッチ（最初の流入）とラストタッチ（基準日までの最後の流入）。"
        f"単価は{TOUCH_LABELS[model]}の人数で計算。",
        meta={"model": model, "campaigns": year},
    )


def channel_mix(session: Session, period: Period, audience: Audience) -> Table:
    """The year's new registrants by registration month (rows) and the channel of the
    campaign of their first arrival (columns), with totals.

    A month's total is the new-registrant KPI of that month and the grand total the
    KPI itself, both published exactly on the dashboard: they stay shown for every
    audience, and the channels within a month are protected with them known.
    """
    first, _ = _touches(period.cutoff_utc)
    people = _people("registrants", period)
    month = month_bucket(Registrant.registered_at, period)
    channel = sa.func.coalesce(Campaign.channel, "none")
    rows = session.execute(
        sa.select(month, channel, sa.func.count())
        .select_from(people)
        .join(Registrant, Registrant.id == people.c.person)
        .outerjoin(first, first.c.person == people.c.person)
        .outerjoin(Campaign, Campaign.utm_campaign == first.c.utm_campaign)
        .group_by(month, channel)
    ).all()
    counted = pd.DataFrame(rows, columns=["month", "channel", "people"])
    months = list(range(period.months_elapsed))
    order = [c for c in (*campaigns.CHANNELS, "none") if c in set(counted["channel"])] or ["none"]
    table = (
        counted.pivot_table(index="month", columns="channel", values="people", aggfunc="sum")
        .reindex(index=months, columns=order)
        .fillna(0)
        .astype("int64")
        if not counted.empty
        else pd.DataFrame(0, index=months, columns=order, dtype="int64")
    )
    total = suppression.TOTAL_LABEL
    published = with_totals(table, audience.k, published=[(m, total) for m in [*months, total]])
    columns = [Column("month", "登録月", "text")]
    columns += [
        Column(c, "計" if c == total else campaigns.channel_label(c)) for c in published.columns
    ]
    out = [
        {"month": "計" if m == total else f"{period.months[cast(int, m)].month}月", **row.to_dict()}
        for m, row in published.iterrows()
    ]
    return Table(
        "channels",
        "流入チャネルの構成（登録月別・ファーストタッチ）",
        columns,
        frame(out, published.index, [c.key for c in columns]),
        audience,
    )
