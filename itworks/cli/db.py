"""`itworks db`: the database schema."""

from __future__ import annotations

import click

from itworks.cli.common import build_app, safe_url


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations."""
    from itworks.database import upgrade
    from itworks.db import db as database

    app = build_app()
    with app.app_context():
        upgrade(database.engine, revision)
    click.echo(f"upgraded {safe_url(app)} to {revision}")


@db.command("current")
def db_current() -> None:
    """Print the schema revision."""
    from itworks.database import current_revision
    from itworks.db import db as database

    app = build_app()
    with app.app_context():
        click.echo(current_revision(database.engine) or "(empty)")
