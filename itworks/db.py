"""The flask-sqlalchemy-lite extension: one engine per app, one session per
request or CLI command.

Entry-point glue, like ``itworks.extensions``: only the app factory, the web,
the API and the CLI import it. Engines, SQLite tuning and migrations, which the
services use, are in ``itworks.database``.
"""

from __future__ import annotations

from flask_sqlalchemy_lite import SQLAlchemy

# Objects stay readable after commit, so a service can return what it wrote
# to a view or a CLI command whose session is about to close.
db = SQLAlchemy(session_options={"expire_on_commit": False})
