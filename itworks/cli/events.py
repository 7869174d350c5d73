"""`itworks events`: study sessions, meet-ups and job fairs."""

from __future__ import annotations

import click

from itworks.cli.common import bilingual, build_app, fail, operator, run_service
from itworks.i18n import message_of
from itworks.vocabulary import EVENT_KINDS


@click.group()
def events() -> None:
    """Study sessions, meet-ups and job fairs."""


@events.command("create")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(EVENT_KINDS),
)
@click.option("--name", required=True)
@click.option("--starts", required=True, help="Start, e.g. 2022-07-09 13:00 (Asia/Tokyo).")
@click.option("--ends", help="End, e.g. 2022-07-09 17:00 (Asia/Tokyo).")
@click.option("--venue")
@click.option("--online", is_flag=True)
@click.option("--fair-number", type=int, help="1, 2 or 3 for the year's job fairs.")
@click.option("--capacity", type=int)
def events_create(kind, name, starts, ends, venue, online, fair_number, capacity) -> None:  # noqa: ANN001
    """Create an event and print its public id (the website posts it with applications)."""
    from itworks.csvio import parse_datetime
    from itworks.services.engagement import events as service

    try:
        starts_at = parse_datetime(starts)
        ends_at = parse_datetime(ends) if ends else None
    except ValueError as exc:
        fail(f"--starts/--ends: {bilingual(message_of(exc))}", 1)
    event = run_service(
        build_app(),
        service.create_event,
        kind=kind,
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        online=online,
        fair_number=fair_number,
        capacity=capacity,
        actor_label=operator(),
    )
    click.echo(event.public_id)


@events.command("list")
@click.option("--kind")
def events_list(kind: str | None) -> None:
    """List events with their public ids."""
    from itworks.fiscal import JST
    from itworks.services.engagement import events as service

    for event in run_service(build_app(), service.list_events, kind):
        number = f" #{event.fair_number}" if event.fair_number else ""
        when = event.starts_at.astimezone(JST).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{event.public_id}\t{event.kind}{number}\t{when}\t{event.name}")
