"""ITWORKS_* variables reach the running app as the type each setting declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from itworks import create_app
from itworks.config import ConfigError
from testsupport import person


@pytest.fixture
def start(instance: Path, database_url: str):  # noqa: ANN201
    started = []

    def start():  # noqa: ANN202
        app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": database_url})
        started.append(app)
        return app

    yield start
    from itworks.db import db

    for app in started:
        with app.app_context():
            db.engine.dispose()


def test_environment_values_keep_their_declared_types(start, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("ITWORKS_PRIVACY_NOTICE_VERSION", "1")
    monkeypatch.setenv("ITWORKS_SMALL_CELL_K", "8")
    monkeypatch.setenv("ITWORKS_DEVELOPMENT", "true")
    monkeypatch.setenv("ITWORKS_TIER_LOW_CONFIDENCE", "0.7")
    app = start()
    assert app.config["PRIVACY_NOTICE_VERSION"] == "1"
    assert app.config["SMALL_CELL_K"] == 8
    assert app.config["DEVELOPMENT"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["TIER_LOW_CONFIDENCE"] == 0.7


def test_a_numeric_privacy_notice_version_still_lets_people_register(start, monkeypatch) -> None:  # noqa: ANN001
    """ITWORKS_PRIVACY_NOTICE_VERSION=1 is the text "1" the website posts back."""
    from itworks.db import db
    from itworks.services.accounts import tokens

    monkeypatch.setenv("ITWORKS_PRIVACY_NOTICE_VERSION", "1")
    app = start()
    with app.app_context():
        token = tokens.create(db.session, "website", "intake", actor_label="test")
    body = person(consent={"notice_version": "1", "agreed": True})
    response = app.test_client().post(
        "/api/v1/registrations", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.json


@pytest.mark.parametrize(
    ("key", "text"),
    [("SMALL_CELL_K", "five"), ("DEVELOPMENT", "maybe"), ("TIER_LOW_CONFIDENCE", "x")],
)
def test_a_mistyped_variable_stops_the_start_naming_it(start, monkeypatch, key, text) -> None:  # noqa: ANN001
    monkeypatch.setenv(f"ITWORKS_{key}", text)
    with pytest.raises(ConfigError, match=f"ITWORKS_{key}"):
        start()


def test_the_cli_says_which_variable_is_wrong(runner, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("ITWORKS_SMALL_CELL_K", "five")
    result = runner.invoke(["users", "list"])
    assert result.exit_code == 2
    assert "ITWORKS_SMALL_CELL_K" in result.output
