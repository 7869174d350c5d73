"""Wilson and Newcombe intervals against the published worked examples.

Reference values are from Newcombe (1998), "Two-sided confidence intervals for
the single proportion" (method 3) and "Interval estimation for the difference
between independent proportions" (method 10), Statistics in Medicine 17.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.stats import Z_95, DifferenceInterval, Interval, difference_interval, wilson_interval


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_published_values(successes, n, low, high):
    interval = wilson_interval(successes, n)
    assert isinstance(interval, Interval)
    assert interval == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_wilson_bounds_are_exact_at_the_extremes():
    assert wilson_interval(0, 20).low == 0.0
    assert wilson_interval(20, 20).high == 1.0


def test_wilson_narrows_with_smaller_z():
    wide, narrow = wilson_interval(30, 100), wilson_interval(30, 100, z=1.0)
    assert narrow.low > wide.low and narrow.high < wide.high


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((56, 70, 48, 80), (0.2000, 0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.6000, 0.1705, 0.8090)),
        ((5, 56, 0, 29), (0.0893, -0.0381, 0.1926)),
        ((0, 10, 0, 20), (0.0, -0.1611, 0.2775)),
        ((10, 10, 0, 10), (1.0, 0.6075, 1.0)),
    ],
)
def test_newcombe_hybrid_score_matches_published_values(counts, expected):
    result = difference_interval(*counts)
    assert isinstance(result, DifferenceInterval)
    assert result == tuple(pytest.approx(value, abs=5e-5) for value in expected)


def test_swapping_the_groups_mirrors_the_interval():
    forward, backward = difference_interval(56, 70, 48, 80), difference_interval(48, 80, 56, 70)
    assert backward.difference == pytest.approx(-forward.difference)
    assert (backward.low, backward.high) == (
        pytest.approx(-forward.high),
        pytest.approx(-forward.low),
    )


def test_no_trials_gives_no_interval():
    assert wilson_interval(0, 0) is None
    assert difference_interval(0, 0, 3, 10) is None
    assert difference_interval(3, 10, 0, 0) is None


@pytest.mark.parametrize(
    ("successes", "n"), [(5, 3), (-1, 3), (1, -3), (1.0, 3), (True, 3), ("1", 3)]
)
def test_impossible_counts_are_refused(successes, n):
    with pytest.raises(ValueError):
        wilson_interval(successes, n)


def test_non_positive_z_is_refused():
    with pytest.raises(ValueError, match="z"):
        wilson_interval(1, 3, z=0)


def test_numpy_counts_are_accepted():
    assert wilson_interval(np.int64(81), np.int64(263)) == wilson_interval(81, 263)


def test_default_z_is_the_95_percent_quantile():
    assert Z_95 == pytest.approx(1.959963984540054)


@settings(database=None)
@given(st.integers(0, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_estimate_and_stays_in_range(counts):
    successes, n = counts
    interval = wilson_interval(successes, n)
    if n == 0:
        assert interval is None
    else:
        assert 0.0 <= interval.low <= successes / n <= interval.high <= 1.0


counts = st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(database=None)
@given(counts, counts)
def test_difference_contains_the_estimate_and_stays_in_range(first, second):
    result = difference_interval(*first, *second)
    assert -1.0 <= result.low <= result.difference <= result.high <= 1.0
