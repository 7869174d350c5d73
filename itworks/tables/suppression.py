"""Small-cell suppression for published breakdowns (pure: pandas and numpy only).

The rule, applied to every breakdown shown to prefecture staff, read tokens, charts,
JSON, CSV and the report:

1. **Primary suppression.** A count between 1 and k−1 is hidden and shown as ``"<k"``
   (``primary_marker(k)``). Zero is published: an empty cell identifies no one.
2. **Complementary suppression.** A hidden cell must not be recoverable from what is
   published. In a table with row and column totals every line (row or column, the
   totals included) is one linear equation; a hidden cell is determined by the published
   cells exactly when it is a *bridge* of the graph whose nodes are the lines and whose
   edges are the hidden cells. So more cells are hidden until no hidden cell is a bridge
   (which implies every line with a hidden cell holds at least two). Further cells are
   also hidden where the ``<k`` bounds alone would pin the values down (two hidden 1s in
   a row whose hidden part sums to 2 must both be 1).
   Complementary cells are chosen smallest non-zero first, interior cells before totals.
   A complement of k or more is shown as ``"x"`` (``COMPLEMENT_MARKER``, the 秘匿 mark
   of Japanese official statistics), because ``"<k"`` would misstate it; a zero
   complement is shown as ``"<k"`` (which is true of zero), so that it cannot be told
   apart from the small cell it protects.
3. **Totals** are part of the table: a total between 1 and k−1 is itself hidden, and a
   total is hidden as a complement only when no interior cell can do the job.

The four official headline totals of the KPI measures are never passed through here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import numpy as np
import pandas as pd

TOTAL_LABEL = "計"
COMPLEMENT_MARKER = "x"
DEFAULT_K = 5


def primary_marker(k: int) -> str:
    """Return the string shown instead of a count between 1 and k−1."""
    return f"<{k}"


def is_hidden(value: object) -> bool:
    """Tell whether a published cell is a suppression marker rather than a count."""
    return isinstance(value, str)


def suppress_counts(
    counts: pd.Series, k: int = DEFAULT_K, *, also_hide: Iterable = ()
) -> pd.Series:
    """Suppress a one-way breakdown whose total is published elsewhere.

    Returns an object-dtype Series with the same index: counts, ``"<k"`` for counts
    between 1 and k−1 (and for hidden zeros), and ``"x"`` for complementary cells of k
    or more, hidden so that the hidden ones cannot be worked out by subtracting the
    visible ones from the total. The
    total itself is not appended (the caller publishes it). ``also_hide`` names labels
    that must be hidden anyway (because a linked table hides them).
    """
    values = _validated(counts.to_numpy(), k)
    hidden = (values >= 1) & (values < k)
    primary = hidden.copy()
    forced = set(also_hide)
    for position, label in enumerate(counts.index):
        if label in forced:
            hidden[position] = True
    while _line_needs_complement(values, hidden, primary, k, margin_hidden=False):
        choice = _cheapest(values, hidden, range(len(values)))
        if choice is None:
            break
        hidden[choice] = True
    out = pd.Series(list(values), index=counts.index, name=counts.name, dtype=object)
    for position in np.flatnonzero(hidden).tolist():
        out.iloc[position] = _marker(int(values[position]), k)
    return out


def suppress_crosstab(
    table: pd.DataFrame,
    k: int = DEFAULT_K,
    *,
    also_hide: Iterable[tuple] = (),
    published: Iterable[tuple] = (),
) -> pd.DataFrame:
    """Suppress a two-way table of counts and add its totals, labelled ``"計"``.

    ``table`` holds non-negative integer counts without totals. The result is an
    object-dtype frame one row and one column larger: published counts as ints,
    ``"<k"`` for counts between 1 and k−1 (and for hidden zeros) and ``"x"`` for
    complementary cells of k or more (totals included), hidden so that no hidden cell
    can be recovered from what is shown.
    ``also_hide`` lists (row, column) labels of the result, totals included, that must
    be hidden anyway: tables that share their totals stay consistent that way (see
    ``suppress_linked``). ``published`` lists cells (usually totals) that another
    table publishes exactly: they are never hidden, and the other cells are protected
    with those figures known. A cell that cannot be protected then (every other
    cell of one of its lines is published) is derivable anyway and is shown.
    """
    inner = _validated(table.to_numpy(), k).reshape(table.shape)
    rows, cols = inner.shape
    full = np.zeros((rows + 1, cols + 1), dtype=np.int64)
    full[:rows, :cols] = inner
    full[:rows, cols] = inner.sum(axis=1)
    full[rows, :cols] = inner.sum(axis=0)
    full[rows, cols] = inner.sum()
    hidden = (full >= 1) & (full < k)
    primary = hidden.copy()
    index = pd.Index([*table.index.tolist(), TOTAL_LABEL], name=table.index.name)
    columns = pd.Index([*table.columns.tolist(), TOTAL_LABEL], name=table.columns.name)
    fixed = np.zeros_like(hidden)
    for row, column in published:
        fixed[index.get_loc(row), columns.get_loc(column)] = True
    hidden &= ~fixed
    primary &= ~fixed
    for row, column in also_hide:
        hidden[index.get_loc(row), columns.get_loc(column)] = True
    _complement(full, hidden, primary, k, fixed)

    out = pd.DataFrame(full.tolist(), index=index, columns=columns, dtype=object)
    for r, c in zip(*np.nonzero(hidden), strict=True):
        out.iat[r, c] = _marker(int(full[r, c]), k)
    return out


def suppress_linked(tables: dict[str, pd.DataFrame], k: int = DEFAULT_K) -> dict[str, pd.DataFrame]:
    """Suppress several breakdowns of the same people by different row variables.

    The tables share their column totals (the ``"計"`` row). A total hidden in one
    table but shown in another would undo the first table's protection, so the
    hidden cells of the ``"計"`` row are made the same in every table (repeated
    until nothing changes).
    """
    shared: set = set()
    while True:
        out = {
            name: suppress_crosstab(
                table, k, also_hide=[(TOTAL_LABEL, column) for column in shared]
            )
            for name, table in tables.items()
        }
        hidden = {
            column
            for frame in out.values()
            for column, value in frame.loc[TOTAL_LABEL].items()
            if is_hidden(value)
        }
        if hidden <= shared:
            return out
        shared |= hidden


# ----------------------------------------------------------------------------- internals


def _marker(value: int, k: int) -> str:
    # "<k" is true of a hidden zero too, so a zero complement looks like a small
    # cell and the reader cannot tell which of them holds the people.
    return primary_marker(k) if value < k else COMPLEMENT_MARKER


def _validated(values: np.ndarray, k: int) -> np.ndarray:
    if k < 1:
        raise ValueError("k must be at least 1")
    numeric = pd.to_numeric(pd.Series(values.ravel()), errors="raise").to_numpy(dtype=float)
    if np.isnan(numeric).any() or (numeric < 0).any() or (numeric != np.round(numeric)).any():
        raise ValueError("counts must be non-negative integers")
    return numeric.astype(np.int64)


# A position: an int in a line, an (r, c) pair in a table.
_Cell = TypeVar("_Cell", int, tuple[int, int])


def _cheapest(
    values: np.ndarray,
    hidden: np.ndarray,
    candidates: Iterable[_Cell],
    fixed: np.ndarray | None = None,
) -> _Cell | None:
    """Pick the visible candidate that costs least to hide: smallest non-zero first.
    Cells in ``fixed`` (published elsewhere) are never picked."""
    best = None
    best_key = None
    for cell in candidates:
        if hidden[cell] or (fixed is not None and fixed[cell]):
            continue
        value = int(values[cell])
        key = (value == 0, value)
        if best_key is None or key < best_key:
            best, best_key = cell, key
    return best


def _line_needs_complement(
    values: np.ndarray,
    hidden: np.ndarray,
    primary: np.ndarray,
    k: int,
    *,
    margin_hidden: bool,
) -> bool:
    """Whether one line (its cells summing to a published total) leaks a hidden cell."""
    if margin_hidden:
        return False
    count = int(hidden.sum())
    if count == 0:
        return False
    if count == 1:
        return True
    if primary[hidden].all():
        # Every hidden cell is known to lie in 1..k−1; their sum is known. All ones or
        # all k−1 are then the only solution.
        total = int(values[hidden].sum())
        return total == count or total == count * (k - 1)
    return False


def _lines(rows: int, cols: int) -> list[list[tuple[int, int]]]:
    """Every line of the (rows+1)×(cols+1) table; a line's own total is its last cell."""
    lines = [[(r, c) for c in range(cols + 1)] for r in range(rows + 1)]
    lines += [[(r, c) for r in range(rows + 1)] for c in range(cols + 1)]
    return lines


def _complement(
    full: np.ndarray,
    hidden: np.ndarray,
    primary: np.ndarray,
    k: int,
    fixed: np.ndarray | None = None,
) -> None:
    rows, cols = full.shape[0] - 1, full.shape[1] - 1
    if fixed is None:
        fixed = np.zeros_like(hidden)
    lines = _lines(rows, cols)
    changed = True
    while changed:
        changed = False
        for line in lines:
            margin = line[-1]
            inner = line[:-1]
            if sum(bool(hidden[c]) for c in line) == 1:
                need = True  # one hidden cell in a line is its total minus the rest
            else:
                need = _line_needs_complement(
                    np.array([full[c] for c in inner]),
                    np.array([hidden[c] for c in inner]),
                    np.array([primary[c] for c in inner]),
                    k,
                    margin_hidden=bool(hidden[margin]),
                )
            if not need:
                continue
            # Interior cells first, then totals, the grand total last.
            interior = [c for c in inner if c[0] < rows and c[1] < cols]
            totals = [c for c in line if c not in interior and c != (rows, cols)]
            choice = _cheapest(full, hidden, interior, fixed) or _cheapest(
                full, hidden, totals, fixed
            )
            if choice is None and not fixed[rows, cols]:
                choice = (rows, cols)
            if choice is None:
                # Everything else in the line is published: its hidden cells are
                # determined by published figures, so they are published too.
                for cell in line:
                    if hidden[cell]:
                        hidden[cell] = primary[cell] = False
                        fixed[cell] = True
                changed = True
                continue
            if hidden[choice]:  # pragma: no cover - a line always has a visible cell then
                raise AssertionError("no cell left to hide in a leaking line")
            hidden[choice] = True
            changed = True
        if not changed:
            bridge = _find_bridge(hidden, rows, cols)
            if bridge is not None:
                breaker = _bridge_breaker(full, hidden, rows, cols, bridge, fixed)
                if breaker is None:  # the bridge cell is determined by published figures
                    cell = (int(bridge[0][1]), int(bridge[1][1]))
                    hidden[cell] = primary[cell] = False
                    fixed[cell] = True
                else:
                    hidden[breaker] = True
                changed = True


def _graph(hidden: np.ndarray, rows: int, cols: int) -> dict[tuple[str, int], set]:
    """Lines as nodes (("r", i), ("c", j)); hidden cells as edges between them."""
    adjacency: dict[tuple[str, int], set] = {}
    for r, c in zip(*np.nonzero(hidden), strict=True):
        adjacency.setdefault(("r", int(r)), set()).add(("c", int(c)))
        adjacency.setdefault(("c", int(c)), set()).add(("r", int(r)))
    return adjacency


def _reachable(adjacency: dict, start: tuple, skip: tuple) -> set:
    seen = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        for other in adjacency.get(node, ()):
            if {node, other} == set(skip) or other in seen:
                continue
            seen.add(other)
            stack.append(other)
    return seen


def _find_bridge(hidden: np.ndarray, rows: int, cols: int) -> tuple | None:
    adjacency = _graph(hidden, rows, cols)
    for r, c in zip(*np.nonzero(hidden), strict=True):
        edge = (("r", int(r)), ("c", int(c)))
        if edge[1] not in _reachable(adjacency, edge[0], edge):
            return edge
    return None


def _bridge_breaker(
    full: np.ndarray,
    hidden: np.ndarray,
    rows: int,
    cols: int,
    bridge: tuple,
    fixed: np.ndarray | None = None,
) -> tuple[int, int] | None:
    """A visible cell joining the two sides of a bridge, so it lies on a cycle."""
    adjacency = _graph(hidden, rows, cols)
    side_a = _reachable(adjacency, bridge[0], bridge)
    side_b = _reachable(adjacency, bridge[1], bridge)
    candidates = []
    for side_rows, side_cols in ((side_a, side_b), (side_b, side_a)):
        for kind_r, r in side_rows:
            if kind_r != "r":
                continue
            for kind_c, c in side_cols:
                if kind_c == "c":
                    candidates.append((r, c))
    interior = [cell for cell in candidates if cell[0] < rows and cell[1] < cols]
    choice = _cheapest(full, hidden, interior, fixed) or _cheapest(full, hidden, candidates, fixed)
    if choice is None and fixed is None:  # pragma: no cover - a bridge has a visible chord
        raise AssertionError("no cell can protect the bridge")
    return choice
