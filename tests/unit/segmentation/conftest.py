"""Shared data and models for the segmentation tests (no Flask, no surveys)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation import ReadinessSegmenter
from segmentation.synthetic import make_registrants

N_ROWS = 3000


@pytest.fixture(scope="session")
def complete():
    """Labelled registrants whose core answers are all given and consistent."""
    return make_registrants(N_ROWS, degraded=0.0, random_state=11)


@pytest.fixture(scope="session")
def degraded():
    """Labelled registrants, 40% of whom lost or contradicted a core answer."""
    return make_registrants(N_ROWS, degraded=0.4, random_state=12)


@pytest.fixture(scope="session")
def model(complete):
    """A segmenter fitted without any confirmed tier."""
    X, _ = complete
    return ReadinessSegmenter(random_state=0).fit(X)


@pytest.fixture(scope="session")
def make_answers(complete):
    """Build one-row frames: every question unanswered unless given.

    ``make_answers(**{"destination=shimane": 1})`` sets the answer and clears
    the question's ``:missing`` flag.
    """
    columns = list(complete[0].columns)

    def build(**answers: float) -> pd.DataFrame:
        row = {}
        for name in columns:
            if name.endswith(":missing"):
                row[name] = 1.0
            elif "=" in name:
                row[name] = 0.0
            else:
                row[name] = np.nan
        for name, value in answers.items():
            if name not in row:
                raise KeyError(name)
            row[name] = float(value)
            qid = name.split("=")[0].rsplit(":", 1)[0] if ":" in name else name.split("=")[0]
            if f"{qid}:missing" in row and not name.endswith(":missing"):
                row[f"{qid}:missing"] = 0.0
        return pd.DataFrame([row], columns=columns)

    return build
