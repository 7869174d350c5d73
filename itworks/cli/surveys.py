"""`itworks surveys`: invitation rounds, their mail merge and response rates."""

from __future__ import annotations

from pathlib import Path

import click

from itworks.cli.common import (
    build_app,
    link_signer,
    operator,
    print_json,
    private_text_file,
    run_service,
)


@click.group()
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
    round_ = run_service(
        app,
        survey_links.create_round,
        link_signer(app),
        name,
        list(arms) or ["none"],
        seed=seed,
        days=days,
        actor_label=operator(),
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
    from itworks.services.surveys import links as survey_links

    result = run_service(build_app(), survey_links.round_report, name)
    if as_json:
        print_json(result.as_dict())
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
    from itworks.csvio import write_excel_csv
    from itworks.services.surveys import mailing

    app = build_app()
    rows = run_service(
        app,
        mailing.round_mailing,
        link_signer(app),
        name,
        app.config["PUBLIC_BASE_URL"],
        actor_label=operator(),
        needs_vault=True,
    )
    with private_text_file(file) as handle:
        write_excel_csv(handle, mailing.COLUMNS, [row.as_row() for row in rows])
    click.echo(f"wrote {len(rows)} links to {file}")
