"""The floors of itworks, read from the source: nothing below the entry points
imports Flask, and the services import each other without a cycle.

The entry points and their glue (web, api, cli, reports, the app factory in
itworks/__init__.py, itworks/db.py and itworks/extensions.py) may use Flask;
every other module of itworks (services, tables, demo, models and the ground
floor: crypto, fiscal, japanese, database, config, vocabulary, csvio, ...) may not.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "itworks"
FLASK = ("flask", "flask_babel", "flask_login", "flask_wtf", "flask_sqlalchemy_lite", "werkzeug")
ENTRY_POINTS = ("itworks.web", "itworks.api", "itworks.cli", "itworks.reports")
GLUE = ("itworks", "itworks.db", "itworks.extensions")
FORBIDDEN = FLASK + ENTRY_POINTS + GLUE[1:]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def below_the_entry_points() -> list[Path]:
    paths = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if name in GLUE or name.startswith(tuple(p + "." for p in ENTRY_POINTS)):
            continue
        if name in ENTRY_POINTS or "translations" in path.parts:
            continue
        paths.append(path)
    return paths


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(path: Path, *, type_checking: bool = False) -> list[tuple[int, str]]:
    """Every module ``path`` imports at run time (and under ``if TYPE_CHECKING``
    too when ``type_checking``), as absolute names; ``from a import b`` counts as
    ``a.b`` too, since b may be a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if not type_checking and isinstance(node, ast.If) and _is_type_checking(node):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def test_the_scan_sees_the_floors() -> None:
    names = {module_name(p) for p in below_the_entry_points()}
    for expected in (
        "itworks.services.instance",
        "itworks.demo.demo",
        "itworks.models",
        "itworks.tables.stages",
        "itworks.config",
        "itworks.database",
        "itworks.crypto",
    ):
        assert expected in names
    assert not names & {"itworks", "itworks.db", "itworks.extensions", "itworks.cli"}


@pytest.mark.parametrize("path", below_the_entry_points(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_flask_below_the_entry_points(path: Path) -> None:
    bad = [f"line {line}: {name}" for line, name in imported_modules(path) if _forbidden(name)]
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


def test_importing_the_floors_loads_no_flask() -> None:
    """The same, with the imports followed: no module reaches Flask indirectly."""
    names = [module_name(p) for p in below_the_entry_points()]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FLASK!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "", f"Flask was imported: {result.stdout.strip()}"


def _service_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in (PACKAGE / "services").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        # A cycle through type hints is a cycle in the design all the same.
        for _, imported in imported_modules(path, type_checking=True):
            # `from itworks.services.tiers import tiers` names the module tiers.
            if imported in modules and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_services_import_each_other_without_a_cycle() -> None:
    cycle = _cycle(_service_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
