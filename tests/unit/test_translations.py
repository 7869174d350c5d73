"""Japanese first, English complete: every UI string has an English translation,
and the compiled catalogue matches the source catalogue."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "itworks" / "translations" / "en" / "LC_MESSAGES"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def _source_messages() -> set[str]:
    # N_ marks Japanese msgids below the entry points (itworks.i18n): they are UI text too.
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "N_": None}
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        ROOT / "itworks", METHODS, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_ui_string_has_an_english_translation() -> None:
    with open(CATALOG / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    translated = {m.id: m.string for m in catalog if m.id}
    used = _source_messages()
    assert len(used) > 40
    missing = sorted(m for m in used if not translated.get(m))
    assert missing == [], "run pybabel extract/update and translate these"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert fuzzy == []


def test_marked_messages_are_found_in_services_and_vocabulary() -> None:
    used = _source_messages()
    # A service's error, a vocabulary label and an API error: all reach the catalogue.
    assert "登録者が見つかりません" in used
    assert "直ぐに島根へUIターンしたい" in used
    assert "JSONとして読めません" in used


def test_translations_keep_the_parameters() -> None:
    with open(CATALOG / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    placeholder = re.compile(r"%\([a-z_]+\)[sd]")
    wrong = [
        m.id
        for m in catalog
        if m.id
        and m.string
        and sorted(placeholder.findall(m.id)) != sorted(placeholder.findall(m.string))
    ]
    assert wrong == []


def test_no_bilingual_literals_left_in_itworks() -> None:
    """「日本語 / English」 strings bypass the catalogue: mark the Japanese with N_ instead."""
    bilingual = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff][^\"\n]* / [A-Z][a-z]")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "itworks").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if bilingual.search(line)
    ]
    assert found == []


def test_compiled_catalogue_is_up_to_date() -> None:
    with open(CATALOG / "messages.po", "rb") as handle:
        source = {m.id: m.string for m in read_po(handle) if m.id}
    with open(CATALOG / "messages.mo", "rb") as handle:
        compiled = {m.id: m.string for m in read_mo(io.BytesIO(handle.read())) if m.id}
    assert compiled == source, "recompile with: pybabel compile -d itworks/translations"
