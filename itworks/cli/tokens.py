"""`itworks tokens`: bearer tokens for the JSON API."""

from __future__ import annotations

import click

from itworks.cli.common import build_app, operator, run_service
from itworks.vocabulary import TOKEN_SCOPES


@click.group()
def tokens() -> None:
    """Bearer tokens for the JSON API."""


@tokens.command("create")
@click.argument("name")
@click.option("--scope", required=True, type=click.Choice(TOKEN_SCOPES))
def tokens_create(name: str, scope: str) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from itworks.services.accounts import tokens as service

    token = run_service(build_app(), service.create, name, scope, actor_label=operator())
    click.echo(token)
    click.echo(f"token {name} ({scope}) created; it will not be shown again", err=True)


@tokens.command("revoke")
@click.argument("name")
def tokens_revoke(name: str) -> None:
    """Revoke a token at once."""
    from itworks.services.accounts import tokens as service

    run_service(build_app(), service.revoke, name, actor_label=operator())
    click.echo(f"revoked {name}")


@tokens.command("list")
def tokens_list() -> None:
    """List tokens (never the tokens themselves)."""
    from itworks.services.accounts import tokens as service

    for row in run_service(build_app(), service.list_tokens):
        state = "revoked" if row.revoked_at else "active"
        used = row.last_used_at.isoformat() if row.last_used_at else "never"
        click.echo(f"{row.name}\t{row.scope}\t{state}\tlast used {used}")
