"""`itworks audit`: check the hash chain of the audit trail."""

from __future__ import annotations

import sys

import click

from itworks.cli.common import build_app, run_service


@click.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; name every edited or deleted entry (exit 1 if any)."""
    from itworks.services import audit as service

    report = run_service(build_app(), service.verify)
    if report.ok:
        click.echo(f"ok: {report.entries} entries, chain intact")
        return
    for problem in report.problems:
        click.echo(f"{problem.kind}: {problem.message}")
    click.echo(f"FAILED: {len(report.problems)} problem(s) in {report.entries} entries", err=True)
    sys.exit(1)
