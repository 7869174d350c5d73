"""surveys and segmentation are pure libraries: no Flask, SQLAlchemy or itworks."""

from __future__ import annotations

import subprocess
import sys

import pytest

FORBIDDEN = ("flask", "sqlalchemy", "itworks", "flask_login", "flask_babel", "werkzeug")


@pytest.mark.parametrize("package", ["surveys", "segmentation"])
def test_pure_package_imports_no_framework(package: str) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(info.name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"{package} imported {result.stdout.strip()}"


def test_segmentation_does_not_import_surveys() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "pkg = importlib.import_module('segmentation')\n"
        "for info in pkgutil.walk_packages(pkg.__path__, 'segmentation.'):\n"
        "    importlib.import_module(info.name)\n"
        "print('surveys' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
