"""Confidence intervals for response rates and their differences.

Response and conversion rates here rest on small counts (a few hundred
registrants, a few dozen hires), where the textbook Wald interval misbehaves;
the Wilson score interval and Newcombe's hybrid method keep good coverage and
stay inside [0, 1] (Newcombe 1998, Stat Med 17:857-872 and 873-890).
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

Z_95 = 1.959963984540054
"""The two-sided 95% standard normal quantile."""


class Interval(NamedTuple):
    """A confidence interval for a proportion."""

    low: float
    high: float


class DifferenceInterval(NamedTuple):
    """A difference of two proportions, ``p1 - p2``, with its confidence interval."""

    difference: float
    low: float
    high: float


def wilson_interval(successes: int, n: int, z: float = Z_95) -> Interval | None:
    """Return the Wilson score interval for ``successes`` out of ``n``.

    Method 3 of Newcombe (1998a), without continuity correction.

    Parameters
    ----------
    successes : int
        Number of successes, ``0 <= successes <= n``.
    n : int
        Number of trials.
    z : float, default 1.959963984540054
        Standard normal quantile; the default gives a two-sided 95% interval.

    Returns
    -------
    Interval or None
        ``(low, high)``; ``None`` when ``n`` is 0, since nothing was observed.

    Raises
    ------
    ValueError
        Counts are negative, not integers, or ``successes > n``; ``z <= 0``.

    Examples
    --------
    >>> low, high = wilson_interval(81, 263)
    >>> round(low, 4), round(high, 4)
    (0.2553, 0.3662)
    """
    _check_counts(successes, n)
    if not z > 0:
        raise ValueError(f"z must be positive, not {z!r}")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # At 0 or n successes the bound is exactly 0 or 1; rounding must not nudge it.
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == n else min(1.0, centre + half_width)
    return Interval(low, high)


def difference_interval(
    s1: int, n1: int, s2: int, n2: int, z: float = Z_95
) -> DifferenceInterval | None:
    """Return ``p1 - p2`` with a confidence interval by Newcombe's hybrid score method.

    This is method 10 of Newcombe (1998b): the Wilson score intervals
    ``(l1, u1)`` and ``(l2, u2)`` of each proportion are combined as::

        low  = d - sqrt((p1 - l1)**2 + (u2 - p2)**2)
        high = d + sqrt((u1 - p1)**2 + (p2 - l2)**2)

    Use it to compare, say, the response rate of two invitation campaigns.

    Parameters
    ----------
    s1, n1 : int
        Successes and trials of the first group.
    s2, n2 : int
        Successes and trials of the second group.
    z : float, default 1.959963984540054
        Standard normal quantile; the default gives a two-sided 95% interval.

    Returns
    -------
    DifferenceInterval or None
        ``(difference, low, high)``; ``None`` when either group has no trials.

    Raises
    ------
    ValueError
        As :func:`wilson_interval`.

    Examples
    --------
    >>> d = difference_interval(56, 70, 48, 80)
    >>> round(d.difference, 4), round(d.low, 4), round(d.high, 4)
    (0.2, 0.0524, 0.3339)
    """
    first = wilson_interval(s1, n1, z)
    second = wilson_interval(s2, n2, z)
    if first is None or second is None:
        return None
    p1, p2 = s1 / n1, s2 / n2
    difference = p1 - p2
    low = difference - math.hypot(p1 - first.low, second.high - p2)
    high = difference + math.hypot(first.high - p1, p2 - second.low)
    return DifferenceInterval(difference, max(-1.0, low), min(1.0, high))


def _check_counts(successes: int, n: int) -> None:
    for name, value in (("successes", successes), ("n", n)):
        # numbers.Integral admits numpy and pandas counts as well as int.
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{name} must be an integer count, not {value!r}")
        if value < 0:
            raise ValueError(f"{name} must not be negative, not {value}")
    if successes > n:
        raise ValueError(f"successes ({successes}) cannot exceed n ({n})")
