"""Tests for itworks.fiscal: Japanese fiscal years in JST and wareki labels."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from itworks import fiscal
from itworks.fiscal import (
    JST,
    elapsed_fraction,
    fiscal_month_index,
    fiscal_months,
    fiscal_year_bounds_utc,
    fiscal_year_of,
    fiscal_year_period,
    fy_display,
    wareki_date,
    wareki_label,
    wareki_short,
)

# --------------------------------------------------------------------------- JST


def test_jst_is_utc_plus_nine() -> None:
    assert datetime(2022, 6, 1, tzinfo=JST).utcoffset() == timedelta(hours=9)
    assert datetime(2022, 12, 1, tzinfo=JST).utcoffset() == timedelta(hours=9)


def test_jst_falls_back_to_fixed_offset_without_tzdata(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(key: str) -> None:
        raise fiscal.ZoneInfoNotFoundError(key)

    monkeypatch.setattr(fiscal, "ZoneInfo", missing)
    tz = fiscal._load_jst()
    assert datetime(2022, 4, 1, tzinfo=tz).utcoffset() == timedelta(hours=9)


# --------------------------------------------------------------------------- fiscal_year_of


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # 2022-04-01 00:30 JST
        (datetime(2022, 3, 31, 15, 30, tzinfo=UTC), 2022),
        # 2022-03-31 23:59:59 JST
        (datetime(2022, 3, 31, 14, 59, 59, tzinfo=UTC), 2021),
        (datetime(2022, 3, 31, 15, 0, tzinfo=UTC), 2022),
        (datetime(2022, 4, 1, 0, 0, tzinfo=JST), 2022),
        (datetime(2022, 3, 31, 23, 59, 59, 999999, tzinfo=JST), 2021),
        # 2022-03-31 10:00 in New York is already 1 April in Tokyo
        (datetime(2022, 3, 31, 12, 0, tzinfo=timezone(timedelta(hours=-4))), 2022),
        (date(2022, 4, 1), 2022),
        (date(2022, 3, 31), 2021),
        (date(2023, 1, 1), 2022),
        (date(2022, 12, 31), 2022),
    ],
)
def test_fiscal_year_of(value: datetime | date, expected: int) -> None:
    assert fiscal_year_of(value) == expected


def test_fiscal_year_of_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        fiscal_year_of(datetime(2022, 4, 1))


def test_fiscal_year_of_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        fiscal_year_of("2022-04-01")  # type: ignore[arg-type]


_offsets = st.builds(
    timezone,
    st.timedeltas(min_value=timedelta(hours=-14), max_value=timedelta(hours=14)).map(
        lambda d: timedelta(minutes=d // timedelta(minutes=1))
    ),
)
_aware = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=_offsets
)


@given(_aware, _aware)
def test_fiscal_year_of_is_monotonic(a: datetime, b: datetime) -> None:
    earlier, later = sorted((a, b))
    assert fiscal_year_of(earlier) <= fiscal_year_of(later)


@given(_aware)
def test_fiscal_year_of_agrees_with_bounds(moment: datetime) -> None:
    fy = fiscal_year_of(moment)
    start, end = fiscal_year_bounds_utc(fy)
    assert start <= moment < end


# --------------------------------------------------------------------------- periods


def test_fiscal_year_period() -> None:
    assert fiscal_year_period(2022) == (date(2022, 4, 1), date(2023, 3, 31))
    assert fiscal_year_period(2023) == (date(2023, 4, 1), date(2024, 3, 31))


def test_fiscal_year_bounds_utc() -> None:
    start, end = fiscal_year_bounds_utc(2022)
    assert start == datetime(2022, 3, 31, 15, 0, tzinfo=UTC)
    assert end == datetime(2023, 3, 31, 15, 0, tzinfo=UTC)
    assert start.utcoffset() == timedelta(0)
    assert end.utcoffset() == timedelta(0)
    # Half-open: consecutive years share the boundary instant.
    assert fiscal_year_bounds_utc(2023)[0] == end


@pytest.mark.parametrize("fy", [True, 2022.0, "2022"])
def test_fiscal_year_must_be_int(fy: object) -> None:
    with pytest.raises(TypeError):
        fiscal_year_period(fy)  # type: ignore[arg-type]


@pytest.mark.parametrize("fy", [0, -1, 9999])
def test_fiscal_year_out_of_range(fy: int) -> None:
    with pytest.raises(ValueError):
        fiscal_year_period(fy)


def test_bounds_reject_year_one() -> None:
    with pytest.raises(ValueError):
        fiscal_year_bounds_utc(1)


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2022, 4, 1), 0),
        (date(2022, 4, 30), 0),
        (date(2022, 5, 15), 1),
        (date(2022, 12, 31), 8),
        (date(2023, 1, 1), 9),
        (date(2023, 3, 31), 11),
        (datetime(2022, 3, 31, 15, 0, tzinfo=UTC), 0),
    ],
)
def test_fiscal_month_index(d: date, expected: int) -> None:
    assert fiscal_month_index(d) == expected


def test_fiscal_months() -> None:
    months = fiscal_months(2022)
    assert len(months) == 12
    assert months[0] == date(2022, 4, 1)
    assert months[8] == date(2022, 12, 1)
    assert months[9] == date(2023, 1, 1)
    assert months[-1] == date(2023, 3, 1)
    assert [fiscal_month_index(m) for m in months] == list(range(12))
    assert {fiscal_year_of(m) for m in months} == {2022}


# --------------------------------------------------------------------------- elapsed


def test_elapsed_fraction_full_year() -> None:
    # FY2022 has 365 days; as_of counts as a completed day.
    assert elapsed_fraction(2022, date(2022, 4, 1)) == pytest.approx(1 / 365)
    assert elapsed_fraction(2022, date(2022, 9, 30)) == pytest.approx(183 / 365)
    assert elapsed_fraction(2022, date(2023, 3, 30)) == pytest.approx(364 / 365)
    assert elapsed_fraction(2022, date(2023, 3, 31)) == 1.0


def test_elapsed_fraction_leap_year() -> None:
    # FY2023 includes 29 February 2024, so it has 366 days.
    assert elapsed_fraction(2023, date(2023, 4, 1)) == pytest.approx(1 / 366)


def test_elapsed_fraction_with_contract_end() -> None:
    end = date(2023, 3, 20)  # 354 days from 2022-04-01 inclusive
    assert elapsed_fraction(2022, date(2022, 4, 1), end) == pytest.approx(1 / 354)
    assert elapsed_fraction(2022, date(2023, 3, 19), end) == pytest.approx(353 / 354)
    assert elapsed_fraction(2022, end, end) == 1.0
    assert elapsed_fraction(2022, date(2023, 3, 25), end) == 1.0


def test_elapsed_fraction_is_clamped() -> None:
    assert elapsed_fraction(2022, date(2022, 3, 31)) == 0.0
    assert elapsed_fraction(2022, date(2000, 1, 1)) == 0.0
    assert elapsed_fraction(2022, date(2023, 4, 1)) == 1.0
    assert elapsed_fraction(2022, date(2030, 1, 1)) == 1.0


def test_elapsed_fraction_accepts_aware_datetime_in_jst() -> None:
    # 2022-03-31T15:00Z is the first instant of 2022-04-01 in Japan.
    moment = datetime(2022, 3, 31, 15, 0, tzinfo=UTC)
    assert elapsed_fraction(2022, moment) == pytest.approx(1 / 365)


@pytest.mark.parametrize("end", [date(2022, 3, 31), date(2023, 4, 1), date(2024, 3, 31)])
def test_elapsed_fraction_rejects_end_outside_year(end: date) -> None:
    with pytest.raises(ValueError):
        elapsed_fraction(2022, date(2022, 10, 1), end)


def test_elapsed_fraction_single_day_contract() -> None:
    assert elapsed_fraction(2022, date(2022, 4, 1), date(2022, 4, 1)) == 1.0


@given(st.dates(min_value=date(2021, 1, 1), max_value=date(2024, 12, 31)))
def test_elapsed_fraction_within_unit_interval(d: date) -> None:
    value = elapsed_fraction(2022, d, date(2023, 3, 20))
    assert 0.0 <= value <= 1.0


# --------------------------------------------------------------------------- wareki


@pytest.mark.parametrize(
    ("fy", "label", "short"),
    [
        (2018, "平成30年度", "H30"),
        (2019, "平成31年度", "H31"),  # began 1 April 2019, before Reiwa
        (2020, "令和2年度", "R2"),
        (2021, "令和3年度", "R3"),
        (2022, "令和4年度", "R4"),
        (2023, "令和5年度", "R5"),
        (1988, "昭和63年度", "S63"),
        (1989, "平成元年度", "H1"),  # Heisei began 8 January 1989
        (1926, "大正15年度", "T15"),
        (1927, "昭和2年度", "S2"),
    ],
)
def test_wareki_fiscal_labels(fy: int, label: str, short: str) -> None:
    assert wareki_label(fy) == label
    assert wareki_short(fy) == short


def test_no_fiscal_year_is_labelled_reiwa_gannen() -> None:
    # Reiwa 1 only ever covered part of FY2019, which is labelled by Heisei.
    assert all("令和元" not in wareki_label(fy) for fy in range(2015, 2030))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ja", "令和4年度（FY2022）"),
        ("ja_JP", "令和4年度（FY2022）"),
        ("JA", "令和4年度（FY2022）"),
        ("en", "FY2022 (R4)"),
        ("en_US", "FY2022 (R4)"),
    ],
)
def test_fy_display(lang: str, expected: str) -> None:
    assert fy_display(2022, lang) == expected


def test_fy_display_defaults_to_japanese() -> None:
    assert fy_display(2019) == "平成31年度（FY2019）"
    assert fy_display(2019, "en") == "FY2019 (H31)"


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2023, 3, 20), "令和5年3月20日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2019, 12, 31), "令和元年12月31日"),
        (date(2020, 1, 1), "令和2年1月1日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1926, 12, 24), "大正15年12月24日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1912, 7, 29), "明治45年7月29日"),
        (date(1912, 7, 30), "大正元年7月30日"),
        (date(1873, 1, 1), "明治6年1月1日"),
        # The UTC evening of 30 April 2019 was already Reiwa in Japan.
        (datetime(2019, 4, 30, 15, 0, tzinfo=UTC), "令和元年5月1日"),
    ],
)
def test_wareki_date(d: date, expected: str) -> None:
    assert wareki_date(d) == expected


def test_wareki_date_rejects_pre_gregorian_dates() -> None:
    with pytest.raises(ValueError):
        wareki_date(date(1872, 12, 31))


def test_wareki_date_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError):
        wareki_date(datetime(2023, 3, 20, 12, 0))
