"""`itworks handover`: the whole dataset to the next operator, in one encrypted file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from itworks.cli.common import build_app, fail, operator, refuse, run_service

MIN_PASSPHRASE = 12


def _passphrase() -> str:
    """One line from stdin (never an argument: it would show in the process list)."""
    passphrase = sys.stdin.readline().rstrip("\r\n")
    if len(passphrase) < MIN_PASSPHRASE:
        from itworks.i18n import N_

        fail(N_("パスフレーズは標準入力から%(n)s文字以上で渡してください", n=MIN_PASSPHRASE), 1)
    return passphrase


@click.group()
def handover() -> None:
    """Export the whole dataset for the next operator, or import it into a fresh instance."""


@handover.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def handover_export(file: Path) -> None:
    """Write every table, personal fields decrypted, to FILE sealed with a key derived
    from the passphrase read from stdin (scrypt + AES-256-GCM), with a manifest."""
    from itworks.database import current_revision
    from itworks.db import db
    from itworks.services.handover import transfer

    if file.exists():
        fail(f"{file}: exists; not overwritten", 1)
    passphrase = _passphrase()
    app = build_app()
    with app.app_context():
        revision = current_revision(db.engine)
    blob, result = run_service(
        app,
        transfer.export,
        passphrase,
        revision=revision,
        files_root=Path(app.instance_path),
        actor_label=operator(),
        needs_vault=True,
    )
    partial = file.with_name(file.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(blob)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, file)
    click.echo(
        f"handover file written: {file} ({result.size} bytes; {result.tables} tables, "
        f"{result.rows} rows, {result.personal_values} personal values, "
        f"{result.files} material files)"
    )
    for name, entry in sorted(result.manifest.items()):
        click.echo(f"  {name}: {entry['rows']} rows  sha256 {entry['sha256']}")


@handover.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def handover_import(file: Path) -> None:
    """Build this fresh instance from FILE with new keys; the manifest is checked
    and any mismatch or alteration refuses the whole import."""
    from itworks import config
    from itworks.crypto import KeyConfigError
    from itworks.database import current_revision, upgrade
    from itworks.db import db
    from itworks.i18n import message_of
    from itworks.services import instance as instance_service
    from itworks.services.errors import ServiceError
    from itworks.services.handover import transfer
    from itworks.services.keys import keyring

    passphrase = _passphrase()
    try:
        payload = transfer.read(passphrase, file.read_bytes())  # before anything is created
    except ServiceError as exc:
        refuse(exc)
        return
    try:
        created = instance_service.prepare(config.instance_path())
    except KeyConfigError as exc:
        fail(message_of(exc))
    app = build_app()
    with app.app_context():
        upgrade(db.engine)
        revision = current_revision(db.engine)
    result = run_service(
        app,
        transfer.load,
        payload,
        revision=revision,
        files_root=Path(app.instance_path),
        actor_label=operator(),
        needs_vault=True,
    )
    run_service(app, keyring.record_checks, needs_vault=True)
    for path in created:
        click.echo(f"created key: {path} (mode 0600) — back it up; data is unreadable without it")
    click.echo(
        f"imported {result.rows} rows in {result.tables} tables, {result.personal_values} "
        f"personal values encrypted under this instance's new keys, {result.files} material "
        "files; manifest verified"
    )
