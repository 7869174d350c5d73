"""The published-tables floor, read from the source: services never import tables/
(nor any entry point), tables never import an entry point, and the workbook renders
from tables/ only (recording its audit event is its one service call)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "itworks"
ENTRY_POINTS = ("itworks.web", "itworks.api", "itworks.cli", "itworks.reports")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of every module imported (``from a import b`` gives a and a.b)."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return found


def _under(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def _hits(paths: list[Path], forbidden: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (_module(path), name)
        for path in paths
        for name in sorted(_imports(path))
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_services_import_neither_tables_nor_entry_points() -> None:
    assert _hits(_under("services"), ("itworks.tables", *ENTRY_POINTS)) == []


def test_tables_import_no_entry_point() -> None:
    assert _under("tables")
    assert _hits(_under("tables"), ENTRY_POINTS) == []


@pytest.mark.parametrize("path", _under("reports"), ids=lambda p: p.name)
def test_the_workbook_renders_from_tables_only(path: Path) -> None:
    services = {
        name
        for name in _imports(path)
        if name.startswith("itworks.services") and name != "itworks.services"
    }
    assert services <= {"itworks.services.audit"}


def test_the_check_resolves_relative_imports() -> None:
    # web/main.py says "from . import figures" and "from ..db import db".
    names = _imports(PACKAGE / "web" / "main.py")
    assert {"itworks.web.figures", "itworks.db.db", "itworks.tables.kpi"} <= names
    assert _hits([PACKAGE / "web" / "main.py"], ("itworks.tables",))
