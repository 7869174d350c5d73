"""The examples in the docstrings stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "surveys",
    "surveys.encoding",
    "surveys.loader",
    "surveys.stats",
    "surveys.tallies",
    "surveys.validation",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
