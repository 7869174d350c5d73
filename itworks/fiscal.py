"""Japanese fiscal years (1 April – 31 March, Asia/Tokyo) and wareki labels.

Pure helpers, standard library only. Fiscal year ``fy`` is named after the
calendar year in which it starts: FY2022 runs 2022-04-01 – 2023-03-31.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "JST",
    "Period",
    "elapsed_fraction",
    "fiscal_month_index",
    "fiscal_months",
    "fiscal_year_bounds_utc",
    "fiscal_year_of",
    "fiscal_year_period",
    "fy_display",
    "fy_short",
    "wareki_date",
    "wareki_label",
    "wareki_short",
]


def _load_jst() -> tzinfo:
    try:
        return ZoneInfo("Asia/Tokyo")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # Slim images ship without tzdata. Japan has had no DST since 1951,
        # so a fixed offset is exact for every date this service deals with.
        return timezone(timedelta(hours=9), "JST")


JST: tzinfo = _load_jst()

FISCAL_YEAR_START_MONTH = 4


def _jst_date(value: datetime | date) -> date:
    """Calendar date in Japan; naive datetimes are refused as ambiguous."""
    if isinstance(value, datetime):  # before date: datetime is a date subclass
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: pass a timezone-aware datetime")
        return value.astimezone(JST).date()
    if isinstance(value, date):
        return value
    raise TypeError("expected a date or an aware datetime")


def _check_fy(fy: int) -> int:
    # bool is an int subclass; the upper bound keeps date(fy + 1, 3, 31) valid.
    if isinstance(fy, bool) or not isinstance(fy, int):
        raise TypeError("fiscal year must be an int")
    if not 1 <= fy <= 9998:
        raise ValueError("fiscal year out of range")
    return fy


def fiscal_year_of(value: datetime | date) -> int:
    """Fiscal year containing ``value``.

    An aware datetime is converted to JST first, so 2022-03-31T15:30Z
    (2022-04-01 00:30 JST) is FY2022. A ``date`` is taken as a JST calendar
    date. A naive datetime raises :class:`ValueError`.
    """
    d = _jst_date(value)
    return d.year if d.month >= FISCAL_YEAR_START_MONTH else d.year - 1


def fiscal_year_period(fy: int) -> tuple[date, date]:
    """First and last day (both inclusive) of fiscal year ``fy``."""
    _check_fy(fy)
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def fiscal_year_bounds_utc(fy: int) -> tuple[datetime, datetime]:
    """Half-open ``[start, end)`` of ``fy`` as aware UTC datetimes.

    Meant for SQL range filters on UTC timestamps:
    ``start <= created_at < end``.
    """
    # FY1 would start in year 0 once shifted to UTC, which datetime cannot hold.
    if _check_fy(fy) < 2:
        raise ValueError("fiscal year out of range")
    start = datetime(fy, 4, 1, tzinfo=JST).astimezone(UTC)
    end = datetime(fy + 1, 4, 1, tzinfo=JST).astimezone(UTC)
    return start, end


def fiscal_month_index(value: datetime | date) -> int:
    """0 for April … 11 for March."""
    return (_jst_date(value).month - FISCAL_YEAR_START_MONTH) % 12


def fiscal_months(fy: int) -> list[date]:
    """First day of each of the 12 months of ``fy``, April first."""
    _check_fy(fy)
    return [date(fy + (m < FISCAL_YEAR_START_MONTH), m, 1) for m in (*range(4, 13), 1, 2, 3)]


def elapsed_fraction(fy: int, as_of: datetime | date, end: date | None = None) -> float:
    """Share of the period 1 April – ``end`` (default 31 March) completed by ``as_of``.

    Days are counted inclusively and ``as_of`` counts as finished: on 1 April
    the fraction is 1/N, on ``end`` it is 1.0, where N is the number of days
    from 1 April to ``end`` inclusive. Dates before the period give 0.0, after
    it 1.0. ``end`` lets a contract stop early (e.g. 2023-03-20 for FY2022);
    it must lie within the fiscal year.
    """
    start, fy_end = fiscal_year_period(fy)
    stop = fy_end if end is None else end
    if not start <= stop <= fy_end:
        raise ValueError("end must fall within the fiscal year")
    today = _jst_date(as_of)
    total = (stop - start).days + 1
    done = (today - start).days + 1
    return min(max(done / total, 0.0), 1.0)


@dataclass(frozen=True)
class Period:
    """One fiscal year measured on one day, with its bounds worked out once.

    Every published figure of a page, CSV, sheet or JSON answer counts the facts of
    ``fiscal_year`` recorded before ``cutoff_utc``: the end of ``as_of`` (Japan time)
    or the end of the year, whichever comes first. Build it with :meth:`of`.
    """

    fiscal_year: int
    as_of: date
    start: date  # 1 April
    end: date  # 31 March
    start_utc: datetime
    end_utc: datetime  # exclusive
    cutoff_utc: datetime  # exclusive end of what counts
    months: tuple[date, ...]  # first day of each month, April first
    month_starts_utc: tuple[datetime, ...]  # UTC start of each month, then the year's end

    @classmethod
    def of(cls, fiscal_year: int, as_of: date) -> Period:
        """The period of ``fiscal_year`` as it stands at the end of ``as_of``."""
        start, end = fiscal_year_period(fiscal_year)
        start_utc, end_utc = fiscal_year_bounds_utc(fiscal_year)
        day_end = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=JST)
        months = tuple(fiscal_months(fiscal_year))
        starts = tuple(datetime.combine(m, time(0), tzinfo=JST).astimezone(UTC) for m in months)
        return cls(
            fiscal_year=fiscal_year,
            as_of=as_of,
            start=start,
            end=end,
            start_utc=start_utc,
            end_utc=end_utc,
            cutoff_utc=min(end_utc, day_end.astimezone(UTC)),
            months=months,
            month_starts_utc=(*starts, end_utc),
        )

    @property
    def measured_on(self) -> date:
        """The as-of day, but never after the year's last day."""
        return min(self.as_of, self.end)

    @property
    def effective(self) -> date:
        """The as-of day held within the year (the day before it when it has not begun)."""
        return min(max(self.as_of, self.start - timedelta(days=1)), self.end)

    @property
    def months_elapsed(self) -> int:
        """Months of the year begun by the as-of day (0 before it starts, 12 after)."""
        return sum(1 for m in self.months if m <= self.effective)

    def shifted(self, years: int = -1) -> Period:
        """The same day ``years`` fiscal years away (29 February becomes the 28th)."""
        day = self.effective
        try:
            moved = day.replace(year=day.year + years)
        except ValueError:  # 29 February
            moved = day.replace(year=day.year + years, day=28)
        return Period.of(self.fiscal_year + years, moved)

    def whole_year(self) -> Period:
        """This fiscal year measured at its end."""
        return Period.of(self.fiscal_year, self.end)


# --------------------------------------------------------------------------- wareki


class Era(NamedTuple):
    """A Japanese era: first day, kanji name and one-letter abbreviation."""

    start: date
    name: str
    letter: str


# Newest first so the lookup can stop at the first era that has begun.
ERAS: tuple[Era, ...] = (
    Era(date(2019, 5, 1), "令和", "R"),
    Era(date(1989, 1, 8), "平成", "H"),
    Era(date(1926, 12, 25), "昭和", "S"),
    Era(date(1912, 7, 30), "大正", "T"),
    Era(date(1868, 10, 23), "明治", "M"),
)

# Japan adopted the Gregorian calendar on Meiji 6-01-01; earlier wareki dates
# are lunisolar and cannot be derived from a Gregorian date this simply.
EARLIEST_WAREKI_DATE = date(1873, 1, 1)


def _era_year(d: date) -> tuple[Era, int]:
    if d < EARLIEST_WAREKI_DATE:
        raise ValueError("dates before 1873-01-01 are not supported")
    # An era's year 1 runs from its first day to 31 December; year 2 starts on 1 January.
    era = next(e for e in ERAS if d >= e.start)
    return era, d.year - era.start.year + 1


def _year_text(n: int) -> str:
    # The first year of an era is written 元 (gannen), not 1.
    return "元" if n == 1 else str(n)


def wareki_label(fy: int) -> str:
    """Fiscal-year label by the era in force on 1 April, e.g. ``"令和4年度"``.

    FY2019 began under Heisei, so it is 平成31年度 even though Reiwa began
    on 1 May 2019; FY1989 is 平成元年度.
    """
    era, year = _era_year(fiscal_year_period(fy)[0])
    return f"{era.name}{_year_text(year)}年度"


def wareki_short(fy: int) -> str:
    """Abbreviated fiscal-year label, e.g. ``"R4"``, ``"H31"``, ``"H1"``."""
    era, year = _era_year(fiscal_year_period(fy)[0])
    return f"{era.letter}{year}"


def fy_display(fy: int, lang: str = "ja") -> str:
    """``"令和4年度（FY2022）"`` for Japanese, ``"FY2022 (R4)"`` otherwise.

    Any locale starting with ``ja`` (``ja``, ``ja_JP``) is Japanese; everything
    else falls back to English so an unexpected UI locale never breaks a page.
    """
    if lang.lower().startswith("ja"):
        return f"{wareki_label(fy)}（FY{fy}）"
    return f"FY{fy} ({wareki_short(fy)})"


def fy_short(fy: int, lang: str = "ja") -> str:
    """A fiscal year where space is short (chart axes): ``"令和4年度"`` or ``"FY2022"``."""
    return wareki_label(fy) if lang.lower().startswith("ja") else f"FY{fy}"


def wareki_date(value: datetime | date) -> str:
    """Date in wareki, era by the date itself, e.g. ``"令和5年3月20日"``."""
    d = _jst_date(value)
    era, year = _era_year(d)
    return f"{era.name}{_year_text(year)}年{d.month}月{d.day}日"
