"""A realistic dataset of any size, deterministic from a seed, written in bulk.

The people (names, readings, emails, phones, employers, dates, channels) and every
related record come from ``random.Random(seed)``: the same seed and size give the
same dataset. Keys and nonces are fresh random bytes, as the service's crypto
demands, so the ciphertexts differ between runs while the plaintexts do not.

Personal fields are encrypted with the service's own ``Vault`` (one data key per
registrant, wrapped by the instance's master key; blind indexes for email and
phone), so every decrypting read, export and key rotation does its real work.
Rows go in in chunks (never per-row ORM), the same chunk written to every target
database, so SQLite and PostgreSQL hold the same people: SQLAlchemy Core
``executemany`` on SQLite; on PostgreSQL ``COPY`` by default (``fill="copy"``) or
the same ``executemany`` (``fill="insert"``). Each chunk is one transaction per
database, begun and committed explicitly (a COPY on the driver connection does not
begin SQLAlchemy's transaction, so a plain ``commit()`` would do nothing and the
pool's rollback would drop the rows: the first 100k run measured PostgreSQL on an
empty database). After the fill, ``check_rows`` counts every table on every
database against what was written; ``check_same`` compares the databases row by
row (the harness runs it before any scenario).

Proportions follow the demo and the 令和4年度 targets: per 290 registrants about 90
consulted, 300 fair applications and 30 hires; most answer the readiness survey; a
fifth come back through a second channel; about 2 % are merged duplicates.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from faker.providers.person.ja_JP import Provider as JaPerson

from itworks.crypto import Vault
from itworks.demo.demo import FAIRS, RESIDENCES, SOURCES
from itworks.demo.funnel import COMPANIES, DROPOUTS
from itworks.fiscal import JST
from itworks.japanese import normalize_email
from itworks.vocabulary import CONTACT_CHANNELS

START = date(2022, 4, 1)
AS_OF = date(2022, 11, 20)
DAYS = (AS_OF - START).days
CHUNK = 10_000
PRIVACY_NOTICE = "2022-04"
NOTICE_SHA = hashlib.sha256(b"benchmark privacy notice 2022-04").hexdigest()

LAST_NAMES = list(JaPerson.last_name_pairs)
MALE_NAMES = list(JaPerson.first_name_male_pairs)
FEMALE_NAMES = list(JaPerson.first_name_female_pairs)
DOMAINS = ("example.jp", "example.com", "mail.example.co.jp", "example.ne.jp", "example.org")
EMPLOYER_SHAPES = ("株式会社{}システム", "{}ソフト株式会社", "株式会社{}情報", "{}テック合同会社")
TIERS = ("move_now", "few_years", "region_undecided", "one_option")
TIER_WEIGHTS = (25, 30, 20, 25)

# Readiness answers per hidden tier (as tests/bench used), so the segmentation
# has something real to find.
CORE = {
    "move_now": (["asap", "within_1y"], ["shimane", "shimane_or_nearby"], ["within_3m"]),
    "few_years": (["1_3y", "3y_plus"], ["shimane", "shimane_or_nearby"], ["1_3y", "no_plan"]),
    "region_undecided": (["within_1y", "1_3y"], ["region_undecided"], ["within_1y", "1_3y"]),
    "one_option": (["undecided", "3y_plus"], ["not_sure"], ["no_plan", "1_3y"]),
}
SKILLS = ["web_backend", "web_frontend", "mobile", "infrastructure", "cloud", "data_ai", "pm"]
CONCERNS = ["salary", "available_jobs", "career", "housing", "partner_job", "children_school"]
AGE_BANDS = ["20_24", "25_29", "30_34", "35_39", "40_44", "45_49"]


@dataclass
class Person:
    """One generated registrant's plaintext (the CSV import writes these too)."""

    n: int
    name: str
    name_kana: str
    email: str
    phone: str | None
    employer: str | None
    prefecture: str
    birth_year: int
    origin: str
    registered_at: datetime
    utm: tuple[str | None, str | None, str | None]


def _weighted(rng: random.Random, options: Sequence[tuple]) -> tuple:
    return rng.choices(options, weights=[o[-1] for o in options])[0]


def messy_phone(rng: random.Random, canonical: str) -> str:
    """A domestic number (``090-1234-5678``) in one of the shapes people type."""
    digits = canonical.replace("-", "")
    shape = rng.random()
    if shape < 0.6:
        return canonical
    if shape < 0.8:
        return digits
    if shape < 0.9:
        return f"+81 {digits[1:3]} {digits[3:7]} {digits[7:]}"
    return digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def registered_at(rng: random.Random) -> datetime:
    # Registrations rise before the autumn fairs, as in the demo.
    day = min(DAYS - 1, int(DAYS * rng.betavariate(1.3, 1.0)))
    moment = time(rng.randrange(7, 24), rng.randrange(60), rng.randrange(60))
    return datetime.combine(START + timedelta(days=day), moment, tzinfo=JST).astimezone(UTC)


def people(
    seed: int, count: int, offset: int = 0, tag: str = "", mobile: str = "89", messy: bool = False
) -> Iterator[Person]:
    """``count`` people numbered from ``offset``. Emails carry ``tag`` and the number,
    phones the number after a mobile prefix from ``mobile``, so both are unique within a
    run and distinct between runs with different tags and prefixes. ``messy`` writes
    phones, emails and readings in the shapes people type (for the CSV import)."""
    rng = random.Random(f"{seed}/{tag}/{offset}")
    for n in range(offset, offset + count):
        last, last_kana, last_roman = rng.choice(LAST_NAMES)
        female = rng.random() < 0.3
        first, first_kana, first_roman = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        source, medium, campaign, _w = _weighted(rng, SOURCES)
        kana = f"{last_kana} {first_kana}"
        email = f"{first_roman}.{last_roman}{tag}{n}@{rng.choice(DOMAINS)}".lower()
        phone = None
        if rng.random() < 0.8:
            phone = f"0{rng.choice(mobile)}0-{1000 + n // 10000:04d}-{n % 10000:04d}"
            if messy:
                phone = messy_phone(rng, phone)
        if messy and rng.random() < 0.1:
            email = email.capitalize()
        if messy and rng.random() < 0.1:
            kana = kana.translate(_KATA_TO_HIRA)
        employer = None
        if rng.random() < 0.7:
            employer = rng.choice(EMPLOYER_SHAPES).format(rng.choice(LAST_NAMES)[0])
        yield Person(
            n=n,
            name=f"{last} {first}",
            name_kana=kana,
            email=email,
            phone=phone,
            employer=employer,
            prefecture=_weighted(rng, RESIDENCES)[0],
            birth_year=rng.randint(1962, 2001),
            origin=rng.choices(["u_turn", "i_turn", "unknown"], [45, 45, 10])[0],
            registered_at=registered_at(rng),
            utm=(source, medium, campaign),
        )


_KATA_TO_HIRA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def public_id(rng: random.Random) -> str:
    """22 letters and digits like the service's ids (hex digits are among them)."""
    return f"{rng.getrandbits(88):022x}"


def e164(phone: str) -> str:
    """The E.164 form of a number as ``people`` writes it (``090-1000-0001``, or one of
    the messy shapes), as the service's normalize_phone gives it, without its cost
    (phonenumbers takes most of the build's time otherwise); a test checks they agree."""
    digits = "".join(str(int(c)) for c in phone if c.isdigit())
    return "+81" + (digits[2:] if phone.startswith("+81") else digits[1:])


def answers(rng: random.Random, tier: str) -> dict:
    timing, destination, job = CORE[tier]
    result = {
        "move_timing": rng.choice(timing),
        "destination": rng.choice(destination),
        "job_change_timing": rng.choice(job),
        "age_band": rng.choice(AGE_BANDS),
        "experience_years": rng.randint(0, 30),
        "skills": rng.sample(SKILLS, k=rng.randint(1, 3)),
        "concerns": rng.sample(CONCERNS, k=rng.randint(1, 2)),
        "work_style": rng.choice(["onsite", "hybrid", "remote"]),
    }
    if rng.random() < 0.15:
        del result[rng.choice(["move_timing", "destination", "job_change_timing"])]
    return result


FILLS = ("copy", "insert")
# Every table the builder writes (check_rows counts them before and after).
TABLES = ("data_keys", "companies", "events", "campaigns", "registrants",
          "registrant_identifiers", "utm_touches", "survey_responses", "consultations",
          "contact_logs", "tier_assignments", "event_signups", "introductions", "hires",
          "stage_exits")  # fmt: skip


class DatasetError(RuntimeError):
    """The dataset is not what it must be (rows lost, figures empty or unequal)."""


@dataclass
class Counts:
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n


class Builder:
    """Writes the same generated chunks (the very same rows, ciphertexts included) to
    every target engine. ``fill`` is how PostgreSQL is written: ``"copy"`` or
    ``"insert"`` for every PostgreSQL engine, or one of them per engine (SQLite is
    always written by executemany)."""

    def __init__(
        self,
        engines: Sequence[sa.Engine],
        vault: Vault,
        seed: int,
        fill: str | Sequence[str] = "copy",
    ) -> None:
        from itworks.models import Base

        self.engines = list(engines)
        fills = [fill] * len(self.engines) if isinstance(fill, str) else list(fill)
        if len(fills) != len(self.engines) or any(f not in FILLS for f in fills):
            raise ValueError(f"fill: one of {FILLS} (or one per engine), not {fill!r}")
        self.copy = [f == "copy" and e.dialect.name == "postgresql"
                     for f, e in zip(fills, self.engines, strict=True)]  # fmt: skip
        self.vault = vault
        self.seed = seed
        self.t = Base.metadata.tables
        self.counts = Counts()
        self.now = datetime.now(UTC)

    def _write(self, connections: list[sa.Connection], table: str, rows: list[dict]) -> None:
        if not rows:
            return
        for connection, copy in zip(connections, self.copy, strict=True):
            if copy:
                self._copy(connection, table, rows)
            else:
                connection.execute(self.t[table].insert(), rows)
        self.counts.add(table, len(rows))

    def _copy(self, connection: sa.Connection, table: str, rows: list[dict]) -> None:
        """PostgreSQL's COPY, in the connection's transaction (executemany is 3× slower).

        The COPY runs on the driver connection, which SQLAlchemy does not see: the
        caller must have begun the transaction explicitly (``_transaction``), else
        its ``commit()`` is a no-op and the rows vanish when the connection closes."""
        from psycopg.types.json import Jsonb

        if not connection.in_transaction():
            raise DatasetError(f"COPY into {table} outside an explicit transaction")
        columns = list(rows[0])
        # executemany fills a column left out from the model's default (a Python value,
        # which COPY never sees): COPY writes the same scalar; a computed one is refused.
        defaults = {}
        for column in self.t[table].columns:
            if column.name in columns or column.default is None:
                continue
            if not column.default.is_scalar:
                raise DatasetError(f"COPY into {table} needs {column.name} (a computed default)")
            defaults[column.name] = column.default.arg
        columns += list(defaults)
        json_columns = {c.name for c in self.t[table].columns if isinstance(c.type, sa.JSON)}
        raw = connection.connection.dbapi_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            names = ", ".join(columns)
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    values = []
                    for c in columns:
                        value = row[c] if c in row else defaults.get(c)
                        values.append(Jsonb(value) if c in json_columns else value)
                    copy.write_row(values)

    def _seal(self, key: bytes, uid: str, table: str, column: str, row: str, value: str):
        return self.vault.encrypt(
            key, key_uid=uid, table=table, column=column, row=row, value=value
        )

    def build(self, registrants: int) -> dict[str, int]:
        """Insert ``registrants`` people and all their records; returns row counts."""
        rng = random.Random(self.seed)
        before = [table_counts(engine, TABLES) for engine in self.engines]
        connections = [engine.connect() for engine in self.engines]
        try:
            with self._transaction(connections):
                self._fixed(connections, rng)
            for offset in range(0, registrants, CHUNK):
                with self._transaction(connections):
                    self._chunk(connections, offset, min(CHUNK, registrants - offset))
        finally:
            for connection in connections:
                connection.close()
        for engine in self.engines:
            self._finish(engine)
        check_rows(self.engines, before, self.counts.rows)
        return dict(self.counts.rows)

    @staticmethod
    @contextmanager
    def _transaction(connections: list[sa.Connection]) -> Iterator[None]:
        """One explicit transaction per connection, committed when the block ends
        (rolled back by the close if it raises)."""
        for connection in connections:
            connection.begin()
        yield
        for connection in connections:
            connection.commit()

    # ---- companies, fairs, study sessions, campaigns

    COMPANY_BASE = 900_000
    EVENT_BASE = 900_000
    KEY_BASE = 10_000_000  # company data keys, far from the registrants' ones

    def _fixed(self, connections: list[sa.Connection], rng: random.Random) -> None:
        keys, companies = [], []
        names = [*COMPANIES]
        names += [(f"島根ベンチ{n}株式会社", "松江市", n % 10 != 0, 0) for n in range(40)]
        for i, (name, city, shimane, *_rest) in enumerate(names):
            cid = self.COMPANY_BASE + i
            new = self.vault.new_data_key()
            keys.append({"id": self.KEY_BASE + i, "uid": new.uid, "kek_id": new.kek_id,
                         "wrapped": new.wrapped, "created_at": self.now})  # fmt: skip
            row = f"c{cid}"
            companies.append(
                {"id": cid, "public_id": public_id(rng), "name": name, "city": city,
                 "shimane_it": shimane, "data_key_id": self.KEY_BASE + i, "created_at": self.now,
                 "contact_name_enc": self._seal(new.key, new.uid, "companies", "contact_name",
                                                row, f"{rng.choice(LAST_NAMES)[0]} 担当"),
                 "contact_email_enc": self._seal(new.key, new.uid, "companies", "contact_email",
                                                 row, f"recruit{i}@example.co.jp"),
                 "contact_phone_enc": None}
            )  # fmt: skip
        self._write(connections, "data_keys", keys)
        self._write(connections, "companies", companies)
        self.companies = [(c["id"], c["shimane_it"]) for c in companies]
        events = []
        for number, name, starts_at, venue in FAIRS:
            events.append(
                {"id": self.EVENT_BASE + number, "public_id": public_id(rng), "kind": "fair",
                 "name": name, "starts_at": starts_at, "ends_at": starts_at + timedelta(hours=4),
                 "venue": venue, "online": venue is None, "fair_number": number,
                 "capacity": None, "created_at": self.now}
            )  # fmt: skip
        for n in range(20):
            starts = datetime.combine(START + timedelta(days=10 * n + 5), time(10), tzinfo=JST)
            events.append(
                {"id": self.EVENT_BASE + 100 + n, "public_id": public_id(rng),
                 "kind": "study_session", "name": f"しまねIT勉強会 第{n + 1}回",
                 "starts_at": starts.astimezone(UTC), "ends_at": None, "venue": "松江",
                 "online": False, "fair_number": None, "capacity": None, "created_at": self.now}
            )  # fmt: skip
        self._write(connections, "events", events)
        self.events = [(e["id"], e["kind"], e["starts_at"]) for e in events]
        campaigns = sorted({s[2] for s in SOURCES if s[2]})
        self._write(
            connections,
            "campaigns",
            [
                {"public_id": public_id(rng), "name": f"キャンペーン {c}", "channel": "web_ad",
                 "utm_campaign": c, "starts_on": START + timedelta(days=15 * i),
                 "cost_yen": 300_000 * (i + 1), "reach_target": 100_000, "created_at": self.now}
                for i, c in enumerate(campaigns)
            ],
        )  # fmt: skip

    # ---- the people, CHUNK at a time

    def _chunk(self, connections: list[sa.Connection], offset: int, count: int) -> None:
        rng = random.Random(f"{self.seed}/records/{offset}")
        vault = self.vault
        cutoff = datetime.combine(AS_OF, time(0), tzinfo=JST).astimezone(UTC)
        keys, regs, idents, touches = [], [], [], []
        surveys, consults, tiers, exits, signups, intros, hires, contacts = (
            [], [], [], [], [], [], [], []
        )  # fmt: skip
        fairs = [(eid, at) for eid, kind, at in self.events if kind == "fair"]
        studies = [(eid, at) for eid, kind, at in self.events if kind != "fair"]
        shimane = [cid for cid, ok in self.companies if ok]
        for person in people(self.seed, count, offset):
            rid = person.n + 1
            new = vault.new_data_key()
            pid = public_id(rng)
            keys.append({"id": rid, "uid": new.uid, "kek_id": new.kek_id, "wrapped": new.wrapped,
                         "created_at": self.now})  # fmt: skip
            merged = (
                rid - rng.randint(1, min(50, rid - 1))
                if rid > 100 and rng.random() < 0.02
                else None
            )  # noqa: E501
            source, medium, campaign = person.utm
            at = person.registered_at
            reg = {
                "id": rid, "public_id": pid, "data_key_id": rid,
                "residence_prefecture": person.prefecture, "birth_year": person.birth_year,
                "age_band": None, "origin": person.origin, "registered_at": at,
                "utm_source": source, "utm_medium": medium, "utm_campaign": campaign,
                "utm_term": None, "utm_content": None, "referrer": None,
                "consent_notice_version": PRIVACY_NOTICE, "consent_notice_sha256": NOTICE_SHA,
                "consent_at": at, "source": rng.choices(["api", "import", "coordinator"],
                                                        [80, 15, 5])[0],
                "merged_into_id": merged, "erased_at": None, "mail_opt_out_at": None,
                "use_stopped_at": None, "created_at": at, "updated_at": at,
            }  # fmt: skip
            for column in ("name", "name_kana", "email", "phone", "employer"):
                value = getattr(person, column)
                if column == "email":
                    value = normalize_email(value)
                elif column == "phone" and value is not None:
                    value = e164(value)
                reg[f"{column}_enc"] = vault.encrypt(
                    new.key, key_uid=new.uid, table="registrants", column=column, row=pid,
                    value=value,
                )  # fmt: skip
            regs.append(reg)
            if merged is None:
                digest = vault.blind_index("email", normalize_email(person.email))
                idents.append({"registrant_id": rid, "kind": "email", "digest": digest})
                if person.phone:
                    digest = vault.blind_index("phone", e164(person.phone))
                    idents.append({"registrant_id": rid, "kind": "phone", "digest": digest})
            touches.append({"registrant_id": rid, "at": at, "channel": reg["source"],
                            "utm_source": source, "utm_medium": medium,
                            "utm_campaign": campaign})  # fmt: skip
            if rng.random() < 0.2:
                again = _weighted(rng, SOURCES)
                touches.append({"registrant_id": rid, "channel": "api",
                                "at": at + timedelta(days=rng.uniform(1, 60)),
                                "utm_source": again[0], "utm_medium": again[1],
                                "utm_campaign": again[2]})  # fmt: skip

            def later(lo: float, hi: float, at: datetime = at) -> datetime:
                return at + timedelta(days=rng.uniform(lo, hi))

            tier = rng.choices(TIERS, TIER_WEIGHTS)[0]
            keen = tier == "move_now"
            if rng.random() < 0.7:
                surveys.append({"public_id": public_id(rng), "registrant_id": rid,
                                "instrument_id": "readiness", "instrument_version": 1,
                                "channel": rng.choice(["web", "web", "interview"]),
                                "submitted_at": later(0, 20), "answers": answers(rng, tier)})  # fmt: skip  # noqa: E501
            if rng.random() < (0.55 if keen else 0.23):
                for _ in range(1 + (rng.random() < 0.3)):
                    cid_pub = public_id(rng)
                    consults.append({"public_id": cid_pub, "registrant_id": rid,
                                     "held_at": later(1, 60), "kind": "career",
                                     "channel": rng.choice(["online", "meeting"]),
                                     "notes_enc": vault.encrypt(
                                         new.key, key_uid=new.uid, table="consultations",
                                         column="notes", row=cid_pub,
                                         value="希望職種と転居時期を確認。次回は求人紹介。")})  # fmt: skip  # noqa: E501
            if rng.random() < 0.3:
                for _ in range(rng.randint(1, 3)):
                    contacts.append({"registrant_id": rid, "contacted_at": later(1, 90),
                                     "channel": rng.choice(CONTACT_CHANNELS[:4]),
                                     "kind": rng.choice(["follow_up", "phone", "email"])})  # fmt: skip  # noqa: E501
            if rng.random() < 0.1:
                tiers.append({"registrant_id": rid, "tier": tier, "method": "coordinator",
                              "assigned_at": later(1, 30)})  # fmt: skip
            for event_id, starts in fairs:
                if at < starts and rng.random() < 0.4:
                    held = starts < cutoff
                    status = (rng.choices(["attended", "no_show", "cancelled", "applied"],
                                          [6, 2, 1, 1])[0] if held
                              else rng.choice(["applied", "applied", "cancelled"]))  # fmt: skip
                    signups.append({"event_id": event_id, "registrant_id": rid,
                                    "signed_up_at": max(at, starts - timedelta(days=rng.uniform(1, 30))),  # noqa: E501
                                    "source": "api", "status": status,
                                    "attended_at": starts if status == "attended" else None})  # fmt: skip  # noqa: E501
            if rng.random() < 0.05:
                event_id, starts = rng.choice(studies)
                if at < starts:
                    signups.append({"event_id": event_id, "registrant_id": rid,
                                    "signed_up_at": at, "source": "coordinator",
                                    "status": "attended", "attended_at": starts})  # fmt: skip
            if rng.random() < (0.35 if keen else 0.15):
                company = rng.choice(
                    shimane if rng.random() < 0.9 else [c for c, _ in self.companies]
                )  # noqa: E501
                hired = rng.random() < 0.45
                intros.append({"public_id": public_id(rng), "registrant_id": rid,
                               "company_id": company, "introduced_at": later(20, 90),
                               "status": "hired" if hired else rng.choice(
                                   ["introduced", "interviewing", "offered"])})  # fmt: skip
                if hired:
                    hires.append({"public_id": public_id(rng), "registrant_id": rid,
                                  "company_id": company, "hired_at": later(60, 200),
                                  "turn": person.origin if person.origin != "unknown" else None})  # fmt: skip  # noqa: E501
            if rng.random() < 0.08:
                stage, reason = rng.choice(DROPOUTS)
                exits.append({"registrant_id": rid, "stage": stage, "reason_code": reason,
                              "exited_at": later(5, 120)})  # fmt: skip
        self._write(connections, "data_keys", keys)
        self._write(connections, "registrants", regs)
        self._write(connections, "registrant_identifiers", idents)
        self._write(connections, "utm_touches", touches)
        self._write(connections, "survey_responses", surveys)
        self._write(connections, "consultations", consults)
        self._write(connections, "contact_logs", contacts)
        self._write(connections, "tier_assignments", tiers)
        self._write(connections, "event_signups", signups)
        self._write(connections, "introductions", intros)
        self._write(connections, "hires", hires)
        self._write(connections, "stage_exits", exits)

    def _finish(self, engine: sa.Engine) -> None:
        """Move PostgreSQL's sequences past the explicit ids; refresh planner statistics."""
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                for table in ("data_keys", "registrants", "companies", "events"):
                    connection.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
            with engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    sa.text("VACUUM ANALYZE")
                )
        else:
            with engine.begin() as connection:
                connection.execute(sa.text("ANALYZE"))


def table_counts(engine: sa.Engine, tables: Iterable[str]) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            t: connection.scalar(sa.text(f"SELECT count(*) FROM {t}"))  # noqa: S608 - our names
            for t in tables
        }


def check_rows(
    engines: Sequence[sa.Engine], before: Sequence[Mapping[str, int]], written: Mapping[str, int]
) -> None:
    """Every table on every engine gained exactly the rows written to it, else DatasetError."""
    problems = []
    for engine, counted in zip(engines, before, strict=True):
        now = table_counts(engine, written)
        for table, expected in written.items():
            if now[table] - counted[table] != expected:
                problems.append(
                    f"{engine.dialect.name} {table}: {now[table] - counted[table]} new rows, "
                    f"{expected} written"
                )
    if problems:
        raise DatasetError("the fill lost rows: " + "; ".join(problems))


def _plain(value: object) -> object:
    """A stored value in a form equal on every engine (the model types already give
    aware UTC datetimes, bools and parsed JSON back)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def fingerprint(engine: sa.Engine, tables: Iterable[str] = TABLES) -> dict[str, tuple[int, str]]:
    """Per table: the row count and a digest of every row, every column, read through
    the service's models (so a timestamp, a boolean or a JSON document written
    differently on one engine changes the digest)."""
    from itworks.models import Base

    out = {}
    with engine.connect() as connection:
        for name in tables:
            table = Base.metadata.tables[name]
            digest = hashlib.sha256()
            count = 0
            query = sa.select(table).order_by(*table.primary_key.columns)
            for row in connection.execute(query):
                digest.update(repr(tuple(_plain(v) for v in row)).encode())
                count += 1
            out[name] = (count, digest.hexdigest()[:16])
    return out


def check_same(engines: Mapping[str, sa.Engine]) -> None:
    """The named engines hold identical rows in every dataset table, else DatasetError
    (naming the tables and their row counts)."""
    prints = {name: fingerprint(engine) for name, engine in engines.items()}
    first, *others = prints
    differ = [
        f"{table} ({', '.join(f'{n}: {prints[n][table][0]} rows' for n in prints)})"
        for table in TABLES
        if any(prints[o][table] != prints[first][table] for o in others)
    ]
    if differ:
        raise DatasetError(
            f"the same seed wrote different rows to {' / '.join(prints)}: " + "; ".join(differ)
        )
