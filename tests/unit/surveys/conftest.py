"""Fixtures for the survey library tests: the shipped instrument and a tiny one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import surveys

HEADER = """\
id = "tiny"
version = 1
title_ja = "小さな調査"
title_en = "Tiny survey"
purpose_ja = "テストのための調査です。"
purpose_en = "A survey for tests."
"""

# One question of each kind, small enough to spell out every feature by hand.
TINY_QUESTIONS = """\
[[questions]]
id = "when"
type = "single"
ordinal = true
required = true
label_ja = "いつ頃ですか。"
label_en = "When?"
short_ja = "時期"
short_en = "Timing"
reason_ja = "案内の時期を決めるためです。"
reason_en = "It decides when to invite."
choices = [
    { code = "soon", label_ja = "すぐ", label_en = "Soon" },
    { code = "mid", label_ja = "そのうち", label_en = "In a while" },
    { code = "late", label_ja = "ずっと先", label_en = "Much later" },
    { code = "unsure", label_ja = "未定", label_en = "Unsure", off_scale = true },
]

[[questions]]
id = "color"
type = "single"
label_ja = "好きな色は。"
label_en = "Favourite colour?"
short_ja = "色"
short_en = "Colour"
reason_ja = "資料の色を選ぶためです。"
reason_en = "It picks the leaflet colour."
choices = [
    { code = "red", label_ja = "赤", label_en = "Red" },
    { code = "blue", label_ja = "青", label_en = "Blue" },
]

[[questions]]
id = "langs"
type = "multiple"
label_ja = "使う言語は。"
label_en = "Languages?"
short_ja = "言語"
short_en = "Languages"
reason_ja = "勉強会の題材を選ぶためです。"
reason_en = "It picks study session topics."
choices = [
    { code = "py", label_ja = "Python", label_en = "Python" },
    { code = "js", label_ja = "JavaScript", label_en = "JavaScript" },
    { code = "none", label_ja = "なし", label_en = "None", exclusive = true },
]

[[questions]]
id = "years"
type = "number"
min = 0
max = 10
unit_ja = "年"
unit_en = "years"
label_ja = "経験年数は。"
label_en = "Years?"
short_ja = "経験"
short_en = "Experience"
reason_ja = "求人を絞るためです。"
reason_en = "It narrows the openings."

[[questions]]
id = "note"
type = "text"
max_length = 5
label_ja = "ひとこと"
label_en = "A word"
short_ja = "メモ"
short_en = "Note"
reason_ja = "面談に備えるためです。"
reason_en = "It prepares the interview."
"""

TINY_FEATURES = [
    "when:ord",
    "when=soon",
    "when=mid",
    "when=late",
    "when=unsure",
    "when:missing",
    "color=red",
    "color=blue",
    "color:missing",
    "langs=py",
    "langs=js",
    "langs=none",
    "langs:missing",
    "years",
    "years:missing",
]


@pytest.fixture(scope="session")
def readiness() -> surveys.Instrument:
    return surveys.load_instrument("readiness", 1)


@pytest.fixture
def write_instrument(tmp_path: Path) -> Callable[..., Path]:
    """Write an instrument file; ``questions`` is TOML for the [[questions]] blocks."""

    def write(questions: str, *, header: str = HEADER, name: str = "tiny.toml") -> Path:
        path = tmp_path / name
        path.write_text(header + "\n" + questions, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> surveys.Instrument:
    # Session scope lets Hypothesis tests use it (they refuse function-scoped fixtures).
    path = tmp_path_factory.mktemp("instruments") / "tiny-v1.toml"
    path.write_text(HEADER + "\n" + TINY_QUESTIONS, encoding="utf-8")
    return surveys.load_instrument_file(path)


@pytest.fixture
def tiny_features() -> list[str]:
    return list(TINY_FEATURES)
