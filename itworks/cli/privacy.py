"""`itworks privacy`: a registrant's requests (開示・訂正・利用停止・削除), the record
of requests, retention (purge) and the leak drill. Admin work: run by the operator."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from itworks.cli.common import (
    bilingual,
    build_app,
    fail,
    operator,
    print_json,
    private_text_file,
    run_service,
)
from itworks.i18n import N_
from itworks.vocabulary import (
    PRIVACY_ANSWER_CHANNELS,
    PRIVACY_OUTCOME_LABELS,
    PRIVACY_REQUEST_KIND_LABELS,
    PRIVACY_REQUEST_KINDS,
)

FILE_NOTE = N_("個人データを含むファイルです（モード 0600）。本人に渡した後は削除してください。")
# `purge` exit status when another purge holds the lock (cron can tell it apart).
EXIT_LOCKED = 3

received_option = click.option(
    "--received-on", help="The day the request came in (YYYY-MM-DD); default today."
)
via_option = click.option(
    "--answered-via",
    type=click.Choice(PRIVACY_ANSWER_CHANNELS),
    help="How the answer reached the person.",
)


def _outbox_dir(app) -> Path:  # noqa: ANN001
    return Path(app.instance_path) / "outbox"


@click.group()
def privacy() -> None:
    """Registrants' requests, retention and the leak drill (admin; audited)."""


@privacy.command("export")
@click.argument("registrant")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder for the JSON and HTML files (mode 0600).",
)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@received_option
@via_option
def privacy_export(
    registrant: str, out: Path, lang: str, received_on: str | None, answered_via: str | None
) -> None:
    """Disclosure (開示): REGISTRANT's whole file as JSON and a readable HTML page.

    REGISTRANT is a public id or an email address."""
    from itworks.services.privacy import disclosure

    app = build_app()
    data = run_service(
        app,
        disclosure.disclose,
        registrant,
        received_on=received_on,
        answered_via=answered_via,
        actor_label=operator(),
        needs_vault=True,
    )
    out.mkdir(parents=True, exist_ok=True)
    stem = f"disclosure-{data['registrant']['public_id']}-{data['generated_at'][:10]}"
    json_path, html_path = out / f"{stem}.json", out / f"{stem}.html"
    with private_text_file(json_path) as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
    with private_text_file(html_path) as handle:
        handle.write(disclosure.render_html(data, lang))
    click.echo(f"{json_path}\n{html_path}")
    click.echo(bilingual(FILE_NOTE))


def _read_value(field: str) -> str:
    """The new value from stdin (a pipe) or a prompt: never a command-line argument,
    so it stays out of the shell history and the process list."""
    if not sys.stdin.isatty():
        return sys.stdin.read().rstrip("\r\n")
    return click.prompt(bilingual(N_("新しい値")) + f" ({field})", default="", show_default=False)


@privacy.command("correct")
@click.argument("registrant")
@click.option(
    "--field",
    "field_name",
    required=True,
    help="name, name_kana, email, phone, employer, residence_prefecture or birth_year.",
)
@received_option
@via_option
def privacy_correct(
    registrant: str, field_name: str, received_on: str | None, answered_via: str | None
) -> None:
    """Correction (訂正): set one field, keeping the old value's history.

    The new value is read from stdin or a prompt, never from the command line."""
    from itworks.services.privacy import correction

    app = build_app()
    value = _read_value(field_name)
    result = run_service(
        app,
        correction.correct,
        registrant,
        field_name,
        value,
        received_on=received_on,
        answered_via=answered_via,
        actor_label=operator(),
        needs_vault=True,
    )
    if result.changed:
        click.echo(f"corrected {result.field} of {result.public_id} (the old value is kept)")
    else:
        click.echo(f"{result.field} of {result.public_id} already had this value")


@privacy.command("stop-use")
@click.argument("registrant")
@received_option
@via_option
def privacy_stop_use(registrant: str, received_on: str | None, answered_via: str | None) -> None:
    """Stop use (利用停止): REGISTRANT leaves every list, audience and model fit."""
    from itworks.services.privacy import stop_use

    result = run_service(
        build_app(),
        stop_use.stop_use,
        registrant,
        received_on=received_on,
        answered_via=answered_via,
        actor_label=operator(),
        needs_vault=True,
    )
    if result.already:
        click.echo(f"the use of {result.public_id} was already stopped")
    else:
        click.echo(f"stopped the use of {result.public_id}; past counts keep them")


def erase_command(registrant: str, yes: bool, received_on: str | None, answered_via: str | None):  # noqa: ANN201
    """The erasure both `privacy erase` and the older `registrants erase` run."""
    from itworks.services.privacy import erasure

    if not yes:
        click.confirm(f"erase the personal data of {registrant}? This cannot be undone", abort=True)
    app = build_app()
    result = run_service(
        app,
        erasure.erase,
        registrant,
        received_on=received_on,
        answered_via=answered_via,
        outbox_dir=_outbox_dir(app),
        actor_label=operator(),
        needs_vault=True,
    )
    if result.already:
        click.echo(f"{result.public_id} was already erased")
    else:
        click.echo(f"erased {result.public_id}")
    return result


@privacy.command("erase")
@click.argument("registrant")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@received_option
@via_option
def privacy_erase(
    registrant: str, yes: bool, received_on: str | None, answered_via: str | None
) -> None:
    """Erasure (削除): destroy REGISTRANT's data key and every readable trace.

    The counts stay; see the README for what a backup can still hold."""
    erase_command(registrant, yes, received_on, answered_via)


@privacy.command("erase-contact")
@click.argument("company")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def privacy_erase_contact(company: str, yes: bool) -> None:
    """Erase a company's contact person (name, email, phone) by destroying the
    company's data key; the company and its introductions stay."""
    from itworks.services.privacy import erasure

    if not yes:
        click.confirm(f"erase the contact person of {company}? This cannot be undone", abort=True)
    result = run_service(
        build_app(), erasure.erase_company_contact, company, actor_label=operator()
    )
    click.echo(
        f"the contact of {result.company} was already erased"
        if result.already
        else f"erased the contact of {result.company}"
    )


@privacy.command("requests")
@click.option("--kind", type=click.Choice(PRIVACY_REQUEST_KINDS))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def privacy_requests(kind: str | None, as_json: bool) -> None:
    """Every request with the day it came in, the day it was answered and the days taken."""
    from itworks.services.privacy import requests

    rows = run_service(build_app(), requests.list_requests, kind)
    if as_json:
        print_json([row.as_dict() for row in rows])
        return
    for row in rows:
        click.echo(
            "\t".join(
                [
                    row.received_on.isoformat(),
                    row.answered_on.isoformat() if row.answered_on else "-",
                    f"{row.days}d" if row.days is not None else "-",
                    bilingual(PRIVACY_REQUEST_KIND_LABELS[row.kind]),
                    row.registrant or "-",
                    bilingual(PRIVACY_OUTCOME_LABELS[row.outcome]) if row.outcome else "-",
                    row.answered_via or "-",
                    row.handled_by,
                ]
            )
        )


@privacy.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would go; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def privacy_purge(dry_run: bool, as_json: bool) -> None:
    """Apply the retention periods (erase inactive registrants, delete expired
    provision records, strip old mail bodies). Safe from cron: exit 0 done,
    1 an item failed, 3 another purge is running."""
    from itworks.services.privacy import retention

    app = build_app()
    rules = retention.Rules.from_config(app.config)
    try:
        with retention.purge_lock(Path(app.instance_path)):
            result = run_service(
                app,
                retention.purge,
                rules,
                dry_run=dry_run,
                outbox_dir=_outbox_dir(app),
                actor_label=operator(),
            )
    except retention.PurgeRunning as exc:
        fail(exc.args[0], EXIT_LOCKED)
        return
    if as_json:
        print_json(result.as_dict())
    else:
        verb = "would go" if dry_run else "purge"
        for item in result.items:
            click.echo(f"{verb}\t{item.kind}\t{item.id}\t{item.since}")
        if not dry_run:
            click.echo(", ".join(f"{k} {v}" for k, v in result.done.items()))
    if result.failed:
        sys.exit(1)


@privacy.command("leak-report")
@click.option("--since", required=True, help="Start of the window (date or date-time, Japan).")
@click.option("--until", required=True, help="End of the window (exclusive).")
@click.option("--user", help="The staff account.")
@click.option("--token", help="The API token's name.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def privacy_leak_report(
    since: str, until: str, user: str | None, token: str | None, as_json: bool
) -> None:
    """Which people and fields an account or token could have read in the window,
    from the audit trail, and a draft of the preliminary report to the PPC."""
    from itworks.services.privacy import leak

    found = run_service(build_app(), leak.report, since=since, until=until, user=user, token=token)
    if as_json:
        print_json(found)
        return
    click.echo(
        f"{found['people_upper_bound']} people at most ({found['named_people']} named, "
        f"{found['unnamed_list_rows']} list rows without ids); threshold {found['threshold']}: "
        f"{'EXCEEDED' if found['exceeds_threshold'] else 'not exceeded'}"
    )
    for person in found["people"]:
        click.echo(f"{person['registrant']}\t{','.join(person['fields'])}")
    click.echo("")
    for item in found["preliminary_report"]:
        value = item["value"]
        if isinstance(value, list):
            value = "、".join(bilingual(v) for v in value)
        click.echo(f"■ {bilingual(item['label'])}\n  {bilingual(value)}")
