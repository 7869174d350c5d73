"""The seven scenarios of the performance issue. Each returns Result rows; the
goals are the issue's, quoted as ratios measured in the same run with the
absolute figures beside them."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

import sqlalchemy as sa

from . import load, peer, profiling
from .dataset import AS_OF, e164, people
from .instances import Instance, measure
from .results import Result, median_ms

PASSWORD = "benchmark coordinator password"  # noqa: S105 - a throwaway instance's login
FY = 2022
_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)  # noqa: E501


@dataclass
class Context:
    size: int
    seed: int
    root: Path
    main: list[Instance]  # the dataset's instances: SQLite first, then PostgreSQL
    rounds: int
    load_seconds: int
    intake_seconds: int
    intake_clients: int = 50
    servers: dict = field(default_factory=dict)

    def server(self, instance: Instance) -> load.Server:
        """One `itworks serve --workers 2` per instance, shared by scenarios 4 and 5."""
        if instance.label not in self.servers:
            self.servers[instance.label] = load.Server(instance)
        return self.servers[instance.label]

    def stop_servers(self) -> None:
        for server in self.servers.values():
            server.interrupt()
        for server in self.servers.values():
            server.stop()
        self.servers.clear()

    @property
    def sqlite(self) -> Instance:
        return self.main[0]

    def per_100k(self, seconds: float) -> float:
        """A time budget given for 100,000 registrants, for this size (never below it)."""
        return seconds * max(1.0, self.size / 100_000)


# --------------------------------------------------------------------------- 1. import


def write_import_csv(ctx: Context, path: Path) -> int:
    """The previous operator's list: Japanese headers, UTF-8 with BOM, messy phones."""
    from itworks.fiscal import JST

    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(peer.HEADER)
        for p in people(ctx.seed, ctx.size, tag="imp", mobile="7", messy=True):
            writer.writerow(
                [p.name, p.name_kana, p.email, p.phone or "", p.employer or "", p.prefecture,
                 p.birth_year, p.registered_at.astimezone(JST).strftime("%Y/%m/%d %H:%M"),
                 p.utm[0] or "", p.utm[1] or "", p.utm[2] or ""]
            )  # fmt: skip
    return ctx.size


def _limit_rows(ctx: Context, vault) -> dict[str, tuple[list[str], list[tuple]]]:  # noqa: ANN001
    """The import's rows for the storage alone: encrypted and indexed ahead of time."""
    from itworks.japanese import normalize_email

    keys, regs, idents = [], [], []
    now = "2022-11-20 00:00:00.000000"
    for p in people(ctx.seed, ctx.size, tag="imp", mobile="7", messy=True):
        rid = p.n + 1
        new = vault.new_data_key()
        pid = f"lim{rid:019d}"
        email = normalize_email(p.email)
        phone = e164(p.phone) if p.phone else None
        values = {"name": p.name, "name_kana": p.name_kana, "email": email, "phone": phone,
                  "employer": p.employer}  # fmt: skip
        sealed = [
            vault.encrypt(new.key, key_uid=new.uid, table="registrants", column=c, row=pid,
                          value=v)
            for c, v in values.items()
        ]  # fmt: skip
        at_text = p.registered_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.000000")
        keys.append((rid, new.uid, new.kek_id, new.wrapped, now))
        regs.append((rid, pid, rid, *sealed, p.prefecture, p.birth_year, p.origin, at_text,
                     p.utm[0], p.utm[1], p.utm[2], "import", now, now))  # fmt: skip
        idents.append((rid, "email", vault.blind_index("email", email)))
        if phone:
            idents.append((rid, "phone", vault.blind_index("phone", phone)))
    return {
        "data_keys": (["id", "uid", "kek_id", "wrapped", "created_at"], keys),
        "registrants": (
            [
                "id",
                "public_id",
                "data_key_id",
                "name_enc",
                "name_kana_enc",
                "email_enc",
                "phone_enc",
                "employer_enc",
                "residence_prefecture",
                "birth_year",
                "origin",
                "registered_at",
                "utm_source",
                "utm_medium",
                "utm_campaign",
                "source",
                "created_at",
                "updated_at",
            ],
            regs,
        ),  # fmt: skip
        "registrant_identifiers": (["registrant_id", "kind", "digest"], idents),
    }


def import_csv(ctx: Context) -> list[Result]:
    path = ctx.root / "import.csv"
    rows = write_import_csv(ctx, path)
    target = Instance(ctx.root, "import-sqlite", f"sqlite:///{ctx.root / 'import-sqlite.db'}")
    target.create()
    service = target.itworks("import", "registrants", str(path), "--json")
    if service.returncode != 0:
        raise RuntimeError(f"itworks import exited {service.returncode}: {service.output[-1500:]}")
    summary = json.loads(service.output[service.output.index("{") :])
    if summary["imported"] != rows:
        errors = summary["errors"][:3]
        raise RuntimeError(f"imported {summary['imported']} of {rows} rows: {errors}")
    service_rate = rows / service.seconds

    peer_db = ctx.root / "peer.sqlite"
    peer_run = measure(
        profiling.command("peer-import", ["benchmarks.peer", "import", str(path), str(peer_db)]),
        target.env(),
        cwd=Path(__file__).resolve().parent.parent,
    )
    if peer_run.returncode != 0 or int(peer_run.output.split()[-1]) != rows:
        raise RuntimeError(f"peer import failed: {peer_run.output[-1500:]}")
    peer_rate = rows / peer_run.seconds

    from itworks.models import Base

    limit_db = ctx.root / "limit.sqlite"
    engine = sa.create_engine(f"sqlite:///{limit_db}")
    Base.metadata.create_all(engine)
    engine.dispose()
    limit_rate = rows / peer.limit_insert(str(limit_db), _limit_rows(ctx, target.vault()))
    ctx.peer_db = peer_db  # type: ignore[attr-defined]
    target.close()

    budget = 500.0
    return [
        Result("1 import: rows/s vs peer", service_rate, "rows/s", "≥ 2× peer",
               service_rate >= 2 * peer_rate, peer_rate, "ORM + sqlalchemy-utils",
               service_rate / peer_rate,
               note=f"{rows:,} rows: service {service.seconds:.1f} s, "
               f"peer {peer_run.seconds:.1f} s (each a fresh process on SQLite, "
               "start-up included)"),
        Result("1 import: rows/s vs limit", service_rate, "rows/s", "≥ 0.4× limit",
               service_rate >= 0.4 * limit_rate, limit_rate, "sqlite3.executemany",
               service_rate / limit_rate),
        Result("1 import: peak memory", service.peak_mb, "MB", f"< {budget:.0f} MB (at 1M rows)",
               service.peak_mb < budget,
               note=f"peak RSS of the import process for {rows:,} rows; the peer's was "
               f"{peer_run.peak_mb:.0f} MB"),
    ]  # fmt: skip


# --------------------------------------------------------------------------- 2. reads


def _login(client) -> None:  # noqa: ANN001
    page = client.get("/login")
    match = _CSRF.search(page.text)
    reply = client.post(
        "/login",
        data={"username": "bench-coord", "password": PASSWORD,
              "csrf_token": match.group(1) or match.group(2)},
    )  # fmt: skip
    if reply.status_code not in (302, 303):
        raise RuntimeError(f"login failed: {reply.status_code}")


def coordinator_client(instance: Instance):  # noqa: ANN201
    from itworks.db import db
    from itworks.services.accounts import users
    from itworks.services.errors import Conflict

    app = instance.app()
    with app.app_context():
        try:
            users.create_user(db.session, "bench-coord", "coordinator", PASSWORD,
                              actor_label="benchmark")  # fmt: skip
        except Conflict:
            pass
    client = app.test_client()
    _login(client)
    return client


def list_page(ctx: Context) -> list[Result]:
    out = []
    for instance in ctx.main:
        client = coordinator_client(instance)

        def get(page: int = 1) -> None:
            reply = client.get(f"/registrants/?page={page}")  # noqa: B023
            if reply.status_code != 200:
                raise RuntimeError(f"/registrants answered {reply.status_code}")

        ms = median_ms(get, ctx.rounds, name=f"{instance.label}-list-page")
        middle = max(1, ctx.size // 100)  # page 1 of 100 … the middle of the list
        ms_mid = median_ms(lambda: get(middle), max(5, ctx.rounds // 3), warm=1)  # noqa: B023
        out.append(
            Result(
                f"2 list page of 50 ({instance.engine_name})",
                ms,
                "ms",
                "median < 30 ms",
                ms < 30,
                note=f"GET /registrants/?page=1 median of {ctx.rounds} warm; "
                f"page {middle:,}: {ms_mid:.1f} ms",
            )  # fmt: skip
        )
    return out


def export(ctx: Context) -> list[Result]:
    instance = ctx.sqlite
    out_file = ctx.root / "export.csv"
    service = instance.itworks("export", "registrants", str(out_file))
    if service.returncode != 0:
        raise RuntimeError(f"itworks export exited {service.returncode}: {service.output[-1500:]}")
    match = re.search(r"exported (\d+)", service.output)
    count = int(match.group(1)) if match else 0
    with open(out_file, encoding="utf-8-sig", newline="") as handle:
        lines = sum(1 for _ in csv.reader(handle)) - 1
    if lines != count or count == 0:
        raise RuntimeError(f"export said {count} but wrote {lines} rows")
    service_rate = count / service.seconds
    peer_db = getattr(ctx, "peer_db", None)
    if peer_db is None:
        raise RuntimeError("the peer's database comes from scenario 1, which failed")
    peer_out = ctx.root / "peer-export.csv"
    peer_run = measure(
        profiling.command(
            "peer-export", ["benchmarks.peer", "export", str(peer_db), str(peer_out)]
        ),
        instance.env(),
        cwd=Path(__file__).resolve().parent.parent,
    )
    if peer_run.returncode != 0:
        raise RuntimeError(f"peer export failed: {peer_run.output[-1500:]}")
    peer_rows = int(peer_run.output.split()[-1])
    peer_rate = peer_rows / peer_run.seconds
    return [
        Result(
            "2 export: rows/s vs peer",
            service_rate,
            "rows/s",
            "≥ 2× peer",
            service_rate >= 2 * peer_rate,
            peer_rate,
            "ORM load-and-decrypt",
            service_rate / peer_rate,
            note=f"service {count:,} rows in {service.seconds:.1f} s "
            f"(peak {service.peak_mb:.0f} MB); peer {peer_rows:,} in {peer_run.seconds:.1f} s; "
            "both write a CSV, each a fresh process",
        )  # fmt: skip
    ]


# --------------------------------------------------------------------------- 3. funnel

RAW_FUNNEL = {
    "new_registrants": """
        SELECT count(*) FROM registrants
        WHERE registered_at >= :start AND registered_at < :cutoff AND merged_into_id IS NULL""",
    "consultations": """
        SELECT count(DISTINCT coalesce(r.merged_into_id, r.id))
        FROM consultations c JOIN registrants r ON r.id = c.registrant_id
        WHERE c.kind = 'career' AND c.held_at >= :start AND c.held_at < :cutoff""",
    "hires": """
        SELECT count(DISTINCT coalesce(r.merged_into_id, r.id))
        FROM hires h JOIN companies co ON co.id = h.company_id
        JOIN registrants r ON r.id = h.registrant_id
        WHERE co.shimane_it = :yes AND h.hired_at >= :start AND h.hired_at < :cutoff""",
    "fair_signups": """
        SELECT count(*) FROM (
            SELECT DISTINCT s.event_id, coalesce(r.merged_into_id, r.id) AS person
            FROM event_signups s JOIN events e ON e.id = s.event_id
            JOIN registrants r ON r.id = s.registrant_id
            WHERE e.kind = 'fair' AND e.starts_at >= :year_start AND e.starts_at < :year_end
              AND s.status <> 'cancelled' AND s.signed_up_at < :cutoff) AS x""",
    "fair_attendance": """
        SELECT e.fair_number, count(DISTINCT coalesce(r.merged_into_id, r.id))
        FROM event_signups s JOIN events e ON e.id = s.event_id
        JOIN registrants r ON r.id = s.registrant_id
        WHERE e.kind = 'fair' AND e.starts_at >= :year_start AND e.starts_at < :year_end
          AND e.starts_at < :cutoff AND s.status = 'attended'
        GROUP BY e.fair_number ORDER BY e.fair_number""",
}


def raw_funnel(connection: sa.Connection) -> dict:
    from itworks.fiscal import Period

    period = Period.of(FY, AS_OF)
    sqlite = connection.dialect.name == "sqlite"

    def t(value):  # noqa: ANN001, ANN202 - SQLite stores naive UTC (UTCDateTime)
        return value.astimezone(UTC).replace(tzinfo=None) if sqlite else value

    params = {
        "start": t(period.start_utc),
        "cutoff": t(period.cutoff_utc),
        "year_start": t(period.start_utc),
        "year_end": t(period.end_utc),
        "yes": True,
    }
    result = {}
    for key, sql in RAW_FUNNEL.items():
        rows = connection.execute(sa.text(sql), params).all()
        result[key] = [int(n) for _, n in rows] if key == "fair_attendance" else int(rows[0][0])
    return result


def funnel_problems(figures: Mapping[str, Mapping]) -> list[str]:
    """What makes a dataset's funnel figures nonsense, per place they were read
    (``"SQLite"``, ``"PostgreSQL endpoint"``, …): every figure 0, no new registrant
    in the year, or different figures for the same seed."""
    problems = []
    for where, f in figures.items():
        numbers = [f[k] for k in RAW_FUNNEL if k != "fair_attendance"] + list(f["fair_attendance"])
        if not any(numbers):
            problems.append(f"{where}: every funnel figure is 0 ({dict(f)})")
        elif f["new_registrants"] == 0:
            problems.append(f"{where}: no new registrants in FY{FY} ({dict(f)})")
    if len({json.dumps(f, sort_keys=True) for f in figures.values()}) > 1:
        problems.append(
            "the funnel figures differ for the same seed: "
            + "; ".join(f"{where} {dict(f)}" for where, f in figures.items())
        )
    return problems


def read_token(instance: Instance, scope: str = "read") -> str:
    from itworks.db import db
    from itworks.services.accounts import tokens

    name = f"bench-{scope}-{id(instance) % 100000}"
    with instance.app().app_context():
        try:
            return tokens.create(db.session, name, scope, actor_label="benchmark")
        except Exception:  # noqa: BLE001 - already made: a new name
            db.session.rollback()
            return tokens.create(db.session, name + "b", scope, actor_label="benchmark")


def funnel(ctx: Context) -> list[Result]:
    out = []
    answers: dict[str, dict] = {}
    for instance in ctx.main:
        token = read_token(instance)
        client = instance.app().test_client()
        headers = {"Authorization": f"Bearer {token}"}
        answer: dict = {}

        def call() -> None:
            reply = client.get(f"/api/v1/funnel?fy={FY}", headers=headers)  # noqa: B023
            if reply.status_code != 200:
                raise RuntimeError(f"/api/v1/funnel answered {reply.status_code}")
            answer.update(reply.json)  # noqa: B023

        api_ms = median_ms(call, ctx.rounds, name=f"{instance.label}-api-funnel")
        engine = instance.engine()
        with engine.connect() as connection:
            expected: dict = {}
            raw_ms = median_ms(
                lambda: expected.update(raw_funnel(connection)),  # noqa: B023
                ctx.rounds,
                name=f"{instance.label}-raw-funnel",
            )
        engine.dispose()
        actual = {k: answer["measures"][k]["actual"] for k in RAW_FUNNEL if k != "fair_attendance"}
        attended = [a for a in _numbers(answer.get("fair_attendance")) if a is not None]
        mismatch = {k: (actual[k], expected[k]) for k in actual if actual[k] != expected[k]}
        if attended != expected["fair_attendance"]:
            mismatch["fair_attendance"] = (attended, expected["fair_attendance"])
        if mismatch:
            raise RuntimeError(f"the endpoint and raw SQL disagree (endpoint, raw): {mismatch}")
        name = instance.engine_name
        answers[f"{name} endpoint"] = {**actual, "fair_attendance": attended}
        out += [
            Result(f"3 funnel ({name}): endpoint vs raw SQL", api_ms, "ms", "≤ 1.5× raw SQL",
                   api_ms <= 1.5 * raw_ms, raw_ms, "raw SQL", api_ms / raw_ms,
                   note=f"warm medians of {ctx.rounds}; same numbers: {expected}"),
            Result(f"3 funnel ({name}): endpoint median", api_ms, "ms",
                   "< 100 ms (at 100k)" if ctx.size <= 100_000 else "— (100 ms is for 100k)",
                   api_ms < 100 if ctx.size <= 100_000 else None),
        ]  # fmt: skip
    problems = funnel_problems(answers)
    if problems:  # timings of nonsense figures are no figures at all
        raise RuntimeError("refused: " + "; ".join(problems))
    return out


def _numbers(value) -> list:  # noqa: ANN001
    """The per-fair attendance of the API answer, whatever its exact shape."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value[k] for k in sorted(value)]
    out = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("actual", item.get("attended", item.get("value")))
        out.append(item)
    return out


# --------------------------------------------------------------------------- 4. HTTP load


def http_load(ctx: Context) -> list[Result]:
    out = []
    for instance in ctx.main:
        token = read_token(instance)
        headers = {"Authorization": f"Bearer {token}"}
        server = ctx.server(instance)
        load.get_load(server, f"/api/v1/funnel?fy={FY}", headers, 1)  # warm both workers
        trivial = load.get_load(server, "/api/v1/openapi.json", {}, ctx.load_seconds)
        funnel_load = load.get_load(server, f"/api/v1/funnel?fy={FY}", headers, ctx.load_seconds)
        errors = funnel_load.bad() + trivial.bad()
        ratio = funnel_load.rate / trivial.rate if trivial.rate else float("nan")
        name = instance.engine_name
        shape = ("wrk 2 threads × 16 connections" if funnel_load.tool == "wrk"
                 else "python load, 16 client threads each with its own connection")  # fmt: skip
        out += [
            Result(f"4 HTTP /api/v1/funnel ({name})", funnel_load.rate, "req/s",
                   "≥ 0.5× trivial", ratio >= 0.5, trivial.rate, "/api/v1/openapi.json", ratio,
                   note=f"gunicorn 2 workers, {shape}, {ctx.load_seconds} s each, loopback"),
            Result(f"4 HTTP errors ({name})", errors, "errors", "0", errors == 0, kind="count",
                   note=f"funnel {dict(funnel_load.statuses)} + {funnel_load.errors} socket; "
                   f"trivial {dict(trivial.statuses)} + {trivial.errors} socket"),
        ]  # fmt: skip
    return out


# --------------------------------------------------------------------------- 5. intake


def _registrants(instance: Instance) -> int:
    engine = instance.engine()
    with engine.connect() as connection:
        n = connection.scalar(sa.text("SELECT count(*) FROM registrants"))
    engine.dispose()
    return int(n)


def intake(ctx: Context) -> list[Result]:
    out = []
    for instance in ctx.main:
        token = read_token(instance, "intake")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        before = _registrants(instance)
        server = ctx.server(instance)
        result = load.python_load(
            server.port, "POST", "/api/v1/registrations", headers, ctx.intake_seconds,
            ctx.intake_clients, body=load.registration_body(f"{instance.label}{ctx.seed}"),
        )  # fmt: skip
        log_tail = load.write_log_tail(server.log_path, 5)
        added = _registrants(instance) - before
        created = result.count(201)
        if profiling.DIRECTORY is not None:
            _profile_intake(instance, headers)
        rate = created / result.seconds
        errors = result.bad(ok=(201,))
        name = instance.engine_name
        out += [
            Result(f"5 intake ({name}): registrations/s", rate, "reg/s", "≥ 300 reg/s",
                   rate >= 300,
                   note=f"{ctx.intake_clients} clients for {ctx.intake_seconds} s: "
                   f"{dict(result.statuses)}, {result.errors} connection errors"
                   + ("" if errors == 0 else f"; server log: {log_tail[-300:]!r}")),
            Result(f"5 intake ({name}): errors", errors, "errors", "0", errors == 0, kind="count"),
            Result(f"5 intake ({name}): new rows vs 201 replies", added, "rows", "= 201 replies",
                   added == created, created, "201 replies", added / created if created else None),
        ]  # fmt: skip
    return out


def _profile_intake(instance: Instance, headers: dict[str, str], n: int = 200) -> None:
    """One client in this process, for a profile of the request path (not timed)."""
    client = instance.app().test_client()
    body = load.registration_body(f"profile{instance.label}")
    with profiling.profiled(f"{instance.label}-intake"):
        for i in range(n):
            client.post("/api/v1/registrations", data=body(99, i), headers=headers)


# --------------------------------------------------------------------------- 6. segment


def segment(ctx: Context) -> list[Result]:
    instance = ctx.sqlite
    run = instance.itworks("segment", "--json")
    if run.returncode != 0:
        raise RuntimeError(f"itworks segment exited {run.returncode}: {run.output[-1500:]}")
    summary = json.loads(run.output[run.output.index("{") :])
    limit = 10.0 if ctx.size <= 100_000 else 120.0
    return [
        Result("6 segment: time", run.seconds, "s", f"< {limit:.0f} s", run.seconds < limit,
               note=f"{summary.get('registrants', '?'):,} registrants, SQLite, start-up included; "
               f"service's own figure {summary.get('duration_seconds', '?')} s"),
        Result("6 segment: peak memory", run.peak_mb, "MB", "< 4096 MB (at 1M)",
               run.peak_mb < 4096),
    ]  # fmt: skip


# --------------------------------------------------------------------------- 7. rotation


def rotation(ctx: Context) -> list[Result]:
    instance = ctx.sqlite
    run = instance.itworks("keys", "rotate")
    if run.returncode != 0:
        raise RuntimeError(f"itworks keys rotate exited {run.returncode}: {run.output[-1500:]}")
    match = re.search(r"re-wrapped (\d+)", run.output)
    moved = int(match.group(1)) if match else 0
    if moved < ctx.size:
        raise RuntimeError(f"re-wrapped {moved} data keys, expected at least {ctx.size}")
    limit = ctx.per_100k(20.0)
    return [
        Result("7 key rotation: time", run.seconds, "s", f"< {limit:.0f} s (20 s per 100k)",
               run.seconds < limit,
               note=f"{moved:,} data keys re-wrapped (SQLite), start-up included")
    ]  # fmt: skip


SCENARIOS = (
    ("1 import", import_csv),
    ("2 list page", list_page),
    ("2 export", export),
    ("3 funnel", funnel),
    ("6 segment", segment),
    ("4 HTTP", http_load),
    ("5 intake", intake),
    ("stop servers", None),
    ("7 rotation", rotation),
)
