"""`itworks outbox`: deliver queued mail and list it."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from itworks.cli.common import build_app, print_json, run_service
from itworks.vocabulary import OUTBOX_STATUSES


@click.group()
def outbox() -> None:
    """The mail outbox: messages queued by invitations and reminders."""


@outbox.command("send")
@click.option("--once", is_flag=True, help="Deliver what is due, then exit (for cron).")
def outbox_send(once: bool) -> None:
    """Deliver queued mail over SMTP, or as .eml files in <instance>/outbox/ when
    SMTP_HOST is unset; runs until stopped (SIGTERM, Ctrl-C) unless --once."""
    from itworks.services.engagement import mail
    from itworks.services.engagement import outbox as service

    app = build_app()
    settings = service.Settings.from_config(app.config)
    transport = mail.transport_from_settings(app.config, Path(app.instance_path))
    if once:
        report = run_service(
            app,
            lambda session, vault: service.deliver(session, transport, vault, settings=settings),
            needs_vault=True,
        )
    else:
        stopping = []

        def stop(*_: object) -> None:
            stopping.append(True)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        report = run_service(
            app,
            lambda session, vault: service.run(
                session,
                transport,
                vault,
                settings=settings,
                poll_seconds=float(app.config["OUTBOX_POLL_SECONDS"]),
                should_stop=lambda: bool(stopping),
            ),
            needs_vault=True,
        )
    recovered = ", ".join(f"{k} {v}" for k, v in sorted(report.recovered.items()))
    click.echo(
        f"送信 / sent: {report.sent}\t再試行 / retried: {report.retried}\t"
        f"失敗 / failed: {report.failed}"
        + (f"\t中断の処理 / recovered: {recovered}" if recovered else "")
    )


@outbox.command("list")
@click.option("--status", type=click.Choice(OUTBOX_STATUSES))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def outbox_list(status: str | None, as_json: bool) -> None:
    """List messages newest first (no personal values: registrants by public id)."""
    from itworks.services.engagement import outbox as service

    rows = run_service(build_app(), service.list_messages, status)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        click.echo(
            "\t".join(
                str(v or "")
                for v in (
                    row["id"],
                    row["status"],
                    row["template"],
                    row["registrant"],
                    row["attempts"],
                    row["reason"],
                    row["created_at"],
                )
            )
        )


@outbox.command("retry")
@click.argument("message_id")
def outbox_retry(message_id: str) -> None:
    """Queue a failed message again (it keeps its Message-ID)."""
    from itworks.services.engagement import outbox as service

    message = run_service(build_app(), service.requeue, message_id)
    click.echo(message.public_id)
