"""`itworks report`: the implementation report (実施報告書) as one workbook."""

from __future__ import annotations

from pathlib import Path

import click

from itworks.cli.common import build_app, operator, refuse, run_service
from itworks.services.errors import InvalidInput


@click.command("report")
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
    from itworks.reports import workbook
    from itworks.services.kpi import progress

    app = build_app()
    try:
        measured_at = progress.as_of_date(as_of or app.config["AS_OF_DATE"])
        year = progress.parse_fiscal_year(fiscal_year)
    except InvalidInput as exc:
        refuse(exc)
    # Every table is built before the file is opened: a table that fails is an
    # exception (non-zero exit) and no workbook, never a sheet with a gap.
    sheets = run_service(
        app,
        workbook.write_report,
        year,
        measured_at,
        out,
        k=int(app.config["SMALL_CELL_K"]),
        level_days=int(app.config["FIRST_CONTACT_BUSINESS_DAYS"]),
        actor_label=operator(),
    )
    click.echo(f"wrote {out} ({len(sheets)} sheets, as of {measured_at.isoformat()})")
