"""Dates and numbers on pages are formatted by Flask-Babel, in the page's locale
(a template never formats a number itself)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_babel import force_locale

TEMPLATES = Path(__file__).resolve().parents[2] / "itworks" / "templates"


@pytest.fixture
def filters(app):  # noqa: ANN001, ANN201
    with app.test_request_context("/"):
        yield app.jinja_env.filters


def test_numbers_follow_the_locale(filters) -> None:  # noqa: ANN001
    assert filters["num"](1234567) == "1,234,567"
    assert filters["pct"](0.125, 1) == "12.5%"
    assert filters["pct"](2.13) == "213%"
    assert filters["fixed"](0.12345, 3) == "0.123"
    assert filters["fixed"](1.25, 1, True) == "+1.2"
    assert filters["count"](12345) == "12,345"
    assert filters["signed"](-6, "人") == "-6 人"
    assert filters["yen"](1500000) == "￥1,500,000"
    assert filters["yen"](21052.6) == "￥21,053"
    with force_locale("en"):
        assert filters["yen"](1500000) == "¥1,500,000"
    # Proof that Babel does the work: a locale with other separators changes them.
    with force_locale("de"):
        assert filters["num"](1234567) == "1.234.567"
        assert filters["fixed"](0.5, 1) == "0,5"
        assert filters["count"](12345) == "12.345"
    assert filters["num"](None) == "—"
    assert filters["filesize"](1536) == "1.5 KB"
    assert filters["filesize"](3 * 1024 * 1024) == "3.0 MB"
    with force_locale("de"):
        assert filters["filesize"](1536) == "1,5 KB"


def test_dates_are_japan_time_with_the_fiscal_year(filters) -> None:  # noqa: ANN001
    moment = datetime(2022, 4, 1, 0, 30, tzinfo=UTC)  # 09:30 in Japan
    with force_locale("ja"):
        assert filters["dt"](moment) == "2022-04-01 09:30 (令和4年度（FY2022）)"
        assert filters["d"](date(2022, 4, 1)).startswith("2022-04-01（令和4年")
    with force_locale("en"):
        assert filters["dt"](moment) == "2022-04-01 09:30 (FY2022 (R4))"
        assert filters["d"](date(2022, 4, 1)) == "2022-04-01"
    assert filters["d"](None) == "—"


def test_no_template_formats_a_number_itself() -> None:
    by_hand = re.compile(
        r"'%[+]?[.\d]*[df]'\s*\|\s*format|\"\{:,\}\"|'\{:,\}'|\|round\b"
        r"|\(\s*[\w.]+\s*[/*]\s*[\d.]+\s*\)\s*\|"  # arithmetic before a filter: (x / 1024)|…
    )
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if by_hand.search(line)
    ]
    assert found == []
