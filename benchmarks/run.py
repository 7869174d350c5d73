"""Run the benchmarks: ``python -m benchmarks.run --size 100000 [--json FILE]``.

Builds a dataset of ``--size`` registrants (deterministic from ``--seed``) in a
SQLite instance and, when the server answers, a PostgreSQL one (a database of its
own, dropped at the end); runs every scenario; prints one table and writes the
same rows as JSON.

Nonsense is refused. Before any scenario, the filled databases must hold exactly
the rows written, identical on every engine, and the funnel counted on each by raw
SQL must be the same and not all zero; else the run stops with exit status 2
("DATASET REFUSED"). ``--fill both`` also writes PostgreSQL a second time by
executemany and compares it with the COPY fill. A scenario that fails (including a
funnel whose endpoint counts 0, or differs between the engines) gives exit status 1
after the table is printed. ``--smoke`` also exits 1 unless every scenario ran and
gave sane (finite, positive) figures; it does not judge speed. Otherwise 0.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from . import profiling, scenarios
from .dataset import Builder, DatasetError, check_same
from .instances import Instance, Postgres
from .results import Result, failed, markdown, table, write_json

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
EXPECTED = ("1 import", "2 list page", "2 export", "3 funnel", "4 HTTP", "5 intake",
            "6 segment", "7 rotation")  # fmt: skip


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="registrants (default 100000)")
    parser.add_argument("--seed", type=int, default=2022, help="dataset seed (default 2022)")
    parser.add_argument("--json", type=Path, help="write the results as JSON to this file")
    parser.add_argument("--markdown", type=Path, help="write the table as Markdown to this file")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_POSTGRES,
        help="PostgreSQL server to create our own database on ('none' to skip PostgreSQL)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="exit 1 unless every scenario ran sanely"
    )
    parser.add_argument(
        "--fill",
        choices=("copy", "insert", "both"),
        default="copy",
        help="how PostgreSQL is filled: COPY (default), executemany, or both into two "
        "databases compared row by row before the scenarios",
    )
    parser.add_argument("--only", action="append", help="run only scenarios starting so (repeat)")
    parser.add_argument("--rounds", type=int, help="timed rounds for medians (30; smoke 10)")
    parser.add_argument(
        "--load-seconds", type=int, help="wrk time per URL (10 s; below 100k 3 s, smoke 2 s)"
    )
    parser.add_argument(
        "--intake-seconds", type=int, help="intake load time (30 s; below 100k 5 s, smoke 3 s)"
    )
    parser.add_argument(
        "--profile", type=Path, help="write pyinstrument profiles to this folder (slower)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    big = args.size >= 100_000
    quick = args.smoke and not big
    args.rounds = args.rounds or (10 if quick else 30)
    args.load_seconds = args.load_seconds or (10 if big else 2 if quick else 3)
    args.intake_seconds = args.intake_seconds or (30 if big else 3 if quick else 5)
    if args.size < 100:
        parser.error("--size must be at least 100")
    return args


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)  # noqa: T201


def build(
    args: argparse.Namespace, root: Path, pg: Postgres | None, instances: list[Instance]
) -> float:
    """Make the instances (appended to ``instances``), fill them and check the fill
    (DatasetError when it is wrong); the fill's seconds."""
    sqlite = Instance(root, "main-sqlite", f"sqlite:///{root / 'main-sqlite.db'}")
    instances.append(sqlite)
    sqlite.create()
    fills = ["insert"]
    check: Instance | None = None
    if pg is not None:
        postgres = Instance(root, "main-postgres", pg.create("main"))
        instances.append(postgres)
        fills.append("insert" if args.fill == "insert" else "copy")
        if args.fill == "both":  # the same rows by executemany, to compare with COPY
            check = Instance(root, "check-postgres", pg.create("check"))
            fills.append("insert")
    filled = instances + ([check] if check else [])
    with ThreadPoolExecutor() as pool:  # each `itworks init` is a process of its own
        list(pool.map(lambda i: i.create(keys_from=sqlite), filled[1:]))
    engines = [i.engine() for i in filled]
    started = time.perf_counter()
    try:
        counts = Builder(engines, sqlite.vault(), args.seed, fill=fills).build(args.size)
        seconds = time.perf_counter() - started
        names = " + ".join(f"{i.engine_name} ({f})" for i, f in zip(filled, fills, strict=True))
        log(f"dataset: {counts} into {names} in {seconds:.1f} s")
        check_dataset(
            {f"{i.engine_name} ({f})": e for i, f, e in zip(filled, fills, engines, strict=True)}
        )
    finally:
        for engine in engines:
            engine.dispose()
    return seconds


def check_dataset(engines: dict[str, sa.Engine]) -> None:
    """Identical rows on every engine and a funnel that counts something, the same on
    each (raw SQL), else DatasetError."""
    started = time.perf_counter()
    problems = []
    if len(engines) > 1:
        try:
            check_same(engines)
        except DatasetError as exc:
            problems.append(str(exc))
    figures = {}
    for name, engine in engines.items():
        with engine.connect() as connection:
            figures[name] = scenarios.raw_funnel(connection)
    problems += scenarios.funnel_problems(figures)
    if problems:
        raise DatasetError("; ".join(problems))
    first = next(iter(figures.values()))
    log(f"dataset checked in {time.perf_counter() - started:.1f} s: the same rows on "
        f"{' / '.join(engines)}; funnel {first}")  # fmt: skip


def run(args: argparse.Namespace) -> tuple[list[Result], list[str]]:
    root = Path(tempfile.mkdtemp(prefix="itworks-bench-"))
    pg = None
    skipped: list[str] = []
    if args.database_url.lower() != "none":
        pg = Postgres(args.database_url)
        why = pg.available()
        if why:
            log(f"PostgreSQL unavailable ({why}): SQLite only")
            skipped.append(f"PostgreSQL ({why})")
            pg = None
    results: list[Result] = []
    ran: list[str] = []
    instances: list[Instance] = []
    ctx = None
    try:
        seconds = build(args, root, pg, instances)
        results.append(
            Result("0 dataset build", args.size / seconds,
                   "registrants/s", "—", None,
                   note=f"{args.size:,} registrants with their records, encrypted, into "
                   + " + ".join(i.engine_name for i in instances))
        )  # fmt: skip
        ctx = scenarios.Context(
            size=args.size, seed=args.seed, root=root, main=instances, rounds=args.rounds,
            load_seconds=args.load_seconds, intake_seconds=args.intake_seconds,
        )  # fmt: skip
        for name, scenario in scenarios.SCENARIOS:
            if scenario is None:
                ctx.stop_servers()  # before the key rotation changes the keys
                continue
            if args.only and not any(name.startswith(o) for o in args.only):
                continue
            log(f"scenario {name} …")
            begun = time.perf_counter()
            try:
                rows = scenario(ctx)
            except Exception as exc:  # noqa: BLE001 - reported as a failed scenario
                traceback.print_exc(file=sys.stderr)
                rows = [failed(name, "—", "—", f"{type(exc).__name__}: {exc}"[:400])]
            results += rows
            ran.append(name)
            log(f"scenario {name}: {time.perf_counter() - begun:.1f} s")
    finally:
        if ctx is not None:
            ctx.stop_servers()
        for instance in instances:
            instance.close()
        if pg is not None:
            pg.drop_all()
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    results.sort(key=lambda r: r.scenario[:1])
    return results, skipped + [n for n in EXPECTED if n not in ran]


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    profiling.DIRECTORY = args.profile
    started = time.perf_counter()
    log(f"benchmarks at {args.size:,} registrants, seed {args.seed}, fill {args.fill}")
    try:
        results, missing = run(args)
    except DatasetError as exc:
        print(f"DATASET REFUSED (no scenario run): {exc}")  # noqa: T201
        return 2
    wall = time.perf_counter() - started
    header = (
        f"IT WORKS@島根 benchmarks — {args.size:,} registrants, seed {args.seed}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.python_implementation()} "
        f"{platform.python_version()}, wall {wall:.0f} s"
    )
    print(header)  # noqa: T201
    print(table(results))  # noqa: T201
    if args.json:
        write_json(args.json, results)
    if args.markdown:
        args.markdown.write_text(f"{header}\n\n{markdown(results)}\n", encoding="utf-8")
    broken = [f"{r.scenario}: {r.note}" for r in results if r.note.startswith("FAILED")]
    if not args.smoke:
        if broken:
            print("\nFAILED:\n  " + "\n  ".join(broken))  # noqa: T201
            return 1
        return 0
    problems = [f"{r.scenario}: {r.note or r.value}" for r in results if not r.sane()]
    if not args.only:
        problems += [f"{n}: did not run" for n in missing]
    if problems:
        print("\nSMOKE FAILED:\n  " + "\n  ".join(problems))  # noqa: T201
        return 1
    print(f"\nsmoke: every scenario ran and gave sane figures ({len(results)} rows)")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
