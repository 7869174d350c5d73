"""`itworks keys`: master-key and blind-index-key rotation."""

from __future__ import annotations

import click

from itworks.cli.common import Progress, build_app, keys_dir, operator, run_service


@click.group()
def keys() -> None:
    """Master-key and blind-index-key rotation."""


def _total_data_keys(app) -> int:  # noqa: ANN001
    import sqlalchemy as sa

    from itworks.db import db
    from itworks.models import DataKey

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(DataKey.id))) or 0


@keys.command("rotate")
@click.option("--batch", default=2000, show_default=True, help="Data keys per transaction.")
def keys_rotate(batch: int) -> None:
    """Add a new master key and re-wrap every data key under it (or finish an
    interrupted rotation); the old key stays until `keys retire`."""
    from itworks.services.keys import rotation

    app = build_app()  # refuses before the key file changes if the current keys are wrong
    with Progress(_total_data_keys(app), "re-wrapping") as bar:
        change = run_service(
            app,
            rotation.rotate,
            keys_dir(app),
            actor_label=operator(),
            progress=bar.update,
            batch=batch,
        )
    verb = "finished the interrupted rotation to" if change.resumed else "new master key"
    click.echo(f"{verb} {change.active}; re-wrapped {change.rewrapped} data keys")
    click.echo(
        "restart the app, re-take backups, then retire the old key(s) with "
        "`itworks keys retire OLD`"
    )


@keys.command("rewrap")
def keys_rewrap() -> None:
    """Re-wrap every data key under the first (active) master key."""
    from itworks.services.keys import rotation

    moved = run_service(build_app(), rotation.rewrap, needs_vault=True, actor_label=operator())
    click.echo(f"re-wrapped {moved} data keys")


@keys.command("retire")
@click.argument("old", required=False)
def keys_retire(old: str | None) -> None:
    """Drop master key OLD (every non-active one without OLD) once no data key uses it."""
    from itworks.services.keys import rotation

    app = build_app()
    change = run_service(
        app, rotation.retire, keys_dir(app), old, needs_vault=True, actor_label=operator()
    )
    click.echo(f"retired {', '.join(change.retired) or 'nothing'}; active {change.active}")


@keys.command("rotate-index")
@click.option("--batch", default=2000, show_default=True, help="Registrants per transaction.")
def keys_rotate_index(batch: int) -> None:
    """Replace the blind-index key and recompute every email/phone look-up index
    from the decrypted values (resumable: run again after an interruption)."""
    import sqlalchemy as sa

    from itworks.db import db
    from itworks.models import Registrant
    from itworks.services.keys import rotation

    app = build_app()
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count(Registrant.id))) or 0
    with Progress(total, "re-indexing") as bar:
        change = run_service(
            app,
            rotation.rotate_index,
            keys_dir(app),
            actor_label=operator(),
            batch=batch,
            progress=bar.update,
        )
    verb = "finished the interrupted re-indexing to" if change.resumed else "new blind-index key"
    click.echo(
        f"{verb} {change.active}; {change.registrants} registrants, {change.moved} indexes "
        f"recomputed, {change.dropped} stale indexes dropped; retired {change.previous or '-'}"
    )
    click.echo("restart the app so it uses the new key")
