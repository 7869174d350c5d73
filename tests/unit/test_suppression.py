"""Small-cell suppression: no small cell shown, none recoverable from the totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from itworks.tables.suppression import (
    COMPLEMENT_MARKER,
    TOTAL_LABEL,
    is_hidden,
    suppress_counts,
    suppress_crosstab,
)


def _full(table: np.ndarray) -> np.ndarray:
    rows, cols = table.shape
    full = np.zeros((rows + 1, cols + 1), dtype=np.int64)
    full[:rows, :cols] = table
    full[:rows, cols] = table.sum(axis=1)
    full[rows, :cols] = table.sum(axis=0)
    full[rows, cols] = table.sum()
    return full


def _recoverable(hidden: np.ndarray) -> list[tuple[int, int]]:
    """Hidden cells that the published cells determine (linear algebra, not the graph)."""
    cells = list(zip(*np.nonzero(hidden), strict=True))
    if not cells:
        return []
    rows, cols = hidden.shape[0] - 1, hidden.shape[1] - 1
    equations = []
    for r in range(rows + 1):
        equations.append([(1 if c < cols else -1) if r2 == r else 0 for r2, c in cells])
    for c in range(cols + 1):
        equations.append([(1 if r < rows else -1) if c2 == c else 0 for r, c2 in cells])
    matrix = np.array(equations, dtype=float)
    rank = np.linalg.matrix_rank(matrix)
    found = []
    for position, cell in enumerate(cells):
        unit = np.zeros((1, len(cells)))
        unit[0, position] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.append(cell)
    return found


def _check(table: np.ndarray, k: int) -> pd.DataFrame:
    frame = pd.DataFrame(table)
    out = suppress_crosstab(frame, k)
    full = _full(table)
    assert out.shape == full.shape
    assert out.index[-1] == TOTAL_LABEL and out.columns[-1] == TOTAL_LABEL
    hidden = np.zeros(full.shape, dtype=bool)
    for r in range(full.shape[0]):
        for c in range(full.shape[1]):
            value = out.iat[r, c]
            if is_hidden(value):
                hidden[r, c] = True
                assert value in (f"<{k}", COMPLEMENT_MARKER)
                if value == f"<{k}":
                    assert full[r, c] < k
                else:
                    assert full[r, c] >= k
            else:
                assert value == full[r, c]
                assert not 1 <= value < k, "a small count is published"
    # Every line holding a hidden cell holds at least two (its total included).
    for line in [*hidden, *hidden.T]:
        assert line.sum() != 1
    assert _recoverable(hidden) == []
    return out


tables = st.integers(1, 5).flatmap(
    lambda rows: st.integers(1, 5).flatmap(
        lambda cols: arrays(
            np.int64,
            (rows, cols),
            elements=st.one_of(st.integers(0, 6), st.integers(0, 60)),
        )
    )
)


@settings(max_examples=300, deadline=None)
@given(table=tables, k=st.integers(2, 6))
def test_crosstab_hides_small_cells_and_leaves_none_recoverable(table, k):
    _check(table, k)


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(0, 40), min_size=1, max_size=8),
    k=st.integers(2, 6),
)
def test_counts_hide_small_cells_and_leave_none_recoverable(counts, k):
    out = suppress_counts(pd.Series(counts), k)
    hidden = [is_hidden(v) for v in out]
    for value, shown in zip(counts, out, strict=True):
        if not is_hidden(shown):
            assert shown == value
            assert not 1 <= shown < k
        elif shown == f"<{k}":
            assert value < k
        else:
            assert value >= k
    if any(hidden):
        assert sum(hidden) >= 2 or len(counts) == 1


def test_crosstab_worked_example():
    table = pd.DataFrame(
        {"U": [12, 3, 20], "I": [30, 25, 40]}, index=["move_now", "few_years", "one_option"]
    )
    out = suppress_crosstab(table, 5)
    assert out.loc["few_years", "U"] == "<5"
    # The cheapest complement is in the same column and row: few_years/I and move_now/U.
    assert out.loc["few_years", "I"] == COMPLEMENT_MARKER
    assert out.loc["move_now", "U"] == COMPLEMENT_MARKER
    assert out.loc["move_now", "I"] == COMPLEMENT_MARKER
    assert out.loc[TOTAL_LABEL, TOTAL_LABEL] == 130
    assert out.loc[TOTAL_LABEL, "U"] == 35
    assert out.loc["one_option", TOTAL_LABEL] == 60


def test_counts_worked_example():
    counts = pd.Series({"google": 40, "x": 2, "line": 7, "direct": 0})
    out = suppress_counts(counts, 5)
    assert out.to_dict() == {"google": 40, "x": "<5", "line": "x", "direct": 0}


def test_nothing_small_means_nothing_hidden():
    out = suppress_crosstab(pd.DataFrame([[0, 10], [5, 6]]), 5)
    assert out.to_numpy().tolist() == [[0, 10, 10], [5, 6, 11], [5, 16, 21]]


@pytest.mark.parametrize("bad", [[-1, 3], [1.5, 2]])
def test_rejects_what_is_not_a_count(bad):
    with pytest.raises(ValueError):
        suppress_counts(pd.Series(bad), 5)


def _hidden_mask(frame: pd.DataFrame) -> np.ndarray:
    return np.array([[is_hidden(v) for v in row] for row in frame.to_numpy()])


@settings(max_examples=100, deadline=None)
@given(
    cube=st.integers(1, 4).flatmap(
        lambda a: st.integers(1, 4).flatmap(
            lambda b: arrays(np.int64, (a, b, 4), elements=st.integers(0, 12))
        )
    ),
    k=st.integers(2, 5),
)
def test_linked_tables_hide_the_same_totals(cube, k):
    from itworks.tables.suppression import suppress_linked

    by_a = pd.DataFrame(cube.sum(axis=1))
    by_b = pd.DataFrame(cube.sum(axis=0))
    out = suppress_linked({"a": by_a, "b": by_b}, k)
    totals = [[is_hidden(v) for v in frame.loc[TOTAL_LABEL]] for frame in out.values()]
    assert totals[0] == totals[1]
    for frame in out.values():
        hidden = _hidden_mask(frame)
        assert _recoverable(hidden) == []
        for line in [*hidden, *hidden.T]:
            assert line.sum() != 1


def test_also_hide_forces_a_cell_and_its_complements():
    table = pd.DataFrame({"a": [10, 20], "b": [30, 40]}, index=["r1", "r2"])
    out = suppress_crosstab(table, 5, also_hide=[("r1", "a")])
    hidden = _hidden_mask(out)
    assert out.loc["r1", "a"] == COMPLEMENT_MARKER
    assert _recoverable(hidden) == []
    counts = suppress_counts(pd.Series({"a": 10, "b": 20, "c": 30}), 5, also_hide=["b"])
    assert counts.to_dict() == {"a": "x", "b": "x", "c": 30}


@pytest.mark.parametrize(
    "table", [[[3, 6], [8, 9], [2, 0]], [[1, 7, 6], [0, 9, 12], [5, 5, 0]], [[2], [7]]]
)
def test_totals_published_elsewhere_stay_shown_and_protect_the_rest(table) -> None:  # noqa: ANN001
    values = np.array(table)
    full = _full(values)
    rows = [*range(values.shape[0]), TOTAL_LABEL]
    out = suppress_crosstab(pd.DataFrame(values), 5, published=[(r, TOTAL_LABEL) for r in rows])
    assert list(out[TOTAL_LABEL]) == list(full[:, -1])  # the row totals, exactly
    hidden = np.array([[is_hidden(v) for v in row] for row in out.to_numpy()])
    assert _recoverable(hidden) == []
    for r in range(full.shape[0]):
        for c in range(full.shape[1] - 1):
            value = out.iat[r, c]
            if not is_hidden(value):
                assert value == full[r, c]
                # a small cell is shown only when the published figures give it away
                if 1 <= value < 5:
                    assert values.shape[1] == 1
