"""Demo facts for the funnel pages: what happened to the demo registrants after they
signed up (consultations, fair attendance, introductions, hires, drop-outs),
the year's publicity campaigns and the half-year notes. Demo instances only; the
caller (services.demo) has already checked that."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.fiscal import JST
from itworks.models import (
    Campaign,
    Company,
    Consultation,
    Event,
    EventSignup,
    Hire,
    Introduction,
    Registrant,
    StageExit,
)
from itworks.services.instance import get_setting, put_setting
from itworks.services.kpi import notes
from itworks.services.publicity import campaigns as publicity
from itworks.vocabulary import TIERS

MARKER = "funnel_demo_seeded"

COMPANIES = (
    ("株式会社まつえソフトウェア", "松江市", True),
    ("出雲システムズ株式会社", "出雲市", True),
    ("株式会社しんじ湖テック", "松江市", True),
    ("石見データサービス株式会社", "浜田市", True),
    ("株式会社やくもクラウド", "松江市", True),
    ("隠岐ネットワークス株式会社", "隠岐の島町", True),
    ("株式会社さんべ情報開発", "大田市", True),
    ("益田ITソリューションズ株式会社", "益田市", True),
    ("東京の受託開発会社（県外）", "東京都", False),
)
CAMPAIGNS = (
    # name, channel, utm_campaign, starts, ends, cost, reach target, reach, clicks, evaluation
    ("検索連動型広告（UIターン・エンジニア）", "web_ad", "fy2022_search_ads", date(2022, 4, 15),
     date(2022, 12, 31), 1_200_000, 150_000, 131_400, 4_380,
     "クリック単価は想定内。登録への転換は夏以降に改善。下期は「リモート可」の訴求を追加する。"),
    ("SNS広告（Facebook・X）", "sns", "fy2022_sns_uiturn", date(2022, 5, 1), date(2022, 11, 30),
     600_000, 200_000, 236_000, 3_120,
     "リーチは目標超過。Uターン層の反応が良い。I ターン層向けの素材を追加予定。"),
    ("メールマガジン（登録者向け）", "email", "fy2022_mailmag", date(2022, 4, 1), None, 0,
     None, None, 910, "フェア告知号の開封率が高い。月1回配信を継続。"),
    ("転職フェア告知（第1回 東京）", "event", "fy2022_fair1", date(2022, 6, 1), date(2022, 7, 9),
     350_000, 30_000, 27_500, 1_050, "申込は目標の8割。会場近隣の交通広告は効果が薄かった。"),
    ("IT系メディア タイアップ記事", "media", "fy2022_media_tieup", date(2022, 9, 1),
     date(2022, 10, 31), 800_000, 80_000, None, None, None),
)  # fmt: skip
NOTES = {
    ("hires", "first"): (
        "第1回フェア後、参加企業と個別面談の場を設定した（12社）。",
        "紹介から内定までが長い。下期は面談後2週間以内に企業へフォローを入れる。",
    ),
    ("new_registrants", "first"): (
        "検索広告とSNS広告を開始。夏に登録が増加。",
        "I ターン層向けの訴求を追加し、メディア記事で認知を広げる。",
    ),
    ("consultations", "first"): (
        "登録者全員に相談案内メールを送付。オンライン相談枠を週3回に拡大。",
        "ティア「直ぐに島根へUIターンしたい」の登録者には電話で案内する。",
    ),
    ("fair_signups", "first"): (
        "第1回（東京）を開催。申込は目標の8割。",
        "第2回（大阪）は関西の登録者へ個別に案内。第3回はオンラインで全国から集客する。",
    ),
    ("hires", "second"): ("第2回フェア（大阪）で企業紹介を実施。", ""),
}
DROPOUTS = (
    ("registered", "dropout_no_contact"),
    ("registered", "dropout_timing_changed"),
    ("consulted", "nurture_not_ready"),
    ("consulted", "dropout_family"),
    ("introduced", "match_salary"),
    ("introduced", "match_work_style"),
)


def _at(day: date, rng: random.Random) -> datetime:
    moment = time(rng.randrange(9, 19), rng.randrange(60))
    return datetime.combine(day, moment, tzinfo=JST).astimezone(UTC)


def seed(
    session: Session,
    rng: random.Random,
    as_of: date,
    personas: Mapping[int, str] | None = None,
) -> dict[str, int]:
    """Add the funnel's demo facts for the demo registrants, once; returns counts.

    ``personas`` (registrant id → the tier they really are, from the demo's
    hidden personas) decides who is keen; tiers themselves come from the real
    segmentation and the coordinators' confirmations, not from here.
    """
    if get_setting(session, MARKER):
        return {}
    today = as_of
    counts = dict.fromkeys(
        ("companies", "consultations", "attended", "introductions", "hires", "exits"),
        0,
    )
    companies = []
    for name, city, shimane in COMPANIES:
        company = session.scalar(sa.select(Company).where(Company.name == name))
        if company is None:
            company = Company(name=name, city=city, shimane_it=shimane)
            session.add(company)
            counts["companies"] += 1
        companies.append(company)
    session.flush()
    shimane = [c for c in companies if c.shimane_it]

    people = session.execute(
        sa.select(Registrant.id, Registrant.registered_at)
        .where(Registrant.merged_into_id.is_(None))
        .order_by(Registrant.registered_at, Registrant.id)
    ).all()
    for registrant_id, registered_at in people:
        registered = registered_at.astimezone(JST).date()
        room = (today - registered).days
        drawn = rng.choices(TIERS, weights=(2, 4, 2, 4))[0]
        tier = (personas or {}).get(registrant_id, drawn)
        keen = tier in ("move_now", "region_undecided")
        if room < 5 or rng.random() > (0.45 if keen else 0.2):
            if room > 30 and rng.random() < 0.08:
                stage, reason = rng.choice(DROPOUTS[:2])
                session.add(
                    StageExit(
                        registrant_id=registrant_id,
                        stage=stage,
                        reason_code=reason,
                        exited_at=_at(registered + timedelta(days=rng.randint(20, room)), rng),
                    )
                )
                counts["exits"] += 1
            continue
        consulted = registered + timedelta(days=rng.randint(3, min(room, 40)))
        session.add(
            Consultation(
                registrant_id=registrant_id,
                held_at=_at(consulted, rng),
                kind="career",
                channel=rng.choice(["online", "phone", "visit"]),
            )
        )
        counts["consultations"] += 1
        if rng.random() < 0.25 and (today - consulted).days > 20:
            again = consulted + timedelta(days=rng.randint(14, (today - consulted).days))
            session.add(
                Consultation(registrant_id=registrant_id, held_at=_at(again, rng), kind="career")
            )
        left = (today - consulted).days
        if left < 10 or rng.random() > (0.7 if keen else 0.45):
            if rng.random() < 0.15 and left > 10:
                stage, reason = rng.choice(DROPOUTS[2:4])
                session.add(
                    StageExit(
                        registrant_id=registrant_id,
                        stage=stage,
                        reason_code=reason,
                        exited_at=_at(consulted + timedelta(days=rng.randint(5, left)), rng),
                    )
                )
                counts["exits"] += 1
            continue
        introduced = consulted + timedelta(days=rng.randint(7, min(left, 45)))
        company = rng.choice(shimane)
        hired = (today - introduced).days > 25 and rng.random() < (0.65 if keen else 0.4)
        failed = not hired and rng.random() < 0.35
        introduction = Introduction(
            registrant_id=registrant_id,
            company_id=company.id,
            introduced_at=_at(introduced, rng),
            status="hired" if hired else ("declined" if failed else "interviewing"),
            reason_code=rng.choice(["match_salary", "match_skills", "match_location"])
            if failed
            else None,
        )
        session.add(introduction)
        session.flush()
        counts["introductions"] += 1
        if failed:
            session.add(
                StageExit(
                    registrant_id=registrant_id,
                    stage="introduced",
                    reason_code=introduction.reason_code,
                    exited_at=introduction.introduced_at + timedelta(days=14),
                )
            )
            counts["exits"] += 1
        if hired:
            day = introduced + timedelta(days=rng.randint(20, (today - introduced).days))
            session.add(
                Hire(
                    registrant_id=registrant_id,
                    company_id=company.id,
                    introduction_id=introduction.id,
                    hired_at=_at(day, rng),
                    starts_on=day + timedelta(days=rng.randint(30, 90)),
                )
            )
            counts["hires"] += 1

    cutoff = datetime.combine(today + timedelta(days=1), time(0), tzinfo=JST).astimezone(UTC)
    signups = session.execute(
        sa.select(EventSignup, Event.starts_at)
        .join(Event, Event.id == EventSignup.event_id)
        .where(Event.kind == "fair", Event.starts_at < cutoff, EventSignup.status == "applied")
    ).all()
    for signup, starts_at in signups:
        signup.status = rng.choices(["attended", "no_show", "cancelled"], weights=(75, 20, 5))[0]
        if signup.status == "attended":
            signup.attended_at = starts_at
            counts["attended"] += 1
    session.commit()

    for name, channel, code, starts, ends, cost, target, reach, clicks, evaluation in CAMPAIGNS:
        if session.scalar(sa.select(Campaign.id).where(Campaign.utm_campaign == code)):
            continue
        publicity.create_campaign(
            session,
            {
                "name": name,
                "channel": channel,
                "utm_campaign": code,
                "starts_on": starts,
                "ends_on": ends,
                "cost_yen": cost,
                "reach_target": target,
                "reach_actual": reach if (ends is None or ends <= today) else None,
                "clicks": clicks,
                "evaluation": evaluation,
            },
            actor_label="demo",
        )
    fiscal_year = today.year if today.month >= 4 else today.year - 1
    for (measure, half), (done, countermeasures) in NOTES.items():
        notes.save_note(
            session,
            fiscal_year,
            measure,
            half,
            done=done,
            countermeasures=countermeasures,
            actor_label="demo-coordinator",
        )
    put_setting(session, MARKER, today.isoformat())
    session.commit()
    return counts
