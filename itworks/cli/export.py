"""`itworks export`: decrypted exports (admin; audited)."""

from __future__ import annotations

from pathlib import Path

import click

from itworks.cli.common import build_app, operator, private_text_file, run_service


@click.group("export")
def export() -> None:
    """Exports (admin; audited)."""


@export.command("registrants")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_registrants(file: Path) -> None:
    """Write every registrant, decrypted, as UTF-8-with-BOM CSV (opens in Excel)."""
    from itworks.services.intake import exports

    app = build_app()
    with private_text_file(file) as handle:
        count = run_service(
            app, exports.export_registrants, handle, actor_label=operator(), needs_vault=True
        )
    click.echo(f"exported {count} registrants to {file} (mode 0600: it holds personal data)")
