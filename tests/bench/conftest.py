"""Benchmarks: skipped unless ITWORKS_BENCH=1 (each module says how to run it)."""

from __future__ import annotations


def pytest_configure(config):  # noqa: ANN001, ANN201
    config.addinivalue_line("markers", "bench: a benchmark, run only with ITWORKS_BENCH=1")
