"""The published table: labelled columns over a keyed DataFrame, ready for every
renderer (page, CSV, Excel sheet, JSON)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd

from itworks.tables.audience import Audience

# How a column's values are written: text, a count (or a suppression marker), a
# number with one decimal, a ratio shown as a whole percentage, a rate shown with one
# decimal, yen, days, or a list of counts (fair attendance by fair).
KINDS = ("text", "count", "number", "ratio", "rate", "yen", "days", "counts")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class Table:
    """One published table.

    ``frame`` is indexed by row key (a code, or ``"計"`` for totals) and has one
    column per ``columns`` key; it may hold further keyed fields (codes for JSON and
    for the page's links) that are not published as columns.
    """

    name: str
    title: str
    columns: list[Column]
    frame: pd.DataFrame
    audience: Audience
    note: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    empty: str = "記録なし"  # what a sheet says when there is no row

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.columns]

    def kind(self, key: str) -> str:
        return next(c.kind for c in self.columns if c.key == key)

    def rows(self) -> Iterable[tuple[Any, list[Any]]]:
        """(row key, published values in column order) for every row."""
        published = self.frame[self.keys].itertuples(index=False, name=None)
        for key, row in zip(self.frame.index, published, strict=True):
            yield key, [clean(v) for v in row]

    def labelled(self) -> pd.DataFrame:
        """The published columns under their labels (what a sheet shows)."""
        return pd.DataFrame(
            [values for _, values in self.rows()], columns=self.labels, dtype=object
        )

    def records(self) -> list[dict[str, Any]]:
        """Every row as a dict of all its keyed fields (for JSON)."""
        # The frame's column labels are the str keys of its fields (see frame()).
        records = cast(list[dict[str, Any]], self.frame.to_dict(orient="records"))
        return [{k: clean(v) for k, v in row.items()} for row in records]


def clean(value: Any) -> Any:
    """Plain Python values: numpy integers → int, NaN → None."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, str | bool):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def frame(
    rows: Sequence[Mapping[Any, Any]], index: Iterable[Any], keys: Sequence[str]
) -> pd.DataFrame:
    """An object-dtype frame from row dicts (missing fields are None). Values stay the
    plain Python values (numpy scalars become ints and floats, NaN None): an int
    column with gaps does not turn into floats, and every value serialises as JSON."""
    rows = list(rows)
    labels = pd.Index(list(index), tupleize_cols=False)
    names = list(dict.fromkeys([*keys, *(name for row in rows for name in row)]))
    data = {
        name: pd.Series([clean(row.get(name)) for row in rows], index=labels, dtype=object)
        for name in names
    }
    return pd.DataFrame(data, index=labels, columns=names, dtype=object)
