"""`itworks registrants`: registrant records."""

from __future__ import annotations

import click


@click.group()
def registrants() -> None:
    """Registrant records."""


@registrants.command("erase")
@click.argument("public_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def registrants_erase(public_id: str, yes: bool) -> None:
    """Erase one registrant (the same as `itworks privacy erase`)."""
    from itworks.cli.privacy import erase_command

    erase_command(public_id, yes, None, None)
