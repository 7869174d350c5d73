"""IT WORKS@島根: the operator's working tool (Flask application factory)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the app for the instance folder ($ITWORKS_INSTANCE or ./instance).

    Refuses to start (``KeyConfigError``) when a key is missing, too widely
    readable, or does not match the database: it never makes a new key itself.
    """
    # Flask is imported here, not at the top, so that the ground floor
    # (itworks.crypto, itworks.services, ...) can be imported without it.
    from flask import Flask

    from . import config, crypto, extensions
    from .database import engine_options, tune_engine
    from .db import db

    instance = Path((test_config or {}).get("INSTANCE_PATH") or config.instance_path())
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    app.config.from_mapping(config.load_settings(instance, test_config))
    if instance.is_dir():
        from itworks.services.instance import secure_folder

        secure_folder(instance)  # an instance made by an older release was 0755
    for key in config.SECRET_KEYS:
        app.config.pop(key, None)

    keys_dir = instance / "keys"
    app.secret_key = crypto.load_session_secret(keys_dir)
    vault = crypto.load_vault(keys_dir)
    app.extensions["itworks.vault"] = vault
    app.extensions["itworks.link_signer"] = crypto.load_link_signer(keys_dir)

    app.config["SQLALCHEMY_ENGINES"] = {"default": engine_options(app.config["DATABASE_URL"])}
    db.init_app(app)
    with app.app_context():
        tune_engine(db.engine)
        from itworks.services.keys import keyring

        try:
            keyring.verify_against_database(db.engine, vault)
        except Exception:
            db.engine.dispose()
            raise

    logging.getLogger("itworks").setLevel(app.config["LOG_LEVEL"])
    extensions.init_app(app)

    from . import api, web

    web.init_app(app)
    api.init_app(app)
    return app
