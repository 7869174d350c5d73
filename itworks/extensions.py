"""Flask extensions that are not about the database: login, CSRF, Babel, headers."""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from . import ratelimit
from .crypto import LinkSigner, Vault

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def vault() -> Vault:
    """The keys of the running app (see itworks.crypto)."""
    return current_app.extensions["itworks.vault"]


def link_signer() -> LinkSigner:
    return current_app.extensions["itworks.link_signer"]


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if request.path.startswith("/api/"):
        # API clients say which language they read; no session, Japanese by default.
        best = request.accept_languages.best_match(languages)
        return best or current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang")
    if chosen is not None and chosen in languages:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _security_headers(response):  # noqa: ANN001, ANN202
    # Everything is served from this machine: no CDN, no inline script.
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint and request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    max_age = int(current_app.config["HSTS_MAX_AGE"])
    if request.is_secure and max_age > 0 and not current_app.config["DEVELOPMENT"]:
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={max_age}; includeSubDomains"
        )
    return response


def login_limit() -> ratelimit.AddressLimit:
    """The per-address limit on failed logins of the running app."""
    return current_app.extensions["itworks.login_limit"]


def _init_limits(app: Flask) -> None:
    from .db import db

    with app.app_context():
        engine = db.engine
    storage = ratelimit.storage(app.config["RATE_LIMIT_STORAGE_URL"], engine)
    app.extensions["itworks.login_limit"] = ratelimit.AddressLimit(
        storage, app.config["LOGIN_ADDRESS_LIMIT"], scope="login"
    )


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    _init_limits(app)
    app.after_request(_security_headers)
    if app.config["PROXY_COUNT"]:
        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
