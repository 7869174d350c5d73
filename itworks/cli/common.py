"""What every command shares: building the app, calling a service in its
context, mapping errors to exit codes, the operator's name and progress bars.

Exit codes: 0 done, 1 the service refused (bad input, not found, rows
rejected), 2 the instance cannot start (keys or configuration).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from itworks import create_app
from itworks.config import ConfigError
from itworks.crypto import KeyConfigError
from itworks.i18n import N_, Message, localize, message_of, translate
from itworks.services.errors import ServiceError

if TYPE_CHECKING:
    from flask import Flask


def bilingual(value: Any) -> Any:
    """``value`` with every translatable message (itworks.i18n) as "<Japanese> / <English>",
    as the operator's terminal has no language: strings, dicts and lists of them."""

    def both(msgid: str) -> str:
        english = translate(Message(msgid), "en")
        return msgid if english == msgid else f"{msgid} / {english}"

    return localize(value, both)


def fail(message: object, code: int = 2) -> None:
    """Print the error and end the command with ``code``."""
    click.echo(f"{bilingual(N_('エラー'))}: {bilingual(message)}", err=True)
    sys.exit(code)


def build_app(**overrides: Any) -> Flask:
    """The app for the instance, or exit 2 when its keys or settings are wrong."""
    try:
        app = create_app(overrides or None)
    except (KeyConfigError, ConfigError) as exc:
        fail(message_of(exc))
        raise AssertionError("unreachable") from None
    context = click.get_current_context(silent=True)
    if context is not None:
        # One-shot commands close their connections when the command ends.
        context.call_on_close(lambda: dispose(app))
    return app


def dispose(app: Flask) -> None:
    from itworks.db import db

    with app.app_context():
        db.engine.dispose()


def run_service(
    app: Flask, fn: Callable[..., Any], *args: Any, needs_vault: bool = False, **kwargs: Any
) -> Any:
    """Call a service inside the app context, mapping domain errors to exit code 1
    (one line per field when the error names fields) and key errors to 2."""
    from itworks.db import db
    from itworks.extensions import vault

    with app.app_context():
        try:
            if needs_vault:
                return fn(db.session, vault(), *args, **kwargs)
            return fn(db.session, *args, **kwargs)
        except ServiceError as exc:
            refuse(exc)
        except KeyConfigError as exc:
            fail(message_of(exc))


def refuse(exc: ServiceError) -> None:
    """Print a refused input (one line per field when it names fields); exit 1."""
    errors = getattr(exc, "errors", None)
    if errors:
        for field, message in errors.items():
            click.echo(f"{field}: {bilingual(message)}", err=True)
        sys.exit(1)
    fail(message_of(exc), 1)


def link_signer(app: Flask):  # noqa: ANN201
    """The app's survey-link signer (see itworks.crypto.LinkSigner)."""
    return app.extensions["itworks.link_signer"]


def keys_dir(app: Flask) -> Path:
    return Path(app.instance_path) / "keys"


def safe_url(app: Flask) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(app.config["DATABASE_URL"]).render_as_string(hide_password=True)


def operator() -> str:
    """Who ran a CLI command, for the audit trail."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def read_password(password_stdin: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt(bilingual(N_("パスワード")), hide_input=True, confirmation_prompt=True)


def private_text_file(path: Path) -> TextIO:
    """Open ``path`` for writing as UTF-8 text (CSV: newline="") with mode 0600:
    the files the CLI writes hold personal data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # the mode argument only applies to a file that did not exist
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def print_json(payload: Any) -> None:
    import json

    click.echo(json.dumps(bilingual(payload), ensure_ascii=False, indent=2))


class Progress:
    """A progress bar on a terminal's stderr; pipes and tests get none.

    ``update`` is the ``progress`` callback the services take (items done so
    far), or None when there is no bar.
    """

    def __init__(self, length: int, label: str, *, enabled: bool = True) -> None:
        self.bar = None
        if enabled and sys.stderr.isatty():
            self.bar = click.progressbar(length=length, label=label, file=sys.stderr)

    def __enter__(self) -> Progress:
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

    @property
    def update(self) -> Callable[[int], None] | None:
        bar = self.bar
        if bar is None:
            return None
        return lambda done: bar.update(done - bar.pos)
