"""Demo data for a newcomer: Faker ja_JP people entered through the same services
as real registrants. Only ever loaded into an instance marked as a demo."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa
from faker import Faker
from sqlalchemy.orm import Session

from itworks import crypto
from itworks.demo import engagement as engagement_demo
from itworks.demo import funnel as funnel_demo
from itworks.demo import segment as segment_demo
from itworks.demo import surveys as demo_surveys
from itworks.fiscal import JST
from itworks.i18n import N_
from itworks.models import Event, Registrant
from itworks.services.accounts import users
from itworks.services.engagement import events
from itworks.services.errors import Conflict, ServiceError
from itworks.services.instance import get_setting, put_setting
from itworks.services.intake import arrivals as intake

DEMO_USERS = (
    ("demo-admin", "admin"),
    ("demo-coordinator", "coordinator"),
    ("demo-prefecture", "prefecture"),
)
DEMO_START = date(2022, 4, 1)
DEMO_AS_OF = date(2022, 11, 20)

# (utm_source, utm_medium, utm_campaign, weight): the channels the operator uses.
SOURCES = (
    ("itworks_site", "organic", None, 30),
    ("google", "cpc", "fy2022_search_ads", 18),
    ("facebook", "social", "fy2022_sns_uiturn", 12),
    ("twitter", "social", "fy2022_sns_uiturn", 8),
    ("shimane_uiturn_portal", "referral", None, 10),
    ("newsletter", "email", "fy2022_mailmag", 7),
    ("go_shimane_fair", "event", "fy2022_fair1", 8),
    ("techblog_media", "display", "fy2022_media_tieup", 5),
    (None, None, None, 2),
)
RESIDENCES = (
    ("東京都", 28),
    ("大阪府", 14),
    ("神奈川県", 10),
    ("広島県", 9),
    ("愛知県", 6),
    ("福岡県", 5),
    ("埼玉県", 5),
    ("兵庫県", 5),
    ("岡山県", 5),
    ("京都府", 4),
    ("千葉県", 4),
    ("鳥取県", 3),
    ("山口県", 2),
)


DEMO_SETTINGS = f"""
# Added by `itworks demo`: measure progress as of a day inside 令和4年度, the
# year the demo data covers, so the dashboard shows a year in progress.
AS_OF_DATE = "{DEMO_AS_OF.isoformat()}"
"""


def write_demo_settings(instance: Path) -> bool:
    """Add the demo's reporting date to the instance config unless one is set."""
    config_file = instance / "config.toml"
    text = config_file.read_text(encoding="utf-8") if config_file.exists() else ""
    if "AS_OF_DATE =" in text.replace("# AS_OF_DATE", ""):
        return False
    config_file.write_text(text + DEMO_SETTINGS, encoding="utf-8")
    return True


class NotADemoInstance(ServiceError):
    pass


@dataclass
class DemoResult:
    registrants: int
    added: int
    logins: list[tuple[str, str, str]]


def _mark_demo(session: Session) -> None:
    if get_setting(session, "instance_kind") == "demo":
        return
    if session.scalar(sa.select(Registrant.id).limit(1)) is not None:
        raise NotADemoInstance(
            N_(
                "このインスタンスには実データがあります。"
                "デモは空のインスタンスか ITWORKS_INSTANCE で別のフォルダを指定してください"
            )
        )
    put_setting(session, "instance_kind", "demo")


def _demo_logins(session: Session) -> list[tuple[str, str, str]]:
    logins = []
    for username, role in DEMO_USERS:
        password = crypto.generate_password()
        try:
            users.create_user(session, username, role, password, actor_label="demo")
        except Conflict:
            users.set_password(session, username, password, actor_label="demo")
        logins.append((username, role, password))
    return logins


def _registered_at(rng: random.Random) -> datetime:
    days = (DEMO_AS_OF - DEMO_START).days
    # Registrations rise before the autumn fairs, as in past years.
    day = min(days, int(days * rng.betavariate(1.3, 1.0)))
    moment = time(rng.randrange(7, 24), rng.randrange(60), rng.randrange(60))
    local = datetime.combine(DEMO_START + timedelta(days=day), moment, tzinfo=JST)
    return local.astimezone(UTC)


def _phone(rng: random.Random) -> str:
    """A mobile number in one of the shapes people really type (Faker's ja_JP
    numbers sometimes lack the leading 0)."""
    prefix, a, b = rng.choice("789"), rng.randint(1000, 9999), rng.randint(1000, 9999)
    shape = rng.random()
    if shape < 0.6:
        return f"0{prefix}0-{a}-{b}"
    if shape < 0.8:
        return f"0{prefix}0{a}{b}"
    if shape < 0.9:
        return f"+81 {prefix}0 {a} {b}"
    return f"0{prefix}0{a}{b}".translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def _weighted(rng: random.Random, options: tuple) -> tuple:
    return rng.choices(options, weights=[o[-1] for o in options])[0]


FAIRS = (
    (
        1,
        "GO 島根！ITエンジニア転職フェア 第1回（東京）",
        datetime(2022, 7, 9, 4, 0, tzinfo=UTC),
        "東京",
    ),
    (
        2,
        "GO 島根！ITエンジニア転職フェア 第2回（大阪）",
        datetime(2022, 10, 15, 4, 0, tzinfo=UTC),
        "大阪",
    ),
    (
        3,
        "GO 島根！ITエンジニア転職フェア 第3回（オンライン）",
        datetime(2023, 1, 21, 4, 0, tzinfo=UTC),
        None,
    ),
)


def _fairs(session: Session) -> list[Event]:
    existing = {e.fair_number: e for e in events.list_events(session, "fair")}
    for number, name, starts_at, venue in FAIRS:
        if number not in existing:
            existing[number] = events.create_event(
                session,
                kind="fair",
                name=name,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=4),
                venue=venue,
                online=venue is None,
                fair_number=number,
                capacity=150,
                actor_label="demo",
            )
    return [existing[n] for n, *_ in FAIRS]


def _payload(fake: Faker, rng: random.Random, notice: intake.Notice) -> dict:
    last, last_kana, _roman = fake.last_name_pair()
    female = rng.random() < 0.3
    first, first_kana, _ = fake.first_name_female_pair() if female else fake.first_name_male_pair()
    source, medium, campaign, _w = _weighted(rng, SOURCES)
    kana = f"{last_kana} {first_kana}"
    if rng.random() < 0.15:  # some type the reading in hiragana or half-width kana
        kana = unicodedata.normalize("NFKC", kana).translate(_KATA_TO_HIRA)
    return {
        "name": f"{last} {first}",
        "name_kana": kana,
        "email": fake.unique.email(),
        "phone": _phone(rng) if rng.random() < 0.8 else None,
        "employer": fake.company() if rng.random() < 0.7 else None,
        "residence_prefecture": _weighted(rng, RESIDENCES)[0],
        "birth_year": rng.randint(1968, 2000),
        "origin": rng.choices(["u_turn", "i_turn", "unknown"], [45, 40, 15])[0],
        "consent": {"notice_version": notice.version, "agreed": True},
        "utm": {"source": source, "medium": medium, "campaign": campaign},
    }


_KATA_TO_HIRA = {cp: cp - 0x60 for cp in range(0x30A1, 0x30F7)}


def load(
    session: Session,
    vault: crypto.Vault,
    signer: crypto.LinkSigner,
    notice: intake.Notice,
    *,
    count: int = 300,
    seed: int = 2022,
) -> DemoResult:
    """Make sure the demo instance has ``count`` registrants and fresh demo logins.

    People arrive through the same intake as the website's posts: some come
    twice (another channel, a full-width email), some apply to the fairs.
    ``notice`` is the privacy notice they agree to; ``signer`` signs the survey
    links.
    """
    _mark_demo(session)
    logins = _demo_logins(session)
    fairs = _fairs(session)
    existing = session.scalar(sa.select(sa.func.count(Registrant.id))) or 0
    rng = random.Random(seed + existing)
    fake = Faker("ja_JP")
    fake.seed_instance(seed + existing)
    added = 0
    people: list[tuple[dict, datetime]] = []
    while existing + added < count:
        payload = _payload(fake, rng, notice)
        registered_at = _registered_at(rng)
        arrival = intake.validate(payload, notice, now=registered_at)
        result = intake.register(
            session, vault, arrival, channel="demo", registered_at=registered_at
        )
        added += not result.duplicate
        people.append((payload, registered_at))
        if rng.random() < 0.04:  # the same person again, typed differently
            again = {
                **payload,
                "email": _full_width(payload["email"]),
                "utm": {"source": "newsletter", "medium": "email", "campaign": None},
            }
            later = registered_at + timedelta(days=rng.randint(1, 30))
            intake.register(
                session,
                vault,
                intake.validate(again, notice, now=later),
                channel="demo",
                registered_at=later,
            )
    if people:
        for fair in fairs:
            if fair.starts_at.date() > DEMO_AS_OF:
                continue
            before = [p for p in people if p[1] < fair.starts_at - timedelta(days=3)]
            for payload, _ in rng.sample(before, k=min(len(before), rng.randint(40, 60))):
                applied = fair.starts_at - timedelta(days=rng.randint(3, 40))
                intake.apply_to_fair(
                    session,
                    vault,
                    intake.validate(payload, notice, now=applied),
                    fair.public_id,
                    applied_at=applied,
                )
    demo_surveys.load(session, vault, signer, seed=seed)
    personas = demo_surveys.hidden_personas(session, seed)
    # Attendance before the first segmentation is marked now; the invitations by
    # tier follow the segmentation, and the later events' attendance with them.
    funnel_demo.seed(
        session,
        random.Random(seed),
        DEMO_AS_OF,
        personas,
        vault=vault,
        attendance_before=segment_demo.first_run_at(),
    )
    segment_demo.replay(session, vault, as_of=DEMO_AS_OF, seed=seed)
    engagement_demo.seed(session, signer, random.Random(seed + 11), DEMO_AS_OF)
    total = session.scalar(sa.select(sa.func.count(Registrant.id))) or 0
    return DemoResult(registrants=total, added=added, logins=logins)


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
