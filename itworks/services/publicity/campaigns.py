"""Publicity (広報): campaigns with their cost and reach, and what they brought in.

A registrant is attributed to a campaign by the ``utm_campaign`` of their first
arrival (first touch) or of their latest arrival before the as-of date (last
touch); a merged duplicate's arrivals are the person's. Counting is in SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import fiscal
from itworks.japanese import CONTROL_CHARACTERS_MESSAGE, has_control_characters
from itworks.models import Campaign, Company, Consultation, Hire, Registrant, User, UtmTouch
from itworks.services import audit
from itworks.services.errors import InvalidInput, NotFound
from itworks.services.kpi.counts import month_bucket, person_key
from itworks.services.kpi.progress import cutoff_utc
from itworks.tables import suppression
from itworks.tables.stages import with_totals

CHANNELS = ("web_ad", "sns", "media", "event", "email", "other")
CHANNEL_LABELS = {
    "ja": {
        "web_ad": "Web広告",
        "sns": "SNS",
        "media": "メディア・記事",
        "event": "イベント",
        "email": "メールマガジン",
        "other": "その他",
        "none": "キャンペーン外（自然流入など）",
    },
    "en": {
        "web_ad": "Web adverts",
        "sns": "Social media",
        "media": "Media and articles",
        "event": "Events",
        "email": "Newsletter",
        "other": "Other",
        "none": "No campaign (organic etc.)",
    },
}
MODELS = ("first", "last")
OTHER_KEY = "(other)"
MEASURED = ("registrants", "consultations", "hires")
UTM_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")
MAX_EVALUATION = 4000


def channel_label(channel: str, lang: str = "ja") -> str:
    return CHANNEL_LABELS["ja" if lang.startswith("ja") else "en"].get(channel, channel)


# ----------------------------------------------------------------------------- campaigns


INT32_MAX = 2**31 - 1  # reach and clicks are INTEGER columns


def _int(  # noqa: ANN202
    errors: dict[str, str],
    data: Mapping[str, Any],
    name: str,
    required: bool = False,
    maximum: int = 10**12,
):
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[name] = "入力してください / Required"
        return None
    try:
        number = int(str(value).replace(",", "").strip())
    except ValueError:
        errors[name] = "0以上の整数で入力してください / Enter a whole number ≥ 0"
        return None
    if number < 0 or number > maximum:
        errors[name] = (
            f"0〜{maximum:,}の整数で入力してください / Enter a whole number from 0 to {maximum:,}"
        )
        return None
    return number


def _date(errors: dict[str, str], data: Mapping[str, Any], name: str, required: bool = False):  # noqa: ANN202
    value = data.get(name)
    if value is None or value == "":
        if required:
            errors[name] = "日付を入力してください / Enter a date"
        return None
    if isinstance(value, date):
        return value
    try:
        parsed = date.fromisoformat(str(value).strip())
    except ValueError:
        errors[name] = "日付は 2022-04-01 の形です / Use a date like 2022-04-01"
        return None
    if not 2000 <= parsed.year <= 2100:
        errors[name] = "2000〜2100年の日付です / Use a date from 2000 to 2100"
        return None
    return parsed


def clean_campaign(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validated campaign fields; InvalidInput with a bilingual message per field."""
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 200:
        errors["name"] = "名前は1〜200文字です / Name: 1–200 characters"
    channel = data.get("channel")
    if channel not in CHANNELS:
        errors["channel"] = (
            f"媒体は {', '.join(CHANNELS)} のいずれかです / Channel must be one of "
            f"{', '.join(CHANNELS)}"
        )
    code = str(data.get("utm_campaign") or "").strip()
    if not UTM_CODE.match(code):
        errors["utm_campaign"] = (
            "utm_campaign は英数字と _ . - で200文字以内です / utm_campaign: letters, digits, "
            "_ . - (up to 200)"
        )
    starts_on = _date(errors, data, "starts_on", required=True)
    ends_on = _date(errors, data, "ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = "終了日は開始日以降です / Must not be before the start"
    cleaned = {
        "name": name,
        "channel": channel,
        "utm_campaign": code,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "cost_yen": _int(errors, data, "cost_yen", required=True),
        "reach_target": _int(errors, data, "reach_target", maximum=INT32_MAX),
        "reach_actual": _int(errors, data, "reach_actual", maximum=INT32_MAX),
        "clicks": _int(errors, data, "clicks", maximum=INT32_MAX),
        "evaluation": str(data.get("evaluation") or "").strip() or None,
    }
    for field in ("name", "evaluation"):
        if cleaned[field] and has_control_characters(cleaned[field]):
            errors[field] = CONTROL_CHARACTERS_MESSAGE
    if cleaned["evaluation"] and len(cleaned["evaluation"]) > MAX_EVALUATION:
        errors["evaluation"] = (
            f"評価は{MAX_EVALUATION}文字以内です / Evaluation: up to {MAX_EVALUATION} characters"
        )
    if errors:
        raise InvalidInput(errors)
    return cleaned


def _check_unique_code(session: Session, code: str, own_id: int | None) -> None:
    clash = session.scalar(sa.select(Campaign.id).where(Campaign.utm_campaign == code))
    if clash is not None and clash != own_id:
        raise InvalidInput(
            {"utm_campaign": "この utm_campaign は使われています / This utm_campaign is taken"}
        )


def create_campaign(
    session: Session,
    data: Mapping[str, Any],
    *,
    actor: User | None = None,
    actor_label: str | None = None,
) -> Campaign:
    cleaned = clean_campaign(data)
    _check_unique_code(session, cleaned["utm_campaign"], None)
    campaign = Campaign(**cleaned)
    session.add(campaign)
    session.flush()
    audit.record(
        session,
        "campaign.create",
        actor=actor,
        actor_label=actor_label,
        entity_type="campaign",
        entity_id=campaign.public_id,
    )
    session.commit()
    return campaign


def update_campaign(
    session: Session,
    public_id: str,
    data: Mapping[str, Any],
    *,
    actor: User | None = None,
    actor_label: str | None = None,
) -> Campaign:
    campaign = get_campaign(session, public_id)
    cleaned = clean_campaign(data)
    _check_unique_code(session, cleaned["utm_campaign"], campaign.id)
    changed = sorted(k for k, v in cleaned.items() if getattr(campaign, k) != v)
    for key, value in cleaned.items():
        setattr(campaign, key, value)
    audit.record(
        session,
        "campaign.update",
        actor=actor,
        actor_label=actor_label,
        entity_type="campaign",
        entity_id=public_id,
        fields=changed,
    )
    session.commit()
    return campaign


def get_campaign(session: Session, public_id: str) -> Campaign:
    campaign = session.scalar(sa.select(Campaign).where(Campaign.public_id == public_id))
    if campaign is None:
        raise NotFound("キャンペーンが見つかりません / No such campaign")
    return campaign


def campaigns_in_year(session: Session, fiscal_year: int) -> list[Campaign]:
    """Campaigns running at any time during the fiscal year, earliest first."""
    start, end = fiscal.fiscal_year_period(fiscal_year)
    return list(
        session.scalars(
            sa.select(Campaign)
            .where(
                Campaign.starts_on <= end,
                sa.or_(Campaign.ends_on.is_(None), Campaign.ends_on >= start),
            )
            .order_by(Campaign.starts_on, Campaign.name)
        )
    )


# ----------------------------------------------------------------------------- attribution


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


def _people(measure: str, fiscal_year: int, cutoff) -> sa.Subquery:  # noqa: ANN001
    start, _ = fiscal.fiscal_year_bounds_utc(fiscal_year)
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
                Consultation.kind == "career",
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
            .join(Company, Company.id == Hire.company_id)
            .where(Hire.hired_at >= start, Hire.hired_at < cutoff, Company.shimane_it.is_(True))
            .distinct()
        )
    return query.subquery()


def attribution(session: Session, fiscal_year: int, as_of: date) -> pd.DataFrame:
    """People of each measure by the utm_campaign they are attributed to.

    Index: utm_campaign (None when the arrival had none, or the person has no
    arrival); columns ``<measure>_<model>`` for the three measures and both models.
    """
    cutoff = cutoff_utc(fiscal_year, as_of)
    first, last = _touches(cutoff)
    columns: dict[str, pd.Series] = {}
    for measure in MEASURED:
        people = _people(measure, fiscal_year, cutoff)
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
    frame = pd.DataFrame(columns).fillna(0).astype("int64")
    return frame


@dataclass
class Evaluation:
    """The publicity table: one row per campaign of the year, then everything else."""

    fiscal_year: int
    model: str
    campaigns: list[Campaign]
    table: pd.DataFrame  # index: campaign public id or OTHER_KEY; counts (or markers)
    suppressed: bool


def evaluation(
    session: Session, fiscal_year: int, as_of: date, *, model: str = "first", k: int | None
) -> Evaluation:
    """Reach, attributed people and cost per person for the year's campaigns.

    Cost per registrant, consultation and hire use the ``model`` attribution. With
    ``k`` each count column is suppressed as a breakdown of its published total.
    """
    if model not in MODELS:
        raise InvalidInput({"model": "first か last です / Must be first or last"})
    campaigns = campaigns_in_year(session, fiscal_year)
    counts = attribution(session, fiscal_year, as_of)
    codes = {c.utm_campaign: c.public_id for c in campaigns}
    keys = [c.public_id for c in campaigns] + [OTHER_KEY]
    grouped = counts.groupby(
        [codes.get(code, OTHER_KEY) if code is not None else OTHER_KEY for code in counts.index]
    ).sum()
    table = grouped.reindex(keys).fillna(0).astype("int64")
    if table.columns.empty:
        table = pd.DataFrame(0, index=keys, columns=[f"{m}_{x}" for m in MEASURED for x in MODELS])
    for column in [f"{m}_{x}" for m in MEASURED for x in MODELS]:
        if column not in table:
            table[column] = 0
    shown = table.astype(object)
    if k is not None:
        for column in table.columns:
            shown[column] = suppression.suppress_counts(table[column], k)
    by_id = {c.public_id: c for c in campaigns}
    for measure in MEASURED:
        costs = []
        for key in keys:
            n = shown.at[key, f"{measure}_{model}"]
            campaign = by_id.get(key)
            ok = campaign is not None and not suppression.is_hidden(n) and n > 0
            costs.append(round(campaign.cost_yen / n) if ok else None)
        shown[f"cost_per_{measure}"] = costs
    shown["reach_achievement"] = [
        (by_id[key].reach_actual / by_id[key].reach_target)
        if key in by_id and by_id[key].reach_target and by_id[key].reach_actual is not None
        else None
        for key in keys
    ]
    return Evaluation(fiscal_year, model, campaigns, shown, k is not None)


def channel_mix(session: Session, fiscal_year: int, as_of: date, *, k: int | None) -> pd.DataFrame:
    """The year's new registrants by registration month (rows) and the channel of the
    campaign of their first arrival (columns), with totals; suppressed with ``k``."""
    cutoff = cutoff_utc(fiscal_year, as_of)
    first, _ = _touches(cutoff)
    people = _people("registrants", fiscal_year, cutoff)
    month = month_bucket(Registrant.registered_at, fiscal_year)
    channel = sa.func.coalesce(Campaign.channel, "none")
    rows = session.execute(
        sa.select(month, channel, sa.func.count())
        .select_from(people)
        .join(Registrant, Registrant.id == people.c.person)
        .outerjoin(first, first.c.person == people.c.person)
        .outerjoin(Campaign, Campaign.utm_campaign == first.c.utm_campaign)
        .group_by(month, channel)
    ).all()
    frame = pd.DataFrame(rows, columns=["month", "channel", "people"])
    months = list(range(fiscal.fiscal_month_index(as_of) + 1))
    if as_of >= fiscal.fiscal_year_period(fiscal_year)[1]:
        months = list(range(12))
    elif as_of < fiscal.fiscal_year_period(fiscal_year)[0]:
        months = []
    order = [c for c in (*CHANNELS, "none") if c in set(frame["channel"])] or ["none"]
    table = (
        frame.pivot_table(index="month", columns="channel", values="people", aggfunc="sum")
        .reindex(index=months, columns=order)
        .fillna(0)
        .astype("int64")
        if not frame.empty
        else pd.DataFrame(0, index=months, columns=order, dtype="int64")
    )
    table.index.name = "month"
    table.columns.name = "channel"
    return with_totals(table, k)
