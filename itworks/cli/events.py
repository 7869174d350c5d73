"""`itworks events`: study sessions, meet-ups and job fairs."""

from __future__ import annotations

from pathlib import Path

import click

from itworks.cli.common import bilingual, build_app, fail, operator, run_service
from itworks.i18n import message_of
from itworks.vocabulary import EVENT_KINDS, MATERIAL_KINDS


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
@click.option("--fair-number", type=click.IntRange(1, 3), help="1, 2 or 3: the year's job fairs.")
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


@events.command("signup")
@click.argument("event_public_id")
@click.argument("registrant_public_id")
def events_signup(event_public_id: str, registrant_public_id: str) -> None:
    """Sign a registrant up (the capacity rule: past capacity, the waiting list)."""
    from itworks.services.engagement import signups

    signup, created = run_service(
        build_app(),
        signups.coordinator_sign_up,
        event_public_id,
        registrant_public_id,
        actor_label=operator(),
    )
    click.echo(signup.status if created else f"{signup.status} (already signed up)")


@events.command("cancel")
@click.argument("event_public_id")
@click.argument("registrant_public_id")
def events_cancel(event_public_id: str, registrant_public_id: str) -> None:
    """Cancel a sign-up; the first on the waiting list moves up and is sent a notice."""
    from itworks.services.engagement import outbox, signups

    app = build_app()

    def cancel(session):  # noqa: ANN001, ANN202
        promoted = signups.cancel_signup(
            session,
            event_public_id,
            registrant_public_id,
            actor_label=operator(),
            settings=outbox.Settings.from_config(app.config),
        )
        return promoted.registrant.public_id if promoted is not None else None

    promoted = run_service(app, cancel)
    click.echo("cancelled" + (f"\tpromoted: {promoted}" if promoted else ""))


@events.command("attendance")
@click.argument("event_public_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def events_attendance(event_public_id: str, file: Path) -> None:
    """Mark attendance from a CSV (public_id, attended: attended / no_show, 参加 / 欠席).
    All lines or none: any bad line is reported with its line number and field (exit 1)."""
    from itworks.services.engagement import signups

    result = run_service(
        build_app(),
        signups.import_attendance,
        event_public_id,
        file.read_bytes(),
        actor_label=operator(),
    )
    click.echo(f"attended: {result.attended}\tno_show: {result.no_show}")


@events.command("mark")
@click.argument("event_public_id")
@click.argument("registrant_public_id")
@click.option("--outcome", required=True, type=click.Choice(["attended", "no_show"]))
def events_mark(event_public_id: str, registrant_public_id: str, outcome: str) -> None:
    """Mark one sign-up attended or no-show after the event."""
    from itworks.services.engagement import signups

    signup = run_service(
        build_app(),
        signups.mark_attendance,
        event_public_id,
        registrant_public_id,
        outcome,
        actor_label=operator(),
    )
    click.echo(signup.status)


@events.command("material-add")
@click.argument("event_public_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", default="other", type=click.Choice(MATERIAL_KINDS), show_default=True)
def events_material_add(event_public_id: str, file: Path, kind: str) -> None:
    """Keep a file (slides, flyer, photo) with an event; prints its SHA-256."""
    from itworks.services.engagement import materials

    app = build_app()
    limits = materials.Limits.from_config(app.config)
    if file.stat().st_size > limits.max_bytes:
        fail(materials.MESSAGES["size"].bind(limit=f"{limits.max_bytes / 1048576:g}"), 1)
    row = run_service(
        app,
        materials.add_material,
        Path(app.instance_path),
        event_public_id,
        filename=file.name,
        data=file.read_bytes(),
        kind=kind,
        limits=limits,
        actor_label=operator(),
    )
    click.echo(f"{row.public_id}\t{row.sha256}")


@events.command("materials")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (what a handover carries).")
def events_materials(as_json: bool) -> None:
    """List every event's materials with their path in the instance and SHA-256."""
    from itworks.cli.common import print_json
    from itworks.services.engagement import materials

    entries = run_service(build_app(), materials.manifest)
    if as_json:
        print_json(entries)
        return
    for e in entries:
        click.echo(f"{e['event']}\t{e['kind']}\t{e['size_bytes']}\t{e['sha256']}\t{e['path']}")
