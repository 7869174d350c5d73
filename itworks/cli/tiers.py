"""`itworks segment` and `itworks recontact`: readiness tiers and who to contact."""

from __future__ import annotations

import click

from itworks.cli.common import Progress, build_app, operator, print_json, run_service
from itworks.vocabulary import TIERS


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the run and its metrics as JSON.")
@click.option(
    "--evaluate",
    is_flag=True,
    help="Do not fit: judge the model on the confirmed tiers, out of fold, and keep the "
    "result with the latest run.",
)
def segment(as_json: bool, evaluate: bool) -> None:
    """Propose a readiness tier for every registrant (history is kept) and record the run."""
    from itworks.services.tiers import segment as service

    app = build_app()
    if evaluate:
        _evaluate(app, as_json)
        return
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
    if summary.get("reliability"):
        _reliability(summary["reliability"])


def _evaluate(app, as_json: bool) -> None:  # noqa: ANN001
    from itworks.services.tiers import evaluation

    result = run_service(app, evaluation.evaluate_and_record, actor_label=operator())
    if as_json:
        print_json(result)
        return
    click.echo(
        f"{result['n_confirmed']} confirmed tiers of {result['registrants']} registrants "
        f"({result['method']})"
    )
    if result["too_few_to_judge"]:
        click.echo(f"too few to judge: fewer than {result['min_confirmed']} confirmed tiers")
    click.echo(f"{'':<22}{'accuracy':>10}{'kappa':>8}{'n':>7}   (core answer missing)")
    for side, title in (("model", "model"), ("rule", "rule"), ("no_labels", "model, no labels")):
        overall, missing = result[side]["overall"], result[side]["core_missing"]
        click.echo(
            f"{title:<22}{_num(overall['accuracy']):>10}{_num(overall['kappa']):>8}"
            f"{overall['n']:>7}   {_num(missing['accuracy'])} / {_num(missing['kappa'])}"
            f" (n={missing['n']})"
        )
    click.echo(
        "confusion (model; rows = confirmed, columns = proposed): " + " ".join(result["tiers"])
    )
    for tier, row in zip(result["tiers"], result["model"]["overall"]["confusion"], strict=True):
        click.echo(f"  {tier:<18}" + "".join(f"{n:>8}" for n in row))
    _reliability(result["reliability"])


def _reliability(bands: list[dict]) -> None:
    click.echo("reliability, out of fold (confidence band: mean confidence → share correct, n)")
    for band in bands:
        click.echo(
            f"  {band['low']:.2f}–{band['high']:.2f}: {_num(band['mean_confidence'])} → "
            f"{_num(band['share_correct'])} (n={band['n']})"
        )


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


@click.group()
def recontact() -> None:
    """Re-contact by tier (intervals: RECONTACT_DAYS)."""


@recontact.command("due")
@click.option("--tier", type=click.Choice(TIERS))
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
