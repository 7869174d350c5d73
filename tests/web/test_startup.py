"""The app refuses to start without its keys, and never makes new ones over data."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from itworks import create_app, crypto
from itworks.crypto import KeyConfigError

STARTED = []


def start(instance: Path, database_url: str, **extra):  # noqa: ANN201
    started = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": database_url, **extra})
    STARTED.append(started)
    return started


@pytest.fixture(autouse=True)
def _dispose_started_apps():  # noqa: ANN202
    yield
    from itworks.db import db

    while STARTED:
        with STARTED.pop().app_context():
            db.engine.dispose()


@pytest.mark.parametrize(
    ("filename", "variable"),
    [
        ("master.key", "ITWORKS_MASTER_KEY"),
        ("blind-index.key", "ITWORKS_BLIND_INDEX_KEY"),
        ("session.key", "ITWORKS_SESSION_KEY"),
        ("signing.key", "ITWORKS_SIGNING_KEY"),
    ],
)
def test_missing_key_refuses_naming_file_and_variable(
    app, instance: Path, database_url: str, filename: str, variable: str
) -> None:
    (instance / "keys" / filename).unlink()
    with pytest.raises(KeyConfigError) as info:
        start(instance, database_url)
    assert str(instance / "keys" / filename) in str(info.value)
    assert variable in str(info.value)


@pytest.mark.parametrize("filename", ["master.key", "blind-index.key"])
def test_wrong_key_refuses(app, instance: Path, database_url: str, filename: str) -> None:
    path = instance / "keys" / filename
    key_id = path.read_text().split(":")[0]
    path.write_text(f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}\n")
    with pytest.raises(KeyConfigError, match="does not match this database") as info:
        start(instance, database_url)
    assert str(path) in str(info.value)


def test_master_key_missing_the_id_that_wraps_data_refuses(
    app, instance: Path, database_url: str, make_registrant
) -> None:
    make_registrant()
    path = instance / "keys" / "master.key"
    path.write_text(f"k5:{base64.b64encode(os.urandom(32)).decode()}\n")
    with pytest.raises(KeyConfigError, match="k1"):
        start(instance, database_url)


def test_init_refuses_to_replace_a_lost_key_over_existing_data(
    app, instance: Path, database_url: str, monkeypatch
) -> None:
    from itworks.services import instance as instance_service

    (instance / "keys" / "master.key").unlink()
    monkeypatch.setenv("ITWORKS_DATABASE_URL", database_url)
    (instance / "keys" / "session.key").unlink()
    with pytest.raises(KeyConfigError, match="restore the original key") as info:
        instance_service.prepare(instance, environ={})
    assert "master.key" in str(info.value) and "session.key" not in str(info.value)
    assert not (instance / "keys" / "master.key").exists()


def test_init_replaces_a_lost_session_or_signing_key(
    app, instance: Path, database_url: str, monkeypatch
) -> None:
    from itworks.services import instance as instance_service

    (instance / "keys" / "signing.key").unlink()
    monkeypatch.setenv("ITWORKS_DATABASE_URL", database_url)
    created = instance_service.prepare(instance, environ={})
    assert [p.name for p in created] == ["signing.key"]


def test_keys_in_environment_never_reach_app_config(
    app, instance: Path, database_url: str, monkeypatch
) -> None:
    text = (instance / "keys" / "master.key").read_text().strip()
    (instance / "keys" / "master.key").unlink()
    monkeypatch.setenv("ITWORKS_MASTER_KEY", text)
    started = start(instance, database_url)
    assert "MASTER_KEY" not in started.config
    assert all(text not in str(v) for v in started.config.values())


def test_config_precedence(instance: Path, database_url: str, monkeypatch, app) -> None:
    (instance / "config.toml").write_text('PAGE_SIZE = 10\nSMALL_CELL_K = 7\nLOG_LEVEL = "DEBUG"\n')
    monkeypatch.setenv("ITWORKS_SMALL_CELL_K", "9")
    started = start(instance, database_url, LOG_LEVEL="WARNING")
    assert started.config["PAGE_SIZE"] == 10  # file over default
    assert started.config["SMALL_CELL_K"] == 9  # environment over file
    assert started.config["LOG_LEVEL"] == "WARNING"  # test override over environment


def test_default_database_is_sqlite_in_the_instance(tmp_path: Path, monkeypatch) -> None:
    crypto.write_new_key_files(tmp_path / "keys")
    monkeypatch.setenv("ITWORKS_INSTANCE", str(tmp_path))
    monkeypatch.delenv("ITWORKS_DATABASE_URL", raising=False)
    started = create_app()
    STARTED.append(started)
    assert started.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'itworks.db'}"
    assert started.instance_path == str(tmp_path)


def test_secure_cookies_outside_development(app, instance: Path, database_url: str) -> None:
    started = start(instance, database_url)
    assert started.config["SESSION_COOKIE_SECURE"] is True
    assert started.config["SESSION_COOKIE_HTTPONLY"] is True
    assert started.config["SESSION_COOKIE_SAMESITE"] == "Lax"
