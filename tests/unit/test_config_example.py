"""config.example.toml documents every configuration key, each with a comment."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from itworks.config import DEFAULTS

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


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
