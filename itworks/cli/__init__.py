"""The `itworks` command: thin entry points, grouped by area, over the services."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask

from itworks import config, create_app
from itworks.crypto import KeyConfigError
from itworks.services.errors import ServiceError


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"エラー / error: {message}", err=True)
    sys.exit(code)


def build_app(**overrides: Any) -> Flask:
    try:
        app = create_app(overrides or None)
    except KeyConfigError as exc:
        _fail(str(exc))
        raise AssertionError("unreachable") from None
    context = click.get_current_context(silent=True)
    if context is not None:
        # One-shot commands close their connections when the command ends.
        context.call_on_close(lambda: _dispose(app))
    return app


def _dispose(app: Flask) -> None:
    from itworks.db import db

    with app.app_context():
        db.engine.dispose()


def run_service(
    app: Flask, fn: Callable[..., Any], *args: Any, needs_vault: bool = False, **kwargs: Any
) -> Any:
    """Call a service inside the app context, mapping domain errors to exit code 1."""
    from itworks.db import db
    from itworks.extensions import vault

    with app.app_context():
        try:
            if needs_vault:
                return fn(db.session, vault(), *args, **kwargs)
            return fn(db.session, *args, **kwargs)
        except ServiceError as exc:
            errors = getattr(exc, "errors", None)
            if errors:
                for field, message in errors.items():
                    click.echo(f"{field}: {message}", err=True)
                sys.exit(1)
            _fail(str(exc), 1)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("パスワード / Password", hide_input=True, confirmation_prompt=True)


@click.group()
@click.version_option(package_name="itworks-shimane")
def main() -> None:
    """IT WORKS@島根 — operator's tool. The instance folder is $ITWORKS_INSTANCE or ./instance."""


# ------------------------------------------------------------------------ init / db


def initialise(instance: Path) -> tuple[Flask, str | None, list[Path]]:
    from itworks.db import db
    from itworks.extensions import vault
    from itworks.services import instance as instance_service

    try:
        created = instance_service.prepare(instance)
    except KeyConfigError as exc:
        _fail(str(exc))
    app = build_app()
    with app.app_context():
        password = instance_service.setup_database(db.session, db.engine, vault())
    return app, password, created


@main.command()
def init() -> None:
    """Create the instance: config, keys, database, baseline figures and the admin."""
    instance = config.instance_path()
    app, password, created = initialise(instance)
    click.echo(f"instance: {instance}")
    for path in created:
        click.echo(f"created key: {path} (mode 0600) — back it up; data is unreadable without it")
    click.echo(f"database: {_safe_url(app)}")
    if password:
        click.echo("admin user: admin")
        click.echo(f"admin password (shown once): {password}")
    else:
        click.echo("already initialised; nothing to do")


def _safe_url(app: Flask) -> str:
    from sqlalchemy.engine import make_url

    return make_url(app.config["DATABASE_URL"]).render_as_string(hide_password=True)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations."""
    from itworks.db import db as database
    from itworks.db import upgrade

    app = build_app()
    with app.app_context():
        upgrade(database.engine, revision)
    click.echo(f"upgraded {_safe_url(app)} to {revision}")


@db.command("current")
def db_current() -> None:
    """Print the schema revision."""
    from itworks.db import current_revision
    from itworks.db import db as database

    app = build_app()
    with app.app_context():
        click.echo(current_revision(database.engine) or "(empty)")


# ------------------------------------------------------------------------ serve


def serve_app(app: Flask, host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from itworks.db import db as database

    with app.app_context():
        # Connections opened before the fork must not be shared by the workers.
        database.engine.dispose()

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 4)
            self.cfg.set("accesslog", "-")
            self.cfg.set("proc_name", "itworks")

        def load(self) -> Flask:
            return app

    Server().run()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve with gunicorn (production WSGI server)."""
    serve_app(build_app(), host, port, workers)


# ------------------------------------------------------------------------ users


@main.group()
def users() -> None:
    """Staff accounts (admin, coordinator, prefecture)."""


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "coordinator", "prefecture"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(username: str, role: str, password_stdin: bool) -> None:
    """Create a user."""
    from itworks.services.accounts import users as service

    app = build_app()
    password = _read_password(password_stdin)
    run_service(app, service.create_user, username, role, password)
    click.echo(f"created {role} {username}")


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_set_password(username: str, password_stdin: bool) -> None:
    """Set a user's password (ends their open sessions)."""
    from itworks.services.accounts import users as service

    app = build_app()
    run_service(app, service.set_password, username, _read_password(password_stdin))
    click.echo(f"password changed for {username}")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable a user and end their sessions."""
    from itworks.services.accounts import users as service

    run_service(build_app(), service.set_active, username, False)
    click.echo(f"disabled {username}")


@users.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """Re-enable a disabled user."""
    from itworks.services.accounts import users as service

    run_service(build_app(), service.set_active, username, True)
    click.echo(f"enabled {username}")


@users.command("list")
def users_list() -> None:
    """List users and roles."""
    from itworks.services.accounts import users as service

    for user in run_service(build_app(), service.list_users):
        state = "" if user.active else " (disabled)"
        click.echo(f"{user.username}\t{user.role}{state}")


# ------------------------------------------------------------------------ keys


@main.group()
def keys() -> None:
    """Master-key rotation."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Add a new master key, re-wrap every data key under it, keep the old one for now."""
    from itworks.crypto import MASTER_KEY_ENV, add_master_key
    from itworks.services.keys import keyring

    if os.environ.get(MASTER_KEY_ENV):
        _fail(
            f"{MASTER_KEY_ENV} is set: put the new key first in it yourself, then run "
            "`itworks keys rewrap`"
        )
    build_app()  # refuse before touching the file if the current keys are wrong
    new_id = add_master_key(config.instance_path() / "keys")
    moved = run_service(build_app(), keyring.rewrap_all, needs_vault=True)
    click.echo(f"new master key {new_id}; re-wrapped {moved} data keys")
    click.echo("retire the old key(s) with `itworks keys retire` once backups are re-taken")


@keys.command("rewrap")
def keys_rewrap() -> None:
    """Re-wrap every data key under the first (active) master key."""
    from itworks.services.keys import keyring

    moved = run_service(build_app(), keyring.rewrap_all, needs_vault=True)
    click.echo(f"re-wrapped {moved} data keys")


@keys.command("retire")
def keys_retire() -> None:
    """Drop every master key except the active one (after `keys rotate`)."""
    from itworks.crypto import retire_master_keys
    from itworks.services.keys import keyring

    app = build_app()
    active = app.extensions["itworks.vault"].active_kek_id
    moved = run_service(app, keyring.rewrap_all, needs_vault=True)
    retired = retire_master_keys(config.instance_path() / "keys", active)
    click.echo(f"re-wrapped {moved}; retired {', '.join(retired) or 'nothing'}; active {active}")


# ------------------------------------------------------------------------ registrants


@main.group()
def registrants() -> None:
    """Registrant records."""


@registrants.command("erase")
@click.argument("public_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def registrants_erase(public_id: str, yes: bool) -> None:
    """Erase one registrant's personal data by destroying their data key."""
    from itworks.services.intake import registrants as service

    if not yes:
        click.confirm(f"erase the personal data of {public_id}? This cannot be undone", abort=True)
    run_service(build_app(), service.erase, public_id, actor_label="cli")
    click.echo(f"erased {public_id}")


@main.group()
def events() -> None:
    """Study sessions, meet-ups and job fairs."""


@events.command("create")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(["fair", "study_session", "meetup", "seminar", "other"]),
)
@click.option("--name", required=True)
@click.option("--starts", required=True, help="Start, e.g. 2022-07-09 13:00 (Asia/Tokyo).")
@click.option("--ends", help="End, e.g. 2022-07-09 17:00 (Asia/Tokyo).")
@click.option("--venue")
@click.option("--online", is_flag=True)
@click.option("--fair-number", type=int, help="1, 2 or 3 for the year's job fairs.")
@click.option("--capacity", type=int)
def events_create(kind, name, starts, ends, venue, online, fair_number, capacity) -> None:  # noqa: ANN001
    """Create an event and print its public id (the website posts it with applications)."""
    from itworks.csvio import parse_datetime
    from itworks.services.engagement import events as service

    try:
        starts_at = parse_datetime(starts)
        ends_at = parse_datetime(ends) if ends else None
    except ValueError as exc:
        _fail(f"--starts/--ends: {exc}", 1)
    event = run_service(
        build_app(),
        service.create_event,
        kind=kind,
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        online=online,
        fair_number=fair_number,
        capacity=capacity,
        actor_label=_operator(),
    )
    click.echo(event.public_id)


@events.command("list")
@click.option("--kind")
def events_list(kind: str | None) -> None:
    """List events with their public ids."""
    from itworks.fiscal import JST
    from itworks.services.engagement import events as service

    for event in run_service(build_app(), service.list_events, kind):
        number = f" #{event.fair_number}" if event.fair_number else ""
        when = event.starts_at.astimezone(JST).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{event.public_id}\t{event.kind}{number}\t{when}\t{event.name}")


@main.group()
def tokens() -> None:
    """Bearer tokens for the JSON API."""


@tokens.command("create")
@click.argument("name")
@click.option("--scope", required=True, type=click.Choice(["intake", "read"]))
def tokens_create(name: str, scope: str) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from itworks.services.accounts import tokens as service

    token = run_service(build_app(), service.create, name, scope, actor_label=_operator())
    click.echo(token)
    click.echo(f"token {name} ({scope}) created; it will not be shown again", err=True)


@tokens.command("revoke")
@click.argument("name")
def tokens_revoke(name: str) -> None:
    """Revoke a token at once."""
    from itworks.services.accounts import tokens as service

    run_service(build_app(), service.revoke, name, actor_label=_operator())
    click.echo(f"revoked {name}")


@tokens.command("list")
def tokens_list() -> None:
    """List tokens (never the tokens themselves)."""
    from itworks.services.accounts import tokens as service

    for row in run_service(build_app(), service.list_tokens):
        state = "revoked" if row.revoked_at else "active"
        used = row.last_used_at.isoformat() if row.last_used_at else "never"
        click.echo(f"{row.name}\t{row.scope}\t{state}\tlast used {used}")


def _operator() -> str:
    """Who ran a CLI command, for the audit trail."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _print_summary(summary, as_json: bool) -> None:  # noqa: ANN001
    import json

    if as_json:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        verb = "would import" if summary.dry_run else "imported"
        click.echo(
            f"{verb}: {summary.imported}  duplicates: {summary.duplicates}  "
            f"rejected: {summary.rejected}"
        )
        for error in summary.errors:
            click.echo(f"  row {error.row}: {error.field}: {error.message}", err=True)
    sys.exit(summary.exit_code)


@main.group("import")
def import_() -> None:
    """Import spreadsheets (CSV, UTF-8 or Shift_JIS) from the previous operator."""


def import_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every import shares (the same row rules and exit codes)."""
    for option in reversed(
        (
            click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
            click.option("--dry-run", is_flag=True, help="Validate and report; write nothing."),
            click.option(
                "--all-or-nothing", is_flag=True, help="Write nothing unless every row is good."
            ),
            click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON."),
        )
    ):
        command = option(command)
    return command


def run_import(
    service: Callable[..., Any],
    file: Path,
    *,
    dry_run: bool,
    all_or_nothing: bool,
    as_json: bool,
    **extra: Any,
) -> None:
    """Run one import service with a progress bar on a terminal, print, exit 0/1."""
    app = build_app()
    data = file.read_bytes()
    bar = None
    if sys.stderr.isatty() and not as_json:
        bar = click.progressbar(length=data.count(b"\n"), label="importing", file=sys.stderr)
        bar.__enter__()
    try:
        summary = run_service(
            app,
            service,
            data,
            dry_run=dry_run,
            all_or_nothing=all_or_nothing,
            actor_label=_operator(),
            needs_vault=True,
            progress=(lambda done: bar.update(done - bar.pos)) if bar else None,
            **extra,
        )
    finally:
        if bar:
            bar.__exit__(None, None, None)
    _print_summary(summary, as_json)


@import_.command("registrants")
@import_options
@click.option(
    "--consent-version",
    default="previous-operator",
    show_default=True,
    help="The privacy notice these people agreed to with the previous operator.",
)
def import_registrants(
    file: Path, dry_run: bool, all_or_nothing: bool, as_json: bool, consent_version: str
) -> None:
    """Import registrants; each row is imported, a duplicate, or rejected with reasons."""
    from itworks.services.intake import imports

    run_import(
        imports.import_registrants,
        file,
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        as_json=as_json,
        consent_version=consent_version,
    )


@import_.command("survey-responses")
@import_options
def import_survey_responses(file: Path, dry_run: bool, all_or_nothing: bool, as_json: bool) -> None:
    """Import survey answers (columns: email, question ids; multiple choice joined by ;)."""
    from itworks.services.intake import imports

    run_import(
        imports.import_survey_responses,
        file,
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        as_json=as_json,
    )


@main.group()
def surveys() -> None:
    """Survey invitation rounds and their response rates."""


@surveys.command("round-create")
@click.argument("name")
@click.option("--arm", "arms", multiple=True, help="Incentive arm code; repeat (first = control).")
@click.option("--seed", type=int, help="Random seed for arm assignment (drawn if not given).")
@click.option("--days", default=14, show_default=True, type=int, help="Days the links stay valid.")
def surveys_round_create(name: str, arms: tuple[str, ...], seed: int | None, days: int) -> None:
    """Invite every live registrant, assigning incentive arms at random."""
    from itworks.services.surveys import links as survey_links

    app = build_app()
    signer = app.extensions["itworks.link_signer"]
    round_ = run_service(
        app,
        survey_links.create_round,
        signer,
        name,
        list(arms) or ["none"],
        seed=seed,
        days=days,
        actor_label=_operator(),
    )
    click.echo(
        f"round {round_.name} ({round_.public_id}): arms {', '.join(round_.arms)}, "
        f"seed {round_.seed}"
    )


@surveys.command("round-report")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
def surveys_round_report(name: str, as_json: bool) -> None:
    """Response rate per arm (95% Wilson) and the difference between arms (Newcombe)."""
    import json

    from itworks.services.surveys import links as survey_links

    def report(session, name):  # noqa: ANN001, ANN202
        return survey_links.report(session, survey_links.get_round(session, name))

    result = run_service(build_app(), report, name)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"{result.round.name} (seed {result.round.seed})")
    for arm in result.arms:
        rate = "—" if arm.rate is None else f"{arm.rate:.1%} [{arm.low:.1%}, {arm.high:.1%}]"
        click.echo(
            f"  {arm.arm:<20} invited {arm.invited:>5}  responded {arm.responded:>5}  {rate}"
        )
    for diff in result.differences:
        if diff.difference is not None:
            click.echo(
                f"  {diff.arm} − {diff.baseline}: {diff.difference:+.1%} "
                f"[{diff.low:+.1%}, {diff.high:+.1%}]"
            )


@surveys.command("round-links")
@click.argument("name")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def surveys_round_links(name: str, file: Path) -> None:
    """Write the round's open links with name and email for the mail merge (mode 0600)."""
    from itworks.services.surveys import links as survey_links

    app = build_app()
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")

    def rows(session, vault, name):  # noqa: ANN001, ANN202
        from itworks.extensions import link_signer
        from itworks.services import audit
        from itworks.services.intake import registrants

        round_ = survey_links.get_round(session, name)
        out = []
        for registrant, link, token in survey_links.round_links(session, link_signer(), round_):
            personal, _ = registrants.decrypt_fields(vault, registrant, ("name", "email"))
            out.append(
                (
                    personal["name"],
                    personal["email"],
                    link.arm,
                    f"{base}/s/{token}",
                    link.expires_at.isoformat(),
                )
            )
        audit.record(
            session,
            "survey.round_links",
            actor_label=_operator(),
            entity_type="round",
            entity_id=round_.public_id,
            rows=len(out),
        )
        session.commit()
        return out

    out = run_service(app, rows, name, needs_vault=True)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        from itworks.csvio import write_excel_csv

        write_excel_csv(handle, ("name", "email", "arm", "url", "expires_at"), out)
    click.echo(f"wrote {len(out)} links to {file}")


@main.group("export")
def export() -> None:
    """Exports (admin; audited)."""


@export.command("registrants")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_registrants(file: Path) -> None:
    """Write every registrant, decrypted, as UTF-8-with-BOM CSV (opens in Excel)."""

    from itworks.services.intake import exports

    app = build_app()
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        count = run_service(
            app, exports.export_registrants, handle, actor_label=_operator(), needs_vault=True
        )
    click.echo(f"exported {count} registrants to {file} (mode 0600: it holds personal data)")


# ------------------------------------------------------------------------ targets


@main.group()
def targets() -> None:
    """KGI/KPI targets and the yearly history."""


@targets.command("list")
@click.option("--fy", "fiscal_year", type=int, default=2022, show_default=True)
def targets_list(fiscal_year: int) -> None:
    """Show a fiscal year's targets."""
    from itworks.services.kpi import baseline

    for row in run_service(build_app(), baseline.targets, fiscal_year):
        click.echo(f"{row.measure}\t{row.kind}\t{row.target}\t(former {row.former_target})")


@targets.command("set")
@click.option("--fy", "fiscal_year", type=int, required=True)
@click.option("--measure", required=True)
@click.option("--target", type=int, required=True)
@click.option("--former-target", type=int)
def targets_set(fiscal_year: int, measure: str, target: int, former_target: int | None) -> None:
    """Set a target (and optionally the former target)."""
    from itworks.services.kpi import baseline

    run_service(build_app(), baseline.set_target, fiscal_year, measure, target, former_target)
    click.echo(f"FY{fiscal_year} {measure} target = {target}")


@targets.command("set-history")
@click.option("--fy", "fiscal_year", type=int, required=True)
@click.option("--field", required=True)
@click.option("--value", type=int)
def targets_set_history(fiscal_year: int, field: str, value: int | None) -> None:
    """Correct one figure of a past year's history."""
    from itworks.services.kpi import baseline

    run_service(build_app(), baseline.set_history, fiscal_year, field, value)
    click.echo(f"FY{fiscal_year} {field} = {value}")


# ------------------------------------------------------------------------ report


@main.command("report")
@click.option("--fy", "fiscal_year", required=True, help="Fiscal year, e.g. 2022 (令和4年度).")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .xlsx file to write.",
)
@click.option("--as-of", help="Measure on this date (YYYY-MM-DD); default AS_OF_DATE or today.")
def report(fiscal_year: str, out: Path, as_of: str | None) -> None:
    """Write the implementation report (実施報告書) as one Excel workbook."""
    from itworks.reports import workbook as report_service
    from itworks.services.errors import InvalidInput
    from itworks.services.kpi import progress as funnel

    app = build_app()
    try:
        measured_at = funnel.as_of_date(as_of or app.config["AS_OF_DATE"])
        year = funnel.parse_fiscal_year(fiscal_year)
    except InvalidInput as exc:
        for field, message in exc.errors.items():
            click.echo(f"{field}: {message}", err=True)
        sys.exit(1)
    sheets = run_service(
        app,
        report_service.write_report,
        year,
        measured_at,
        out,
        k=int(app.config["SMALL_CELL_K"]),
        actor_label=_operator(),
    )
    click.echo(f"wrote {out} ({len(sheets)} sheets, as of {measured_at.isoformat()})")


# ------------------------------------------------------------------------ tiers


def _percent_bar(label: str):  # noqa: ANN202
    """A progress bar on a terminal's stderr, or None (pipes and tests get none)."""
    if not sys.stderr.isatty():
        return None
    bar = click.progressbar(length=100, label=label, file=sys.stderr)
    bar.__enter__()
    return bar


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the run and its metrics as JSON.")
def segment(as_json: bool) -> None:
    """Propose a readiness tier for every registrant (history is kept) and record the run."""
    import json

    from itworks.services.tiers import segment as service

    app = build_app()
    bar = _percent_bar("segmenting")
    try:
        record = run_service(
            app,
            service.run,
            started_by=_operator(),
            progress=(lambda done: bar.update(done - bar.pos)) if bar else None,
        )
    finally:
        if bar:
            bar.__exit__(None, None, None)
    summary = service.summary(record)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"run {summary['run']}: {summary['registrants']} registrants, "
        f"{summary['confirmed']} confirmed, {summary['duration_seconds']} s"
    )
    for tier, size in summary["cluster_sizes"].items():
        click.echo(f"  {tier:<18} {size:>7}")
    if summary.get("silhouette") is not None:
        click.echo(f"silhouette (sampled): {summary['silhouette']:.3f}")
    if "accuracy_vs_confirmed" in summary:
        click.echo(
            f"agreement with confirmed tiers ({summary['agreement']['method']}, "
            f"n={summary['agreement']['n']}): model {summary['accuracy_vs_confirmed']:.3f}, "
            f"rule baseline {summary['baseline_accuracy_vs_confirmed']:.3f}"
        )


@import_.command("tiers")
@import_options
def import_tiers(file: Path, dry_run: bool, all_or_nothing: bool, as_json: bool) -> None:
    """Import confirmed tiers (columns: email, tier as code or Japanese label, reason)."""
    from itworks.services.tiers import imports as tier_imports

    run_import(
        tier_imports.import_tiers,
        file,
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        as_json=as_json,
    )


@main.group()
def recontact() -> None:
    """Re-contact by tier (intervals: RECONTACT_DAYS)."""


@recontact.command("due")
@click.option(
    "--tier", type=click.Choice(["move_now", "few_years", "region_undecided", "one_option"])
)
@click.option("--date", "on", help="Reckon on this day (YYYY-MM-DD); default AS_OF_DATE or today.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def recontact_due(tier: str | None, on: str | None, as_json: bool) -> None:
    """List who is due for contact, most overdue first (public ids, no personal data)."""
    import json

    from itworks.services.tiers import recontact as service

    app = build_app()

    def due(session):  # noqa: ANN001, ANN202
        today = service.reference_date(on or app.config["AS_OF_DATE"])
        days = service.intervals(app.config["RECONTACT_DAYS"])
        return today, service.due(session, days, today, tier=tier)

    today, rows = run_service(app, due)
    if as_json:
        payload = {
            "date": today.isoformat(),
            "due": len(rows),
            "registrants": [r.as_dict() for r in rows],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"{len(rows)} due on {today.isoformat()}")
    for r in rows:
        click.echo(
            f"{r.public_id}\t{r.tier}\tlast {r.last_contact.isoformat()}\t"
            f"due {r.next_contact.isoformat()}\t{r.days_overdue} days overdue"
        )


# ------------------------------------------------------------------------ demo


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Load the demo into the instance and stop.")
@click.option("--registrants", "count", default=300, show_default=True, type=int)
def demo(host: str, port: int, no_serve: bool, count: int) -> None:
    """Initialise if needed, load demo data, print the logins and serve."""
    from itworks.demo import demo as demo_service

    instance = config.instance_path()
    app, admin_password, _ = initialise(instance)
    result = run_service(app, demo_service.load, count=count, needs_vault=True)
    demo_service.write_demo_settings(instance)
    click.echo(f"instance: {instance}")
    click.echo(f"demo registrants: {result.registrants} (added now: {result.added})")
    click.echo("demo logins (passwords are new on every run):")
    for username, role, password in result.logins:
        click.echo(f"  {role:<12} {username:<18} {password}")
    if admin_password:
        click.echo(f"  {'admin':<12} {'admin':<18} {admin_password}")
    if no_serve:
        return
    click.echo(f"URL: http://{host}:{port}/login")
    serve_app(build_app(DEVELOPMENT=True), host, port, workers=2)


if __name__ == "__main__":
    main()
