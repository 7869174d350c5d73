"""Demo facts for the funnel pages: what happened to the demo registrants after they
signed up (first contacts, consultations, fair attendance, introductions and their
stages, hires, drop-outs), the year's publicity campaigns and the half-year notes,
all made through the services coordinators use. Demo instances only; the caller
(itworks.demo.demo) has already checked that."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.crypto import Vault
from itworks.fiscal import JST
from itworks.models import (
    Campaign,
    Company,
    Event,
    EventSignup,
    Hire,
    Registrant,
    SettlingFollowUp,
    User,
)
from itworks.services.engagement import companies, contacts, hires, introductions, signups
from itworks.services.instance import get_setting, put_setting
from itworks.services.kpi import notes
from itworks.services.publicity import campaigns as publicity
from itworks.services.tiers import recontact
from itworks.vocabulary import TIERS

COORDINATOR = "demo-coordinator"
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


def demo_coordinator(session: Session) -> User | None:
    """The demo coordinator's account, who records the demo's work (None if absent)."""
    return session.scalar(sa.select(User).where(User.username == COORDINATOR))


def end_of(day: date) -> datetime:
    """The demo's "now": the evening of its as-of day (services check times against it)."""
    return recontact.pinned_evening(day).astimezone(UTC)


def _business_days_after(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def _company_contact(index: int) -> tuple[str, str]:
    return f"saiyo{index + 1}@company.example.jp", f"0852-2{index}-{1000 + index}"


def _companies(session: Session, vault: Vault, rng: random.Random) -> tuple[list[Company], int]:
    made, found = 0, []
    for index, (name, city, shimane) in enumerate(COMPANIES):
        company = session.scalar(sa.select(Company).where(Company.name == name))
        if company is None:
            # No contact person's name: it is encrypted free text, which the
            # English-page check cannot tell from untranslated UI text.
            contact_email, contact_phone = _company_contact(index)
            company = companies.add_company(
                session,
                vault,
                name,
                contact_email=contact_email,
                contact_phone=contact_phone,
                city=city,
                shimane_it=shimane,
                actor_label="demo",
            )
            made += 1
        found.append(company)
    return found, made


def mark_held(
    session: Session,
    rng: random.Random,
    now: datetime,
    *,
    before: datetime | None = None,
    kinds: tuple[str, ...] | None = None,
) -> int:
    user = demo_coordinator(session)
    """After each held event (started by ``now``, and before ``before`` when given):
    a few cancel beforehand (the waiting list moves up), then the coordinator marks
    every seat attended or no-show, through the same services as the events page."""
    query = sa.select(Event).where(Event.starts_at < now).order_by(Event.starts_at)
    if before is not None:
        query = query.where(Event.starts_at < before)
    if kinds is not None:
        query = query.where(Event.kind.in_(kinds))
    attended = 0
    for event in session.scalars(query).all():
        rows = session.execute(
            sa.select(Registrant.public_id, EventSignup.status)
            .join(Registrant, Registrant.id == EventSignup.registrant_id)
            .where(EventSignup.event_id == event.id, EventSignup.status == "applied")
            .order_by(EventSignup.signed_up_at, EventSignup.id)
        ).all()
        if not rows:
            continue
        event_id = event.public_id
        for public_id, _ in rows:
            if rng.random() < 0.05:
                signups.cancel_signup(
                    session, event_id, public_id, actor=user, actor_label=COORDINATOR, now=now
                )
        seated = session.scalars(
            sa.select(Registrant.public_id)
            .join(EventSignup, EventSignup.registrant_id == Registrant.id)
            .where(EventSignup.event_id == event.id, EventSignup.status == "applied")
            .order_by(EventSignup.signed_up_at, EventSignup.id)
        ).all()
        for public_id in seated:
            outcome = "attended" if rng.random() < 0.78 else "no_show"
            signups.mark_attendance(
                session, event_id, public_id, outcome, actor=user, actor_label=COORDINATOR, now=now
            )
            attended += outcome == "attended"
    return attended


DECLINES = (
    "match_salary",
    "match_skills",
    "match_location",
    "match_timing",
    "match_family",
    "match_stayed",
    "match_work_style",
)


def _introduce(
    session: Session,
    rng: random.Random,
    registrant: Registrant,
    company: Company,
    consulted_at: datetime,
    introduced_on: date,
    now: datetime,
    keen: bool,
    counts: dict[str, int],
    user: User | None = None,
) -> None:
    """An introduction through the service (the provision record first, on the
    consent given at the consultation), then its stages: on to a hire, declined
    with a reason after some stage, or still open with its next follow-up date."""
    introduced_at = _at(introduced_on, rng)
    items = ["name", "email", "phone"] if rng.random() < 0.7 else ["name", "email"]
    introduction = introductions.add_introduction(
        session,
        registrant.public_id,
        company.name,
        items=items,
        consent_at=consulted_at + timedelta(minutes=30),
        at=introduced_at,
        follow_up_on=introduced_on + timedelta(days=14),
        actor=user,
        actor_label=COORDINATOR,
        now=now,
    )
    counts["introductions"] += 1
    hired_path = rng.random() < (0.65 if keen else 0.4)
    stop = None if hired_path else rng.choice(("introduced", "interviewing", "offered"))
    steps = {"interviewing": (6, 20), "offered": (12, 30), "hired": (7, 21), "declined": (5, 20)}
    when, reached = introduced_at, "introduced"
    for stage in ("interviewing", "offered", "hired"):
        if stop == reached:
            at = when + timedelta(days=rng.randint(*steps["declined"]), hours=rng.randint(0, 5))
            if at < now and rng.random() < 0.85:
                introductions.move(
                    session,
                    introduction.public_id,
                    "declined",
                    reason=rng.choice(DECLINES),
                    at=at,
                    actor=user,
                    actor_label=COORDINATOR,
                    now=now,
                )
                counts["declined"] += 1
            return
        at = when + timedelta(days=rng.randint(*steps[stage]), hours=rng.randint(0, 5))
        if at >= now:
            return  # still open: its follow-up date was set with the last stage
        hired = stage == "hired"
        day = at.astimezone(JST).date()
        introductions.move(
            session,
            introduction.public_id,
            stage,
            at=at,
            turn=(registrant.origin if registrant.origin in ("u_turn", "i_turn") else "i_turn")
            if hired
            else None,
            moved_on=day + timedelta(days=rng.randint(30, 75))
            if hired and rng.random() < 0.5
            else None,
            follow_up_on=None if hired else day + timedelta(days=rng.randint(7, 21)),
            actor=user,
            actor_label=COORDINATOR,
            now=now,
        )
        when, reached = at, stage
        if hired:
            counts["hires"] += 1
            _settle(session, rng, introduction.id, now, user)
            return


# How the demo's hires are doing at their 3-month check (定着).
SETTLING = ("still_employed",) * 17 + ("changed_employer_shimane", "left_shimane", "left_shimane")


def _settle(
    session: Session, rng: random.Random, introduction_id: int, now: datetime, user: User | None
) -> None:
    """Most 3-month checks whose day has come are recorded within a week of it."""
    due = session.execute(
        sa.select(Hire.public_id, SettlingFollowUp.due_on)
        .join(SettlingFollowUp, SettlingFollowUp.hire_id == Hire.id)
        .where(Hire.introduction_id == introduction_id, SettlingFollowUp.months == 3)
    ).first()
    if due is None or rng.random() >= 0.8:
        return
    checked = _at(due.due_on + timedelta(days=rng.randint(0, 7)), rng)
    if checked < now:
        hires.record_settling(
            session,
            due.public_id,
            3,
            rng.choice(SETTLING),
            actor=user,
            actor_label=COORDINATOR,
            now=checked,
        )


def seed(
    session: Session,
    rng: random.Random,
    as_of: date,
    personas: Mapping[int, str] | None = None,
    *,
    vault: Vault,
    attendance_before: datetime | None = None,
) -> dict[str, int]:
    """Add the funnel's demo facts for the demo registrants, once; returns counts.

    Everything goes through the services a coordinator's page or the CLI calls
    (contacts, consultations, drop-offs, companies, introductions and their stages,
    hires, attendance), stamped with times inside the demo's year and checked
    against the demo's "now" (the evening of ``as_of``), never today's clock.
    ``personas`` (registrant id → the tier they really are, from the demo's
    hidden personas) decides who is keen; tiers themselves come from the real
    segmentation and the coordinators' confirmations, not from here.
    Attendance is marked for the events held before ``attendance_before``
    (default: every event held by ``as_of``).
    """
    if get_setting(session, MARKER):
        return {}
    today = as_of
    now = end_of(as_of)
    counts = dict.fromkeys(
        (
            "companies",
            "contacts",
            "consultations",
            "attended",
            "introductions",
            "declined",
            "hires",
            "exits",
        ),
        0,
    )
    user = demo_coordinator(session)
    found, counts["companies"] = _companies(session, vault, rng)
    shimane = [c for c in found if c.shimane_it]

    people = session.scalars(
        sa.select(Registrant)
        .where(Registrant.merged_into_id.is_(None), Registrant.erased_at.is_(None))
        .order_by(Registrant.registered_at, Registrant.id)
    ).all()
    for person in people:
        public_id = person.public_id
        registered = person.registered_at.astimezone(JST).date()
        room = (today - registered).days
        drawn = rng.choices(TIERS, weights=(2, 4, 2, 4))[0]
        tier = (personas or {}).get(person.id, drawn)
        keen = tier in ("move_now", "region_undecided")
        # First contact: most within the service level, some late, a few not yet.
        if room >= 1 and rng.random() < 0.85:
            late = rng.random() < 0.15
            day = _business_days_after(registered, rng.randint(4, 9) if late else rng.randint(0, 3))
            if day <= today:
                contacts.record_contact(
                    session,
                    vault,
                    public_id,
                    rng.choice(("email", "email", "phone")),
                    at=_at(day, rng),
                    actor=user,
                    actor_label="demo",
                    now=now,
                )
                counts["contacts"] += 1
        if room < 5 or rng.random() > (0.45 if keen else 0.2):
            if room > 30 and rng.random() < 0.08:
                _, reason = rng.choice(DROPOUTS[:2])
                contacts.set_disposition(
                    session,
                    public_id,
                    "dropped_out",
                    reason,
                    at=_at(registered + timedelta(days=rng.randint(20, room)), rng),
                    actor_label="demo",
                    now=now,
                )
                counts["exits"] += 1
            continue
        consulted = registered + timedelta(days=rng.randint(3, min(room, 40)))
        consulted_at = _at(consulted, rng)
        contacts.record_contact(
            session,
            vault,
            public_id,
            "career_consultation",
            at=consulted_at,
            channel=rng.choice(["online", "phone", "meeting"]),
            actor=user,
            actor_label="demo",
            now=now,
        )
        counts["consultations"] += 1
        if rng.random() < 0.25 and (today - consulted).days > 20:
            again = consulted + timedelta(days=rng.randint(14, (today - consulted).days))
            contacts.record_contact(
                session,
                vault,
                public_id,
                "career_consultation",
                at=_at(again, rng),
                channel="online",
                actor=user,
                actor_label="demo",
                now=now,
            )
        left = (today - consulted).days
        if left < 10 or rng.random() > (0.7 if keen else 0.45):
            if rng.random() < 0.15 and left > 10:
                exit_day = consulted + timedelta(days=rng.randint(5, left))
                if rng.random() < 0.5:
                    contacts.set_disposition(
                        session,
                        public_id,
                        "nurturing",
                        "nurture_not_ready",
                        next_contact_on=exit_day + timedelta(days=rng.randint(30, 120)),
                        at=_at(exit_day, rng),
                        actor_label="demo",
                        now=now,
                    )
                else:
                    contacts.set_disposition(
                        session,
                        public_id,
                        "dropped_out",
                        "dropout_family",
                        at=_at(exit_day, rng),
                        actor_label="demo",
                        now=now,
                    )
                counts["exits"] += 1
            continue
        introduced = consulted + timedelta(days=rng.randint(7, min(left, 45)))
        _introduce(
            session,
            rng,
            person,
            rng.choice(shimane),
            consulted_at,
            introduced,
            now,
            keen,
            counts,
            user,
        )

    counts["attended"] = mark_held(session, rng, now, before=attendance_before)
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
