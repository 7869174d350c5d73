"""`itworks segment` and `itworks recontact`: readiness tiers and who to contact."""

from __future__ import annotations

import click

from itworks.cli.common import Progress, build_app, operator, print_json, run_service


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the run and its metrics as JSON.")
def segment(as_json: bool) -> None:
    """Propose a readiness tier for every registrant (history is kept) and record the run."""
    from itworks.services.tiers import segment as service

    app = build_app()
    with Progress(100, "segmenting") as progress:
        record = run_service(app, service.run, started_by=operator(), progress=progress.update)
    summary = service.summary(record)
    if as_json:
        print_json(summary)
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


@click.group()
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
    from itworks.services.tiers import recontact as service

    app = build_app()
    today, rows = run_service(
        app,
        service.due_on,
        app.config["RECONTACT_DAYS"],
        on or app.config["AS_OF_DATE"],
        tier=tier,
    )
    if as_json:
        print_json(
            {
                "date": today.isoformat(),
                "due": len(rows),
                "registrants": [r.as_dict() for r in rows],
            }
        )
        return
    click.echo(f"{len(rows)} due on {today.isoformat()}")
    for r in rows:
        click.echo(
            f"{r.public_id}\t{r.tier}\tlast {r.last_contact.isoformat()}\t"
            f"due {r.next_contact.isoformat()}\t{r.days_overdue} days overdue"
        )
