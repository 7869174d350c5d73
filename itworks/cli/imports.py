"""`itworks import`: spreadsheets from the previous operator, one command per kind.

Every import shares the options, the row rules and the exit codes: 0 when
every row was imported or a duplicate, 1 when any row was rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from itworks.cli.common import Progress, bilingual, build_app, operator, print_json, run_service


@click.group("import")
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


def print_summary(summary, as_json: bool) -> None:  # noqa: ANN001
    """Print an import's summary and exit with its code."""
    if as_json:
        print_json(summary.as_dict())
    else:
        verb = "would import" if summary.dry_run else "imported"
        click.echo(
            f"{verb}: {summary.imported}  duplicates: {summary.duplicates}  "
            f"rejected: {summary.rejected}"
        )
        for error in summary.errors:
            click.echo(f"  row {error.row}: {error.field}: {bilingual(error.message)}", err=True)
    raise SystemExit(summary.exit_code)


def run_import(
    service: Callable[..., Any],
    file: Path,
    *,
    dry_run: bool,
    all_or_nothing: bool,
    as_json: bool,
    stream: bool = False,
    **extra: Any,
) -> None:
    """Run one import service with a progress bar on a terminal, print, exit 0/1.
    ``stream``: the service reads the file itself (its path), a batch at a time."""
    from itworks import csvio

    app = build_app()
    data = file if stream else file.read_bytes()
    lines = csvio.count_lines(file) if isinstance(data, Path) else data.count(b"\n")
    with Progress(lines, "importing", enabled=not as_json) as progress:
        summary = run_service(
            app,
            service,
            data,
            dry_run=dry_run,
            all_or_nothing=all_or_nothing,
            actor_label=operator(),
            needs_vault=True,
            progress=progress.update,
            **extra,
        )
    print_summary(summary, as_json)


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
    from itworks.services.intake import registrant_import

    run_import(
        registrant_import.import_registrants,
        file,
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        as_json=as_json,
        stream=True,
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
