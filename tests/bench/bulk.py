"""A large, plausible year of records, inserted in bulk (no per-person crypto: the
measures never read personal fields, so every registrant shares one dummy key blob).

Everything falls in 令和4年度 up to 20 November (the worst case for the year's counts),
in the proportions of that year's targets: per 290 registrants, 90 consulted, 300 fair
applications and 30 hires; plus survey answers, tiers, arrivals, exits and campaigns.
About 2 % of the registrants are merged duplicates."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

START = datetime(2022, 3, 31, 15, 0, tzinfo=UTC)  # 2022-04-01 00:00 JST
DAYS = 234  # to 2022-11-20
BATCH = 5000


def _batches(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    for i in range(0, len(rows), BATCH):
        connection.execute(table.insert(), rows[i : i + BATCH])


def build(engine: sa.Engine, registrants: int = 100_000, seed: int = 2022) -> dict[str, int]:
    """Insert ``registrants`` people of 令和4年度 and their related records."""
    from itworks.models import Base

    t = Base.metadata.tables
    rng = random.Random(seed)
    counts: dict[str, int] = {}

    def at(day: float) -> datetime:
        return START + timedelta(days=day)

    with engine.begin() as connection:
        first_key = (connection.scalar(sa.select(sa.func.max(t["data_keys"].c.id))) or 0) + 1
        first_id = (connection.scalar(sa.select(sa.func.max(t["registrants"].c.id))) or 0) + 1
        now = datetime.now(UTC)
        _batches(
            connection,
            t["data_keys"],
            [
                {"id": first_key + i, "uid": f"bench{first_key + i}", "kek_id": "k1",
                 "wrapped": b"dummy", "created_at": now}
                for i in range(registrants)
            ],
        )  # fmt: skip
        people = []
        days = sorted(rng.uniform(0, DAYS) for _ in range(registrants))
        sources = ["google", "facebook", "twitter", "itworks_site", "newsletter", None]
        campaigns = [f"bench_campaign_{n}" for n in range(20)]
        for i, day in enumerate(days):
            rid = first_id + i
            merged = rid - rng.randint(1, 50) if i > 100 and rng.random() < 0.02 else None
            people.append(
                {
                    "id": rid,
                    "public_id": f"bench{rid}",
                    "data_key_id": first_key + i,
                    "origin": rng.choice(["u_turn", "i_turn", "unknown"]),
                    "registered_at": at(day),
                    "utm_source": rng.choice(sources),
                    "utm_campaign": rng.choice(campaigns) if rng.random() < 0.6 else None,
                    "source": "api",
                    "merged_into_id": merged,
                    "created_at": now,
                    "updated_at": now,
                    "residence_prefecture": "東京都",
                    "birth_year": rng.randint(1965, 2000),
                }
            )
        _batches(connection, t["registrants"], people)
        counts["registrants"] = len(people)

        touches = []
        for p in people:
            touches.append(
                {"registrant_id": p["id"], "at": p["registered_at"], "channel": "api",
                 "utm_source": p["utm_source"], "utm_campaign": p["utm_campaign"]}
            )  # fmt: skip
            if rng.random() < 0.2:
                touches.append(
                    {"registrant_id": p["id"], "channel": "api", "utm_source": "newsletter",
                     "at": p["registered_at"] + timedelta(days=rng.uniform(1, 30)),
                     "utm_campaign": rng.choice(campaigns)}
                )  # fmt: skip
        _batches(connection, t["utm_touches"], touches)
        counts["utm_touches"] = len(touches)

        def later(p: dict, lo: float, hi: float) -> datetime:
            return p["registered_at"] + timedelta(days=rng.uniform(lo, hi))

        consultations, surveys, exits, tiers, intros, hires = [], [], [], [], [], []
        for p in people:
            if rng.random() < 0.4:
                surveys.append(
                    {"public_id": f"bs{p['id']}", "registrant_id": p["id"],
                     "instrument_id": "readiness", "instrument_version": 1, "channel": "web",
                     "submitted_at": later(p, 0, 10), "answers": {}}
                )  # fmt: skip
            # In the proportions of the 令和4年度 targets: 290 registrants, 90 consulted
            # (31 %), 300 fair applications (about one each), 30 hires (10 %).
            consulted = rng.random() < 0.31
            for n in range((1 + (rng.random() < 0.3)) if consulted else 0):
                consultations.append(
                    {"public_id": f"bc{p['id']}-{n}", "registrant_id": p["id"],
                     "held_at": later(p, 1, 60), "kind": "career"}
                )  # fmt: skip
            if rng.random() < 0.5:
                tiers.append(
                    {"registrant_id": p["id"], "tier": rng.choice(
                        ["move_now", "few_years", "region_undecided", "one_option"]),
                     "method": rng.choice(["model", "model", "coordinator"]),
                     "assigned_at": later(p, 1, 30)}
                )  # fmt: skip
            if rng.random() < 0.1:
                exits.append(
                    {"registrant_id": p["id"], "stage": rng.choice(["registered", "consulted"]),
                     "reason_code": rng.choice(["dropout_family", "dropout_no_contact"]),
                     "exited_at": later(p, 5, 90)}
                )  # fmt: skip
        _batches(connection, t["survey_responses"], surveys)
        _batches(connection, t["consultations"], consultations)
        _batches(connection, t["tier_assignments"], tiers)
        _batches(connection, t["stage_exits"], exits)
        counts.update(
            survey_responses=len(surveys), consultations=len(consultations),
            tier_assignments=len(tiers), stage_exits=len(exits),
        )  # fmt: skip

        companies = [{"id": 900_000 + n, "public_id": f"bco{n}", "name": f"ベンチ株式会社{n}",
                      "shimane_it": n % 10 != 0, "created_at": now} for n in range(50)]  # fmt: skip
        _batches(connection, t["companies"], companies)
        events = []
        for n, day in enumerate((99, 197, 295)):
            events.append(
                {"id": 900_000 + n, "public_id": f"bfair{n}", "kind": "fair",
                 "name": f"ベンチフェア{n + 1}", "starts_at": at(day), "fair_number": n + 1,
                 "created_at": now}
            )  # fmt: skip
        for n in range(20):
            events.append(
                {"id": 900_100 + n, "public_id": f"bev{n}", "kind": "study_session",
                 "name": f"勉強会{n}", "starts_at": at(10 * n + 5), "created_at": now,
                 "fair_number": None}
            )  # fmt: skip
        _batches(connection, t["events"], events)
        signups = []
        for p in people:
            for event in events[:3]:
                if p["registered_at"] < event["starts_at"] and rng.random() < 0.45:
                    held = event["starts_at"] < at(DAYS)
                    status = rng.choices(
                        ["attended", "no_show", "cancelled", "applied"], [6, 2, 1, 1]
                    )[0] if held else rng.choice(["applied", "cancelled"])  # fmt: skip
                    signups.append(
                        {"event_id": event["id"], "registrant_id": p["id"],
                         "signed_up_at": event["starts_at"] - timedelta(days=rng.uniform(1, 30)),
                         "source": "api", "status": status}
                    )  # fmt: skip
            if rng.random() < 0.2:
                company = rng.choice(companies)["id"]
                intros.append(
                    {"public_id": f"bi{p['id']}", "registrant_id": p["id"],
                     "company_id": company, "introduced_at": later(p, 20, 90),
                     "status": "introduced"}
                )  # fmt: skip
                if rng.random() < 0.5:
                    hires.append(
                        {"public_id": f"bh{p['id']}", "registrant_id": p["id"],
                         "company_id": company, "hired_at": later(p, 90, 200)}
                    )  # fmt: skip
        _batches(connection, t["event_signups"], signups)
        _batches(connection, t["introductions"], intros)
        _batches(connection, t["hires"], hires)
        counts.update(event_signups=len(signups), introductions=len(intros), hires=len(hires))
        _batches(
            connection,
            t["campaigns"],
            [
                {"public_id": f"bcp{n}", "name": f"キャンペーン{n}", "channel": "web_ad",
                 "utm_campaign": c, "starts_on": START.date() + timedelta(days=n * 10),
                 "cost_yen": 100_000 * (n + 1), "reach_target": 10_000, "created_at": now}
                for n, c in enumerate(campaigns)
            ],
        )  # fmt: skip
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                sa.text("VACUUM ANALYZE")
            )
    else:
        with engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
    return counts
