"""Alembic environment. ``itworks db upgrade`` passes a live connection; the
plain ``alembic`` command (for writing revisions) builds the app to find the URL."""

from __future__ import annotations

from alembic import context

from itworks.models import Base
from itworks.models.base import UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj, autogen_context):  # noqa: ANN001, ANN202
    # Migrations must not import model code that may change later: write the
    # storage type, not the Python-side decorator.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from itworks import create_app
    from itworks.db import db

    app = create_app()
    with app.app_context(), db.engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `itworks db upgrade`")
run_migrations_online()
