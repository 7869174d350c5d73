"""`itworks init`, `serve` and `demo`: make the instance and serve it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from itworks import config
from itworks.cli.common import build_app, fail, link_signer, run_service, safe_url
from itworks.crypto import KeyConfigError
from itworks.i18n import message_of

if TYPE_CHECKING:
    from flask import Flask


def initialise(instance: Path) -> tuple[Flask, str | None, list[Path]]:
    """Create what is missing (folder, config, keys), start the app on it and set
    up its database; returns the app, the new admin's password and the new keys."""
    from itworks.db import db
    from itworks.extensions import vault
    from itworks.services import instance as instance_service

    try:
        created = instance_service.prepare(instance)
    except KeyConfigError as exc:
        fail(message_of(exc))
    # The app can only start once the keys exist, so preparing the folder and
    # setting up the database are two calls with the start-up between them.
    app = build_app()
    with app.app_context():
        password = instance_service.setup_database(db.session, db.engine, vault())
    return app, password, created


def serve_app(app: Flask, host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from itworks.db import db

    with app.app_context():
        # Connections opened before the fork must not be shared by the workers.
        db.engine.dispose()

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 4)
            self.cfg.set("accesslog", "-")
            self.cfg.set("proc_name", "itworks")

        def load(self) -> Flask:
            return app

    Server().run()


@click.command()
def init() -> None:
    """Create the instance: config, keys, database, baseline figures and the admin."""
    instance = config.instance_path()
    app, password, created = initialise(instance)
    click.echo(f"instance: {instance}")
    for path in created:
        click.echo(f"created key: {path} (mode 0600) — back it up; data is unreadable without it")
    click.echo(f"database: {safe_url(app)}")
    if password:
        click.echo("admin user: admin")
        click.echo(f"admin password (shown once): {password}")
    else:
        click.echo("already initialised; nothing to do")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve with gunicorn (production WSGI server)."""
    serve_app(build_app(), host, port, workers)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Load the demo into the instance and stop.")
@click.option("--registrants", "count", default=300, show_default=True, type=int)
def demo(host: str, port: int, no_serve: bool, count: int) -> None:
    """Initialise if needed, load demo data, print the logins and serve."""
    from itworks.demo import demo as demo_service
    from itworks.services.intake.arrivals import Notice

    instance = config.instance_path()
    app, _, _ = initialise(instance)
    notice = Notice(app.config["PRIVACY_NOTICE_VERSION"], app.config["PRIVACY_NOTICE_TEXT"])
    result = run_service(
        app, demo_service.load, link_signer(app), notice, count=count, needs_vault=True
    )
    demo_service.write_demo_settings(instance)
    click.echo(f"instance: {instance}")
    click.echo(f"demo registrants: {result.registrants} (added now: {result.added})")
    click.echo("demo logins, one per role (passwords are new on every run):")
    for username, role, password in result.logins:
        click.echo(f"  {role:<12} {username:<18} {password}")
    # One admin login is printed: the demo's. The instance's own administrator
    # (created by init, not a demo account) is named so nobody mistakes the two.
    click.echo(
        "the instance's own administrator 'admin' is not a demo login; "
        "set its password with: itworks users set-password admin --password-stdin"
    )
    if no_serve:
        return
    click.echo(f"URL: http://{host}:{port}/login")
    serve_app(build_app(DEVELOPMENT=True), host, port, workers=2)
