"""config.example.toml documents every configuration key, each with a comment."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from itworks import crypto
from itworks.config import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"
KEYS = [
    (crypto.MASTER_KEY_FILE, crypto.MASTER_KEY_ENV),
    (crypto.INDEX_KEY_FILE, crypto.INDEX_KEY_ENV),
    (crypto.SESSION_KEY_FILE, crypto.SESSION_KEY_ENV),
    (crypto.SIGNING_KEY_FILE, crypto.SIGNING_KEY_ENV),
]


def test_every_default_is_documented_with_a_comment() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    lines = text.splitlines()
    for key in DEFAULTS:
        index = next(
            (i for i, line in enumerate(lines) if re.match(rf"#?\s*{key}\s*=", line)), None
        )
        assert index is not None, f"{key} is not in config.example.toml"
        # A comment heads the block of settings the key belongs to.
        above = index - 1
        while above >= 0 and re.match(r"[A-Z_]+\s*=", lines[above]):
            above -= 1
        assert above >= 0 and lines[above].startswith("#"), f"{key} has no comment above it"


def test_example_values_equal_the_defaults() -> None:
    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for key, value in example.items():
        assert key in DEFAULTS, f"{key} is not a known setting"
        assert DEFAULTS[key] == value, key


def test_every_key_the_app_needs_is_documented() -> None:
    """The app refuses to start without these, so the reader must find all of them."""
    example = EXAMPLE.read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for filename, variable in KEYS:
        for name, text in (("config.example.toml", example), ("README.md", readme)):
            assert filename in text, f"{filename} is not in {name}"
            assert variable in text, f"{variable} is not in {name}"
