"""`itworks introductions`: introduce registrants to companies and follow the stages."""

from __future__ import annotations

import click

from itworks.cli.common import build_app, fail, operator, run_service
from itworks.vocabulary import HIRE_TURNS, INTRODUCTION_STATUSES


@click.group()
def introductions() -> None:
    """Introductions to companies (third-party provision recorded first)."""


@introductions.command("add")
@click.argument("public_id")
@click.option("--company", required=True, help="Company name or public id.")
@click.option("--items", help="Items provided, e.g. name,email,phone.")
@click.option("--consent-at", help="When the registrant consented (Japan time).")
@click.option("--at", "at", help="When the introduction was made; default now.")
@click.option("--from-fair", help="Public id of the fair it follows up (no match there).")
@click.option("--follow-up-on", help="Next follow-up date (YYYY-MM-DD).")
def introductions_add(public_id, company, items, consent_at, at, from_fair, follow_up_on) -> None:  # noqa: ANN001
    """Record the provision and the introduction; print the introduction's id."""
    from itworks.services.engagement import introductions as service

    app = build_app()
    introduction = run_service(
        app,
        service.add_introduction,
        public_id,
        company,
        items=items,
        consent_at=consent_at,
        at=at,
        from_fair=from_fair,
        follow_up_on=_date(follow_up_on),
        retention_years=int(app.config["PROVISION_RETENTION_YEARS"]),
        actor_label=operator(),
    )
    click.echo(introduction.public_id)


@introductions.command("move")
@click.argument("introduction_id")
@click.option(
    "--stage",
    required=True,
    type=click.Choice(INTRODUCTION_STATUSES),
)
@click.option("--reason", help="Reason code (required for declined).")
@click.option("--at", "at", help="When; for hired the hire date. Default now.")
@click.option("--follow-up-on", help="Next follow-up date (YYYY-MM-DD).")
@click.option("--turn", type=click.Choice(HIRE_TURNS), help="For hired.")
@click.option("--moved-on", help="For hired: the date they moved to Shimane.")
def introductions_move(introduction_id, stage, reason, at, follow_up_on, turn, moved_on) -> None:  # noqa: ANN001
    """Move an introduction to a later stage."""
    from itworks.services.engagement import introductions as service

    introduction = run_service(
        build_app(),
        service.move,
        introduction_id,
        stage,
        reason=reason,
        at=at,
        follow_up_on=_date(follow_up_on),
        turn=turn,
        moved_on=_date(moved_on),
        actor_label=operator(),
    )
    click.echo(f"{introduction.public_id}\t{introduction.status}")


def _date(value: str | None):  # noqa: ANN202
    from datetime import date

    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{value!r}: YYYY-MM-DD", 1)
