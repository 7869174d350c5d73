"""`itworks backup`: a consistent online copy of the SQLite database."""

from __future__ import annotations

from pathlib import Path

import click

from itworks.cli.common import build_app, fail, refuse


@click.command("backup")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path | None) -> None:
    """Copy the SQLite database to FILE (default: instance/backups/itworks-<UTC time>.db)
    while the app keeps running. PostgreSQL: use pg_dump. The keys are not included."""
    from itworks.services.errors import ServiceError
    from itworks.services.handover import backup as service

    app = build_app()
    target = file or service.default_path(Path(app.instance_path))
    try:
        result = service.backup_sqlite(app.config["DATABASE_URL"], target)
    except service.NotSQLite as exc:
        fail(exc.args[0], 1)
        return
    except ServiceError as exc:
        refuse(exc)
        return
    click.echo(f"backup written: {result.path} ({result.size} bytes, integrity ok)")
    click.echo("the keys are not in it: keep a copy of instance/keys/ somewhere else")
