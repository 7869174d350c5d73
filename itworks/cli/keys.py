"""`itworks keys`: master-key rotation."""

from __future__ import annotations

import click

from itworks.cli.common import build_app, keys_dir, run_service


@click.group()
def keys() -> None:
    """Master-key rotation."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Add a new master key, re-wrap every data key under it, keep the old one for now."""
    from itworks.services.keys import rotation

    app = build_app()  # refuses before the key file changes if the current keys are wrong
    change = run_service(app, rotation.rotate, keys_dir(app))
    click.echo(f"new master key {change.active}; re-wrapped {change.rewrapped} data keys")
    click.echo("retire the old key(s) with `itworks keys retire` once backups are re-taken")


@keys.command("rewrap")
def keys_rewrap() -> None:
    """Re-wrap every data key under the first (active) master key."""
    from itworks.services.keys import keyring

    moved = run_service(build_app(), keyring.rewrap_all, needs_vault=True)
    click.echo(f"re-wrapped {moved} data keys")


@keys.command("retire")
def keys_retire() -> None:
    """Drop every master key except the active one (after `keys rotate`)."""
    from itworks.services.keys import rotation

    app = build_app()
    change = run_service(app, rotation.retire, keys_dir(app), needs_vault=True)
    click.echo(
        f"re-wrapped {change.rewrapped}; retired {', '.join(change.retired) or 'nothing'}; "
        f"active {change.active}"
    )
