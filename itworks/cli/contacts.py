"""`itworks contacts`: record consultations and other contacts."""

from __future__ import annotations

import click

from itworks.cli.common import build_app, operator, run_service
from itworks.vocabulary import CONTACT_KINDS


@click.group()
def contacts() -> None:
    """Consultations and contacts with registrants."""


@contacts.command("add")
@click.argument("public_id")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(CONTACT_KINDS),
)
@click.option("--at", "at", help="ISO date or date-time in Japan time; default now.")
@click.option("--outcome", help="Outcome (stored encrypted).")
@click.option("--notes", help="Notes (stored encrypted).")
@click.option("--coordinator", help="Username of the coordinator who made the contact.")
def contacts_add(public_id, kind, at, outcome, notes, coordinator) -> None:  # noqa: ANN001
    """Record a contact; only career_consultation counts toward the consultations KPI."""
    from itworks.services.engagement import contacts as service

    record = run_service(
        build_app(),
        service.record_contact,
        public_id,
        kind,
        needs_vault=True,
        at=at,
        outcome=outcome,
        notes=notes,
        coordinator=coordinator,
        actor_label=operator(),
    )
    click.echo(f"{record.kind}\t{record.at.isoformat()}")
