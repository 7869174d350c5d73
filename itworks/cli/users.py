"""`itworks users`: staff accounts."""

from __future__ import annotations

import click

from itworks.cli.common import build_app, read_password, run_service
from itworks.vocabulary import ROLES


@click.group()
def users() -> None:
    """Staff accounts (admin, coordinator, prefecture)."""


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(username: str, role: str, password_stdin: bool) -> None:
    """Create a user."""
    from itworks.services.accounts import users as service

    app = build_app()
    password = read_password(password_stdin)
    run_service(app, service.create_user, username, role, password)
    click.echo(f"created {role} {username}")


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_set_password(username: str, password_stdin: bool) -> None:
    """Set a user's password (ends their open sessions)."""
    from itworks.services.accounts import users as service

    app = build_app()
    run_service(app, service.set_password, username, read_password(password_stdin))
    click.echo(f"password changed for {username}")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable a user and end their sessions."""
    from itworks.services.accounts import users as service

    run_service(build_app(), service.set_active, username, False)
    click.echo(f"disabled {username}")


@users.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """Re-enable a disabled user."""
    from itworks.services.accounts import users as service

    run_service(build_app(), service.set_active, username, True)
    click.echo(f"enabled {username}")


@users.command("list")
def users_list() -> None:
    """List users and roles."""
    from itworks.services.accounts import users as service

    for user in run_service(build_app(), service.list_users):
        state = "" if user.active else " (disabled)"
        click.echo(f"{user.username}\t{user.role}{state}")
