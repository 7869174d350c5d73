"""Start-up stays light: the web app and the CLI load scikit-learn only when a
model is fitted, measured or loaded (about 2 s of every process's start-up)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sklearn", "scipy")


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return [m for m in result.stdout.strip().split(",") if m]


def test_the_web_app_and_the_cli_start_without_scikit_learn() -> None:
    code = "import itworks.web, itworks.cli\nfrom itworks import create_app"
    assert _loaded_after(code) == []


def test_segmenting_still_loads_it_when_needed() -> None:
    """The probe can fail: a fit's modules do bring scikit-learn in."""
    assert "sklearn" in _loaded_after("from segmentation import ReadinessSegmenter")
    code = "from itworks.services.tiers import segment\nsegment._estimator()"
    assert "sklearn" in _loaded_after(code)
