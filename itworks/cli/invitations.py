"""`itworks invitations`: invite an audience to an event, and follow the conversion."""

from __future__ import annotations

import click

from itworks.cli.common import bilingual, build_app, link_signer, operator, print_json, run_service
from itworks.i18n import N_


@click.group()
def invitations() -> None:
    """Targeted invitations to events, through the mail outbox."""


@invitations.command("send")
@click.argument("event_public_id")
@click.option("--tier", required=True, help="Current tier, e.g. move_now.")
@click.option("--persona", help="A persona id of the latest segmentation run.")
@click.option("--origin", type=click.Choice(["u_turn", "i_turn", "unknown"]))
@click.option("--age-band", help="A survey age-band code, e.g. 30_34.")
@click.option("--prefecture", help="Residence prefecture (name or JIS code).")
@click.option("--skill", "skills", multiple=True, help="A survey skill code (any of; repeatable).")
@click.option(
    "--interest", "interests", multiple=True, help="A survey event-interest code (any of)."
)
@click.option(
    "--not-attended-this-fy", is_flag=True, help="Only people with no attendance this FY."
)
@click.option("--dry-run", is_flag=True, help="Count the audience, send nothing.")
def invitations_send(
    event_public_id: str,
    tier: str,
    persona: str | None,
    origin: str | None,
    age_band: str | None,
    prefecture: str | None,
    skills: tuple[str, ...],
    interests: tuple[str, ...],
    not_attended_this_fy: bool,
    dry_run: bool,
) -> None:
    """Print the audience count, then (unless --dry-run) queue one invitation mail
    each with a personal reply link; `itworks outbox send` delivers them."""
    from itworks.services.engagement import audience
    from itworks.services.engagement import invitations as service

    app = build_app()
    raw = {
        "tier": tier,
        "persona": persona,
        "origin": origin,
        "age_band": age_band,
        "residence_prefecture": prefecture,
        "skills": skills,
        "interests": interests,
        "not_attended_this_fy": not_attended_this_fy,
    }
    flt = run_service(app, lambda session: audience.parse_filter(raw, session))
    counted = run_service(app, audience.count_audience, event_public_id, flt)
    click.echo(f"{bilingual(N_('招待の対象者'))}: {counted.count}")
    if dry_run or counted.count == 0:
        return
    batch = run_service(
        app,
        lambda session: service.send_invitations(
            session,
            link_signer(app),
            event_public_id,
            flt,
            base_url=app.config["PUBLIC_BASE_URL"],
            actor_label=operator(),
            link_days=int(app.config["INVITATION_LINK_DAYS"]),
        ),
    )
    click.echo(f"{bilingual(N_('招待を送信キューに入れました'))}: {batch.audience_size}")
    click.echo(batch.public_id)


@invitations.command("conversion")
@click.option("--event", "event_public_id", help="One event's public id (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def invitations_conversion(event_public_id: str | None, as_json: bool) -> None:
    """Invited → signed up → attended, per event, overall and per tier."""
    from dataclasses import asdict

    from itworks.services.engagement import invitations as service

    ids = [event_public_id] if event_public_id else None
    rows = run_service(build_app(), service.conversion, ids)
    if as_json:
        print_json([asdict(row) for row in rows])
        return
    for row in rows:
        click.echo(
            f"{row.event or '*'}\t{row.tier or '*'}\t{row.invited}\t{row.signed_up}\t{row.attended}"
        )
