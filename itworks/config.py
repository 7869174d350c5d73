"""Configuration: defaults, then <instance>/config.toml, then ITWORKS_* variables,
then the test override. Every key is documented in config.example.toml.

Ground floor: plain dictionaries, no Flask (the app factory copies the result
into ``app.config``)."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PREFIX = "ITWORKS_"

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None means SQLite at <instance>/itworks.db
    "DEVELOPMENT": False,
    "LANGUAGES": ["ja", "en"],
    "BABEL_DEFAULT_LOCALE": "ja",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Tokyo",
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_FAILURE_WINDOW_MINUTES": 15,
    "SESSION_IDLE_MINUTES": 480,
    "PROXY_COUNT": 0,
    # Failed logins one address may make across all accounts (``limits`` syntax),
    # beside the per-username lockout above. Counters live in the database unless
    # RATE_LIMIT_STORAGE_URL names a Redis server ("redis://127.0.0.1:6379/0").
    "LOGIN_ADDRESS_LIMIT": "20 per 10 minutes",
    "RATE_LIMIT_STORAGE_URL": "",
    "HSTS_MAX_AGE": 31536000,
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    "API_MAX_BODY_BYTES": 64 * 1024,
    "PRIVACY_NOTICE_VERSION": "2022-04",
    "PRIVACY_NOTICE_TEXT": (
        "ご登録いただいた個人情報は、IT WORKS@島根の転職支援（求人紹介、相談、イベント案内）"
        "および島根県への事業報告（個人を特定できない集計）にのみ利用します。"
    ),
    "SMALL_CELL_K": 5,
    "AS_OF_DATE": None,
    "CURRENT_FISCAL_YEAR": None,
    "PAGE_SIZE": 50,
    # A name/kana search on the registrant list decrypts at most this many
    # registrants (newest first, after the filters); the page says when more match.
    "SEARCH_SCAN_LIMIT": 5000,
    "RECONTACT_DAYS": {"move_now": 14, "few_years": 90, "region_undecided": 60, "one_option": 180},
    "TIER_LOW_CONFIDENCE": 0.6,
    "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
    "LOG_LEVEL": "INFO",
    # Mail (the outbox worker, `itworks outbox send`); see config.example.toml.
    "MAIL_FROM": '"IT WORKS@島根" <noreply@itworks.invalid>',
    "SMTP_HOST": None,  # None: write .eml files to <instance>/outbox/
    "SMTP_PORT": 587,
    "SMTP_SECURITY": "starttls",
    "SMTP_USERNAME": None,
    "SMTP_TIMEOUT_SECONDS": 30,
    "OUTBOX_MAX_ATTEMPTS": 6,
    "OUTBOX_RETRY_SECONDS": 60,
    "OUTBOX_STALE_MINUTES": 15,
    "OUTBOX_POLL_SECONDS": 10,
    "FIRST_CONTACT_BUSINESS_DAYS": 3,
    "PROVISION_RETENTION_YEARS": 3,
    # Retention (`itworks privacy purge`): registrants with no activity for this many
    # years are erased; sent mail keeps its body (parameters, .eml file) this many days.
    "RETENTION_INACTIVE_YEARS": 5,
    "RETENTION_OUTBOX_BODY_DAYS": 90,
    "INVITATION_LINK_DAYS": 14,
    # Event materials (成果物) kept in <instance>/materials/<event>/.
    "MATERIAL_MAX_BYTES": 10 * 1024 * 1024,
    "MATERIAL_TYPES": ["pdf", "pptx", "ppt", "key", "docx", "png", "jpg", "jpeg", "gif", "webp"],
}

# The type of a setting whose default is None.
NULLABLE_TYPES: dict[str, type] = {
    "DATABASE_URL": str,
    "AS_OF_DATE": str,
    "CURRENT_FISCAL_YEAR": int,
    "SMTP_HOST": str,
    "SMTP_USERNAME": str,
}

# Keys are loaded by itworks.crypto straight from the environment; they must not
# also sit in app.config, where a debug page or a config dump could show them.
SECRET_KEYS = ("MASTER_KEY", "BLIND_INDEX_KEY", "SESSION_KEY", "SECRET_KEY")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class ConfigError(ValueError):
    """A setting that cannot be read as the type its default declares."""


def instance_path() -> Path:
    """The instance folder: $ITWORKS_INSTANCE, or ./instance."""
    return Path(os.environ.get("ITWORKS_INSTANCE") or "instance").resolve()


def declared_type(key: str) -> type | None:
    """The type a known setting must have, or None for a key we do not know."""
    if key in NULLABLE_TYPES:
        return NULLABLE_TYPES[key]
    if key in DEFAULTS:
        return type(DEFAULTS[key])
    return None


def from_env_text(key: str, text: str) -> Any:
    """An ``ITWORKS_<KEY>`` value as the type of the setting's default.

    A string setting stays a string (``PRIVACY_NOTICE_VERSION=1`` is "1", not
    1); an unknown key is read as JSON where it parses, as Flask would.
    """
    kind = declared_type(key)
    if kind is None:
        try:
            return json.loads(text)
        except ValueError:
            return text
    if kind is str:
        return text
    if kind is bool:
        if text.strip().lower() in _TRUE:
            return True
        if text.strip().lower() in _FALSE:
            return False
        raise ConfigError(f"{PREFIX}{key}={text!r}: expected true or false")
    if kind in (int, float):
        try:
            return kind(text.strip())
        except ValueError:
            raise ConfigError(f"{PREFIX}{key}={text!r}: expected {_NAMES[kind]}") from None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, kind):
        raise ConfigError(f"{PREFIX}{key}={text!r}: expected {_NAMES[kind]} (JSON)")
    return value


_NAMES = {int: "an integer", float: "a number", list: "a list", dict: "a table", str: "text"}


def check_type(key: str, value: Any, source: str) -> Any:
    """A setting from a TOML file, refused if it is not of the declared type."""
    kind = declared_type(key)
    if kind is None or (value is None and key in NULLABLE_TYPES):
        return value
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise ConfigError(f"{source}: {key} = {value!r}: expected {_NAMES.get(kind, kind.__name__)}")


def environment_settings(
    environ: Mapping[str, str], base: Mapping[str, Any] = DEFAULTS
) -> dict[str, Any]:
    """The ``ITWORKS_*`` variables as settings (``A__B`` sets key B of table A,
    starting from the table in ``base``)."""
    settings: dict[str, Any] = {}
    for name in sorted(environ):
        if not name.startswith(PREFIX):
            continue
        key, *path = name[len(PREFIX) :].split("__")
        if key in SECRET_KEYS:
            continue
        if not path:
            settings[key] = from_env_text(key, environ[name])
            continue
        table = settings.setdefault(key, dict(base.get(key) or {}))
        for part in path[:-1]:
            table = table.setdefault(part, {})
        try:
            table[path[-1]] = json.loads(environ[name])
        except ValueError:
            table[path[-1]] = environ[name]
    return settings


def load_settings(
    instance: Path,
    test_config: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, Any]:
    """Every setting: defaults, then <instance>/config.toml, then ITWORKS_*
    variables, then the test override. Raises ConfigError for a mistyped value."""
    settings = dict(DEFAULTS)
    config_file = instance / "config.toml"
    if config_file.exists():
        try:
            with config_file.open("rb") as handle:
                from_file = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise RuntimeError(f"{config_file}: not valid TOML ({exc})") from None
        for key, value in from_file.items():
            if key.isupper():
                settings[key] = check_type(key, value, str(config_file))
    settings.update(environment_settings(environ, settings))
    if test_config:
        settings.update(test_config)
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{instance / 'itworks.db'}"
    development = settings["DEVELOPMENT"]
    settings.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not development,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=not development,
        SESSION_COOKIE_NAME="itworks_session",
        WTF_CSRF_TIME_LIMIT=None,  # the session lifetime already bounds it
    )
    return settings
