"""Every page of every role's menu, in Japanese and in English, in a real browser
(issue 16): a full-page screenshot of each at 1366 px, and on each page no
sideways scroll, no ``nan``, no yen amount with a decimal fraction, no small-cell
marker that disagrees with the page's note, no console error and, in English, no
Japanese UI text (data, era labels and the product's name excepted, as in
tests/web/test_english_pages.py).

The pages are read from the rendered header menu of each role (the <details>
menus included), so a page added to main.NAVIGATION later is walked too.
Findings are gathered per page and asserted once per role and language.
"""

from __future__ import annotations

import re
import shutil
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_journeys import (
    RENDERED_TEXT,
    SHOTS,
    WIDE,
    _login,
    _read_data_values,
    _start_data_values,
    _unexpected,
    _untranslated,
    _wait_for_charts,
)

PAGES = SHOTS / "pages"
ROLES = ("prefecture", "coordinator", "admin")
LANGS = ("ja", "en")
# Every link of the header menu, those inside the <details> groups too.
MENU = "header nav a[href]"

NAN = re.compile(r"\bnan\b|\bNaN\b")
FRACTIONAL_YEN = re.compile(r"[¥￥][\d,]+\.\d")
# The note of _suppression_note.html states k twice: "1〜4人 … 「<5」" (Japanese) and
# 'Groups of 1–4 people are shown as "<5"' (English).
NOTE_MARKER = re.compile(r"<\s*(\d+)")
NOTE_RANGE = re.compile(r"1\s*[〜–~-]\s*(\d+)")
CELL_MARKER = re.compile(r"<\s*(\d+)")
ALLOWED_OVERFLOW_PX = 1

# What one page shows, read after its scripts (charts included) ran.
PAGE_FACTS = """() => {
  const notes = Array.from(document.querySelectorAll("main .note, main p, main small"))
    .map(e => e.innerText)
    .filter(t => /<\\s*\\d+/.test(t) && /1\\s*[〜–~-]\\s*\\d+/.test(t));
  const cells = Array.from(document.querySelectorAll("main td, main th"))
    .map(e => e.innerText.trim())
    .filter(t => /<\\s*\\d+/.test(t));
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    text: document.body.innerText,
    notes: notes,
    cells: cells,
    lang: document.documentElement.getAttribute("lang"),
  };
}"""


@pytest.fixture(scope="module")
def data_values(demo_site) -> list[str]:  # noqa: ANN001
    """Every Japanese text the demo database holds (data, not UI); nothing here writes."""
    server, _logins = demo_site
    return _read_data_values(_start_data_values(server.instance))


@pytest.fixture(scope="module")
def shots_folder():  # noqa: ANN201
    shutil.rmtree(PAGES, ignore_errors=True)
    PAGES.mkdir(parents=True)
    return PAGES


def _slug(href: str) -> str:
    path = urlsplit(href).path
    return re.sub(r"[^\w-]+", "-", path.strip("/")).strip("-") or "dashboard"


def _menu(page) -> list[str]:  # noqa: ANN001
    hrefs = page.locator(MENU).evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return list(dict.fromkeys(h for h in hrefs if h.startswith("/")))


def _small_cell_findings(notes: list[str], cells: list[str]) -> list[str]:
    """Each note's k (from "<k" and from "1〜k-1") and every cell's marker must agree."""
    if not notes:
        return []
    found = []
    stated: set[int] = set()
    for note in notes:
        ks = {int(n) for n in NOTE_MARKER.findall(note)}
        ks |= {int(n) + 1 for n in NOTE_RANGE.findall(note)}
        if len(ks) != 1:
            found.append(f"small-cell note states more than one k {sorted(ks)}: {note!r}")
        stated |= ks
    for cell in cells:
        for n in CELL_MARKER.findall(cell):
            if int(n) not in stated:
                found.append(f"cell marker {cell!r} disagrees with the note's k {sorted(stated)}")
    return found


def _check(facts: dict, lang: str, rendered: list[str], data: list[str]) -> list[str]:
    found = []
    if facts["lang"] != lang:
        found.append(f'<html lang="{facts["lang"]}">, expected {lang}')
    if facts["scrollWidth"] > facts["innerWidth"] + ALLOWED_OVERFLOW_PX:
        found.append(
            f"horizontal scroll: scrollWidth {facts['scrollWidth']} > "
            f"innerWidth {facts['innerWidth']}"
        )
    text = facts["text"]
    for match in NAN.finditer(text):
        context = text[max(0, match.start() - 30) : match.end() + 30].replace("\n", " ")
        found.append(f"'{match.group()}' shown: …{context}…")
    found += [f"yen with a decimal fraction: {m}" for m in FRACTIONAL_YEN.findall(text)]
    found += _small_cell_findings(facts["notes"], facts["cells"])
    if lang == "en":
        found += [f"Japanese UI text: {line}" for line in _untranslated(rendered, data)]
    return found


CASES = [pytest.param(role, lang, id=f"{role}-{lang}") for role in ROLES for lang in LANGS]


def _open(page, role: str, lang: str, server, logins) -> None:  # noqa: ANN001
    page.set_viewport_size(WIDE)
    _login(page, server, logins, role)
    page.goto(server.url + f"/?lang={lang}")  # the choice is kept for the session
    assert page.locator("html").get_attribute("lang") == lang


def _walk(page, server, href: str, lang: str, data: list[str], shot=None) -> list[str]:  # noqa: ANN001
    """Everything wrong with one page, as readable lines."""
    errors_before = len(page.console_errors)
    response = page.goto(server.url + href)
    found = [] if response.status == 200 else [f"HTTP {response.status}"]
    _wait_for_charts(page)
    if shot is not None:
        page.screenshot(path=str(shot), full_page=True)
    facts = page.evaluate(PAGE_FACTS)
    rendered = page.evaluate(RENDERED_TEXT) if lang == "en" else []
    found += _check(facts, lang, rendered, data)
    found += [f"console error: {e}" for e in _unexpected(page.console_errors[errors_before:])]
    page.small_cell_notes = facts["notes"]
    return found


@pytest.mark.parametrize(("role", "lang"), CASES)
def test_every_page_of_the_menu(page, demo_site, data_values, shots_folder, role, lang) -> None:  # noqa: ANN001
    server, logins = demo_site
    assert role in logins, f"the demo printed no {role} login: {sorted(logins)}"
    _open(page, role, lang, server, logins)
    menu = _menu(page)
    assert len(menu) >= 3, f"{role}: the header menu has only {menu}"

    findings: dict[str, list[str]] = {}
    noted = []  # pages whose small-cell note was found: the check is not vacuous
    for href in menu:
        shot = shots_folder / f"{role}-{lang}-{_slug(href)}.png"
        found = _walk(page, server, href, lang, data_values, shot)
        if page.small_cell_notes:
            noted.append(href)
        if found:
            findings[href] = found

    # The small-cell note shows only to aggregate-only staff: there it must be found.
    if role == "prefecture":
        assert "/surveys/tallies" not in menu or "/surveys/tallies" in noted, noted
    report = [f"{href}: {line}" for href, lines in findings.items() for line in lines]
    assert report == [], f"{role}/{lang}, {len(menu)} pages walked:\n" + "\n".join(report)


# The checks themselves must be able to fail (no browser needed).


def test_checks_catch_what_they_look_for() -> None:
    facts = {
        "lang": "en",
        "scrollWidth": 1400,
        "innerWidth": 1366,
        "text": "Rate nan % and ¥1,234.5 but banana and NaNo stay",
        "notes": ['Groups of 1–4 people are shown as "<5"'],
        "cells": ["<5", "<3"],
    }
    found = _check(facts, "en", ["Tier", "ダッシュボード", "松江フェア"], ["松江フェア"])
    assert any(f.startswith("horizontal scroll") for f in found)
    assert sum(f.startswith("'nan' shown") for f in found) == 1
    assert "yen with a decimal fraction: ¥1,234.5" in found
    assert any("'<3' disagrees" in f for f in found)
    assert not any("'<5' disagrees" in f for f in found)
    assert "Japanese UI text: ダッシュボード" in found
    assert not any("松江フェア" in f for f in found)
    clean = dict(facts, scrollWidth=1367, text="¥1,234", cells=["<5", "x"])
    assert _check(clean, "en", ["Tier"], []) == []
    ja_note = ["集計値のみ表示しています。1〜4人の区分は「<5」、そこから逆算できる区分は「x」"]
    assert _small_cell_findings(ja_note, ["<5"]) == []
    assert _small_cell_findings(["1〜4人の区分は「<10」"], []) != []
