"""The survey library stays pure: the standard library and numpy, nothing else."""

from __future__ import annotations

import subprocess
import sys
import textwrap

FORBIDDEN = ("flask", "sqlalchemy", "itworks", "segmentation", "pandas")


def test_importing_surveys_pulls_in_only_stdlib_and_numpy():
    script = textwrap.dedent(
        """
        import sys
        import surveys
        surveys.encode([{}], surveys.load_instrument("readiness", 1))
        print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = set(result.stdout.split())
    assert "surveys" in loaded
    assert loaded.isdisjoint(FORBIDDEN)
    third_party = {
        name
        for name in loaded - set(sys.stdlib_module_names)
        if not name.startswith("_") and name not in {"surveys", "numpy"}
    }
    assert third_party == set()
