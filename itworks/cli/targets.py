"""`itworks targets`: KGI/KPI targets and the yearly history."""

from __future__ import annotations

import click

from itworks.cli.common import build_app, refuse, run_service
from itworks.services.errors import InvalidInput


@click.group()
def targets() -> None:
    """KGI/KPI targets and the yearly history."""


@targets.command("list")
@click.option(
    "--fy",
    "fiscal_year",
    type=int,
    help="Fiscal year, e.g. 2022; default the current one (CURRENT_FISCAL_YEAR, or the "
    "year of AS_OF_DATE or of today in Japan).",
)
def targets_list(fiscal_year: int | None) -> None:
    """Show a fiscal year's targets."""
    from itworks.services.kpi import baseline, progress

    app = build_app()
    if fiscal_year is None:
        try:
            as_of = progress.as_of_date(app.config["AS_OF_DATE"])
        except InvalidInput as exc:
            refuse(exc)
        fiscal_year = progress.current_fiscal_year(app.config["CURRENT_FISCAL_YEAR"], as_of)
    for row in run_service(app, baseline.targets, fiscal_year):
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
