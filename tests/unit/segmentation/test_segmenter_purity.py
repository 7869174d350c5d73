"""The segmentation package stays a pure library that never pickles.

That it imports no Flask, SQLAlchemy, itworks or surveys is proven for the
whole package by tests/unit/test_pure_imports.py.
"""

from __future__ import annotations

import pathlib

import segmentation


def test_source_never_imports_pickle_or_app_code():
    root = pathlib.Path(segmentation.__file__).parent
    sources = list(root.glob("*.py"))
    assert sources
    for path in sources:
        source = path.read_text(encoding="utf-8")
        for name in ("pickle", "joblib", "flask", "sqlalchemy", "itworks", "surveys"):
            assert f"import {name}" not in source, f"{path.name} imports {name}"
            assert f"from {name}" not in source, f"{path.name} imports from {name}"
