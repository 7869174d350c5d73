"""CSV written for Excel: nothing that came from outside can run as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from itworks import csvio

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    '@SUM(1+1)*cmd|" /C calc"!A0',
    "+cmd",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＋cmd",
    "－2+3",
    "＠SUM(1)",
]


def _cells(header, rows) -> list[list[str]]:
    buffer = io.StringIO()
    csvio.write_excel_csv(buffer, header, rows)
    text = buffer.getvalue()
    assert text.startswith(csvio.BOM)
    return list(csv.reader(io.StringIO(text[len(csvio.BOM) :], newline="")))


@pytest.mark.parametrize("value", HOSTILE)
def test_a_formula_like_cell_is_written_as_text(value: str) -> None:
    (header, row) = _cells(["name"], [[value]])
    assert row == ["'" + value]


def test_a_formula_like_header_is_written_as_text() -> None:
    (header,) = _cells(["=cmd"], [])
    assert header == ["'=cmd"]


@pytest.mark.parametrize("value", ["-6", "+1,141", "-0.5", "70%", "島根 太郎", "a=b", ""])
def test_plain_values_and_signed_numbers_are_unchanged(value: str) -> None:
    (_header, row) = _cells(["v"], [[value]])
    assert row == [value]


def test_numbers_and_missing_values() -> None:
    (_header, row) = _cells(["a", "b", "c"], [[-3, 2.5, None]])
    assert row == ["-3", "2.5", ""]
