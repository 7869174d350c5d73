"""Configuration: defaults, then <instance>/config.toml, then ITWORKS_* variables,
then the test override. Every key is documented in config.example.toml."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from flask import Flask

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
    "RECONTACT_DAYS": {"move_now": 14, "few_years": 90, "region_undecided": 60, "one_option": 180},
    "TIER_LOW_CONFIDENCE": 0.6,
    "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
    "LOG_LEVEL": "INFO",
}

# Keys are loaded by itworks.crypto straight from the environment; they must not
# also sit in app.config, where a debug page or a config dump could show them.
_SECRET_ENV_KEYS = ("MASTER_KEY", "BLIND_INDEX_KEY", "SESSION_KEY", "SECRET_KEY")


def instance_path() -> Path:
    """The instance folder: $ITWORKS_INSTANCE, or ./instance."""
    return Path(os.environ.get("ITWORKS_INSTANCE") or "instance").resolve()


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    config_file = Path(app.instance_path) / "config.toml"
    if config_file.exists():
        try:
            app.config.from_file(str(config_file), load=tomllib.load, text=False)
        except tomllib.TOMLDecodeError as exc:
            raise RuntimeError(f"{config_file}: not valid TOML ({exc})") from None
    app.config.from_prefixed_env("ITWORKS")
    for key in _SECRET_ENV_KEYS:
        app.config.pop(key, None)
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'itworks.db'}"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = not app.config["DEVELOPMENT"]
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = not app.config["DEVELOPMENT"]
    app.config["SESSION_COOKIE_NAME"] = "itworks_session"
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # the session lifetime already bounds it
