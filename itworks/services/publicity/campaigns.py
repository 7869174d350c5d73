"""Publicity (広報): recording campaigns with their cost, reach and evaluation.

What the campaigns brought in is a published table: itworks.tables.publicity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import fiscal, i18n, vocabulary
from itworks.i18n import N_
from itworks.japanese import CONTROL_CHARACTERS_MESSAGE, has_control_characters
from itworks.models import Campaign, User
from itworks.services import audit
from itworks.services.errors import InvalidInput, NotFound

CHANNELS = vocabulary.CAMPAIGN_CHANNELS
CHANNEL_LABELS = i18n.by_language(vocabulary.CAMPAIGN_CHANNEL_LABELS)
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
            errors[name] = N_("入力してください")
        return None
    try:
        number = int(str(value).replace(",", "").strip())
    except ValueError:
        errors[name] = N_("0以上の整数で入力してください")
        return None
    if number < 0 or number > maximum:
        errors[name] = N_("0〜%(max)sの整数で入力してください", max=f"{maximum:,}")
        return None
    return number


def _date(errors: dict[str, str], data: Mapping[str, Any], name: str, required: bool = False):  # noqa: ANN202
    value = data.get(name)
    if value is None or value == "":
        if required:
            errors[name] = N_("日付を入力してください")
        return None
    if isinstance(value, date):
        return value
    try:
        parsed = date.fromisoformat(str(value).strip())
    except ValueError:
        errors[name] = N_("日付は 2022-04-01 の形です")
        return None
    if not 2000 <= parsed.year <= 2100:
        errors[name] = N_("2000〜2100年の日付です")
        return None
    return parsed


def clean_campaign(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validated campaign fields; InvalidInput with a bilingual message per field."""
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 200:
        errors["name"] = N_("名前は1〜200文字です")
    channel = data.get("channel")
    if channel not in CHANNELS:
        errors["channel"] = N_("媒体は %(codes)s のいずれかです", codes=", ".join(CHANNELS))
    code = str(data.get("utm_campaign") or "").strip()
    if not UTM_CODE.match(code):
        errors["utm_campaign"] = N_("utm_campaign は英数字と _ . - で200文字以内です")
    starts_on = _date(errors, data, "starts_on", required=True)
    ends_on = _date(errors, data, "ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = N_("終了日は開始日以降です")
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
        errors["evaluation"] = N_("評価は%(n)s文字以内です", n=MAX_EVALUATION)
    if errors:
        raise InvalidInput(errors)
    return cleaned


def _check_unique_code(session: Session, code: str, own_id: int | None) -> None:
    clash = session.scalar(sa.select(Campaign.id).where(Campaign.utm_campaign == code))
    if clash is not None and clash != own_id:
        raise InvalidInput({"utm_campaign": N_("この utm_campaign は使われています")})


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
        raise NotFound(N_("キャンペーンが見つかりません"))
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
