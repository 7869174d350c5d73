"""Settings keep the type their default declares, whatever their source."""

from __future__ import annotations

from pathlib import Path

import pytest

from itworks import config
from itworks.config import ConfigError, from_env_text, load_settings


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("PRIVACY_NOTICE_VERSION", "1", "1"),
        ("PRIVACY_NOTICE_VERSION", "2022-04", "2022-04"),
        ("LOG_LEVEL", "true", "true"),
        ("SMALL_CELL_K", "9", 9),
        ("SMALL_CELL_K", " 7 ", 7),
        ("DEVELOPMENT", "true", True),
        ("DEVELOPMENT", "0", False),
        ("DEVELOPMENT", "Off", False),
        ("TIER_LOW_CONFIDENCE", "0.75", 0.75),
        ("TIER_LOW_CONFIDENCE", "1", 1.0),
        ("LANGUAGES", '["ja"]', ["ja"]),
        ("RECONTACT_DAYS", '{"move_now": 7}', {"move_now": 7}),
        ("DATABASE_URL", "sqlite:///x.db", "sqlite:///x.db"),
        ("AS_OF_DATE", "2022-11-20", "2022-11-20"),
        ("CURRENT_FISCAL_YEAR", "2022", 2022),
    ],
)
def test_environment_text_becomes_the_declared_type(key: str, text: str, value: object) -> None:
    converted = from_env_text(key, text)
    assert converted == value and type(converted) is type(value)


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("SMALL_CELL_K", "five"),
        ("SMALL_CELL_K", "1.5"),
        ("DEVELOPMENT", "maybe"),
        ("TIER_LOW_CONFIDENCE", "high"),
        ("LANGUAGES", "ja"),
        ("RECONTACT_DAYS", "[1, 2]"),
        ("CURRENT_FISCAL_YEAR", "令和4"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_naming_the_key(key: str, text: str) -> None:
    with pytest.raises(ConfigError, match=f"ITWORKS_{key}"):
        from_env_text(key, text)


def test_unknown_keys_are_read_as_json_where_they_parse() -> None:
    assert from_env_text("SOMETHING_ELSE", "3") == 3
    assert from_env_text("SOMETHING_ELSE", "text") == "text"


def test_the_file_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("PRIVACY_NOTICE_VERSION = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="PRIVACY_NOTICE_VERSION"):
        load_settings(tmp_path, environ={})


def test_precedence_and_nested_keys(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        "SMALL_CELL_K = 7\nPAGE_SIZE = 10\nTIER_LOW_CONFIDENCE = 1\n"
        "[RECONTACT_DAYS]\nfew_years = 30\n",
        encoding="utf-8",
    )
    environ = {
        "ITWORKS_SMALL_CELL_K": "9",
        "ITWORKS_RECONTACT_DAYS__move_now": "7",
        "ITWORKS_MASTER_KEY": "k1:secret",
        "OTHER": "x",
    }
    settings = load_settings(tmp_path, {"PAGE_SIZE": 20}, environ=environ)
    assert settings["SMALL_CELL_K"] == 9
    assert settings["PAGE_SIZE"] == 20
    assert settings["TIER_LOW_CONFIDENCE"] == 1.0
    assert settings["RECONTACT_DAYS"]["move_now"] == 7
    assert settings["RECONTACT_DAYS"]["few_years"] == 30
    assert "MASTER_KEY" not in settings
    assert config.DEFAULTS["RECONTACT_DAYS"]["move_now"] == 14  # the default is not changed
