"""`itworks registrants`: registrant records."""

from __future__ import annotations

import click

from itworks.cli.common import build_app, run_service


@click.group()
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
