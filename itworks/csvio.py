"""Reading the spreadsheets people really send (UTF-8 with or without BOM, or
CP932 from Excel) and writing CSV that Excel opens (UTF-8 with BOM)."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import BinaryIO, TextIO

from charset_normalizer import from_bytes

from itworks.i18n import N_

from .fiscal import JST

BOM = "\ufeff"


class CsvFormatError(ValueError):
    """The file cannot be read as CSV at all (encoding, no header…)."""


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name of a CSV file: UTF-8 (BOM or not) or CP932/Shift_JIS."""
    if data.startswith(BOM.encode("utf-8")):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Excel on Japanese Windows saves "CSV" as CP932; let the detector confirm
    # rather than guessing, and refuse anything it cannot read cleanly.
    match = from_bytes(data, cp_isolation=["cp932", "shift_jis", "euc_jp"]).best()
    if match is None:
        raise CsvFormatError(
            N_("文字コードを判別できません（UTF-8 か Shift_JIS で保存してください）")
        )
    return str(match), match.encoding


def normalize_header(name: str) -> str:
    folded = unicodedata.normalize("NFKC", name).strip().lower()
    return re.sub(r"[\s_\-・]+", "_", folded)


def read_rows(
    data: bytes, aliases: Mapping[str, Iterable[str]]
) -> tuple[list[str], list[tuple[int, dict[str, str]]], str]:
    """Parse a CSV file into (known columns, [(line number, {field: value})], encoding).

    ``aliases`` maps each field to the headers it may appear under (English
    field names and common Japanese headers). Line numbers count the header as
    line 1, as a spreadsheet shows them. Unknown columns are ignored.
    """
    text, encoding = decode(data)
    columns, rows = _parse(io.StringIO(text, newline=""), aliases)
    return columns, list(rows), encoding


CHUNK_BYTES = 1 << 20
Source = bytes | str | os.PathLike | BinaryIO


def _binary(source: Source) -> BinaryIO:
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source)
    if isinstance(source, str | os.PathLike):
        return open(source, "rb")  # noqa: SIM115  (closed by the caller's stream)
    return source


def sniff_encoding(handle: BinaryIO) -> str:
    """The encoding of a seekable binary CSV stream, read in chunks (never whole):
    UTF-8 with or without BOM, else what the detector confirms among CP932, Shift_JIS
    and EUC-JP. Leaves the stream at its start."""
    handle.seek(0)
    head = handle.read(len(BOM.encode("utf-8")))
    handle.seek(0)
    if head == BOM.encode("utf-8"):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := handle.read(CHUNK_BYTES):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        handle.seek(0)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    handle.seek(0)
    sample = handle.read(CHUNK_BYTES)
    handle.seek(0)
    if len(sample) == CHUNK_BYTES and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]  # never cut a character in two
    match = from_bytes(sample, cp_isolation=["cp932", "shift_jis", "euc_jp"]).best()
    if match is None:
        raise CsvFormatError(
            N_("文字コードを判別できません（UTF-8 か Shift_JIS で保存してください）")
        )
    return match.encoding


def stream_rows(
    source: Source, aliases: Mapping[str, Iterable[str]]
) -> tuple[list[str], RowStream, str]:
    """Like :func:`read_rows`, but the rows come one at a time from the file (bytes,
    a path or a seekable binary file), so a file of a million rows is never held in
    memory. The encoding is checked before the first row; a row that cannot be read
    raises :class:`CsvFormatError` when the iteration reaches it."""
    handle = _binary(source)
    owned = handle is not source
    try:
        encoding = sniff_encoding(handle)
    except CsvFormatError:
        if owned:
            handle.close()
        raise
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    try:
        columns, rows = _parse(text, aliases)
    except (UnicodeDecodeError, CsvFormatError) as exc:
        if owned:
            text.close()
        if isinstance(exc, CsvFormatError):
            raise
        raise CsvFormatError(
            N_("文字コードを判別できません（UTF-8 か Shift_JIS で保存してください）")
        ) from None

    return columns, RowStream(rows, text if owned else None), encoding


class RowStream:
    """The rows of :func:`stream_rows`; closes the file it opened when exhausted, on a
    reading error, or on :meth:`close`."""

    def __init__(self, rows: Iterator[tuple[int, dict[str, str]]], text: io.TextIOBase | None):
        self._rows = rows
        self._text = text

    def __iter__(self) -> RowStream:
        return self

    def __next__(self) -> tuple[int, dict[str, str]]:
        try:
            return next(self._rows)
        except UnicodeDecodeError:
            self.close()
            raise CsvFormatError(
                N_("文字コードを判別できません（UTF-8 か Shift_JIS で保存してください）")
            ) from None
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._text is not None and not self._text.closed:
            self._text.close()


def count_lines(path: str | os.PathLike) -> int:
    """Line breaks in a file, read in chunks (for a progress bar's total)."""
    total = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            total += chunk.count(b"\n")
    return total


def _parse(
    text: Iterable[str], aliases: Mapping[str, Iterable[str]]
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The known columns of the header, and a generator of the rows after it."""
    lookup = {}
    for field, names in aliases.items():
        for name in (field, *names):
            lookup[normalize_header(name)] = field
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvFormatError(N_("空のファイルです")) from None
    except csv.Error as exc:
        raise CsvFormatError(N_("CSVとして読めません（%(error)s）", error=exc)) from None
    columns = [lookup.get(normalize_header(h)) for h in header]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            for record in reader:
                values = {}
                for field, cell in zip(columns, record, strict=False):
                    if field is not None:
                        cell = cell.strip()
                        if cell:
                            values[field] = cell
                if not values and not any(cell.strip() for cell in record):
                    continue
                yield reader.line_num, values
        except csv.Error as exc:
            raise CsvFormatError(
                N_(
                    "%(line)s行目をCSVとして読めません（%(error)s）",
                    line=reader.line_num,
                    error=exc,
                )
            ) from None

    return [c for c in columns if c], rows()


_DATE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_datetime(value: str) -> datetime:
    """A date or date-time as people type them; without a zone it is Asia/Tokyo.

    Accepts 2022-04-01, 2022/4/1, 2022年4月1日, with an optional time
    (10:30 or 10:30:15) and an optional zone (Z, +09:00).
    """
    match = _DATE.match(unicodedata.normalize("NFKC", value).strip())
    if not match:
        raise ValueError(N_("日付は 2022-04-01 や 2022/4/1 10:30 の形で入力してください"))
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        naive = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        raise ValueError(N_("存在しない日付です")) from None
    if zone is None:
        return naive.replace(tzinfo=JST)
    return datetime.fromisoformat(naive.isoformat() + (zone if zone != "Z" else "+00:00"))


# A cell Excel or LibreOffice would read as a formula (OWASP "CSV injection"), full-width
# forms included: spreadsheet apps fold them before parsing.
FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?\d[\d,]*(\.\d+)?%?")


def neutralize(value: object) -> object:
    """The cell as text that no spreadsheet evaluates: a leading quote before a formula start.

    Numbers, and text that is only a signed number such as ``-6``, are left alone.
    """
    if isinstance(value, str) and value and value[0] in FORMULA_START:
        if not _PLAIN_NUMBER.fullmatch(value):
            return "'" + value
    return value


def write_excel_csv(handle: TextIO, header: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Write CSV with a BOM so Excel opens it as UTF-8; returns the row count.

    Every cell goes through :func:`neutralize`: names, employers, UTM fields and
    campaign names come from outside and must never run as formulas.
    """
    handle.write(BOM)
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow([neutralize(v) for v in header])
    count = 0
    for row in rows:
        writer.writerow(["" if v is None else neutralize(v) for v in row])
        count += 1
    return count
