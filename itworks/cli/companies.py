"""`itworks companies`: Shimane IT companies."""

from __future__ import annotations

import click

from itworks.cli.common import build_app, operator, run_service


@click.group()
def companies() -> None:
    """Shimane IT companies (contact person encrypted)."""


@companies.command("add")
@click.argument("name")
@click.option("--contact-name")
@click.option("--contact-email")
@click.option("--contact-phone")
@click.option("--city")
@click.option("--not-shimane-it", is_flag=True, help="Not a Shimane IT company (no KGI).")
def companies_add(name, contact_name, contact_email, contact_phone, city, not_shimane_it) -> None:  # noqa: ANN001
    """Add a company and print its public id."""
    from itworks.services.engagement import companies as service

    company = run_service(
        build_app(),
        service.add_company,
        name,
        needs_vault=True,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        city=city,
        shimane_it=not not_shimane_it,
        actor_label=operator(),
    )
    click.echo(company.public_id)


@companies.command("list")
def companies_list() -> None:
    """List companies with their public ids."""
    from itworks.services.engagement import companies as service

    for company in run_service(build_app(), service.list_companies):
        click.echo(f"{company.public_id}\t{company.name}")
