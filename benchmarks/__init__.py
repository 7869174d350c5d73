"""Performance benchmarks of the service against its peer and its limits (issue 14).

Not tests and not part of the package: run ``python -m benchmarks.run --size N``
from the repository root (see run.py). ``tests/benchmarks_smoke`` runs it small.
"""
