"""The service clock (recontact.service_now): real time, or a pinned day's."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from itworks.fiscal import JST
from itworks.services.errors import InvalidInput
from itworks.services.tiers import recontact

PINNED = "2022-11-20"


def _jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST)


def test_without_a_pinned_day_it_is_the_real_time() -> None:
    real = datetime(2026, 12, 4, 18, 30, 5, 123, tzinfo=UTC)
    assert recontact.service_now(None, real) == real
    assert recontact.service_now("", real) == real


def test_on_or_before_the_pinned_day_it_is_the_real_time() -> None:
    for real in (_jst(2022, 11, 20, 3, 30), _jst(2022, 11, 19, 12, 0)):
        assert recontact.service_now(PINNED, real) == real


@pytest.mark.parametrize("hour", [0, 3, 9, 18, 22])
def test_after_the_pinned_day_it_is_never_before_the_days_evening(hour: int) -> None:
    """A confirmation made at 03:30 must sort after the demo's 09:00 model run."""
    now = recontact.service_now(PINNED, _jst(2026, 12, 5, hour, 30))
    assert now == recontact.pinned_evening(date(2022, 11, 20)) == _jst(2022, 11, 20, 23, 0)


def test_late_in_the_real_evening_the_time_of_day_goes_on() -> None:
    first = recontact.service_now(PINNED, _jst(2026, 12, 5, 23, 10, 7, 999))
    later = recontact.service_now(PINNED, _jst(2026, 12, 5, 23, 40))
    assert first == _jst(2022, 11, 20, 23, 10, 7)
    assert later > first
    assert later.astimezone(JST).date() == date(2022, 11, 20)


def test_a_bad_pinned_day_names_the_setting() -> None:
    with pytest.raises(InvalidInput) as caught:
        recontact.service_now("20-11-2022", _jst(2026, 12, 5, 9, 0))
    assert "AS_OF_DATE" in caught.value.errors
