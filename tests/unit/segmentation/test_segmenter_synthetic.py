"""The synthetic registrant generator."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentation import TIERS
from segmentation.synthetic import make_registrants


def test_same_seed_same_frame():
    a, ya = make_registrants(300, degraded=0.3, random_state=5)
    b, yb = make_registrants(300, degraded=0.3, random_state=5)
    pd.testing.assert_frame_equal(a, b)
    assert (ya == yb).all()


def test_names_follow_the_encoder_contract():
    X, y = make_registrants(500, random_state=0)
    for name in (
        "move_timing:ord",
        "move_timing=undecided",
        "move_timing:missing",
        "job_change_timing=no_plan",
        "destination=region_undecided",
        "skills=web_backend",
        "experience_years",
        "origin=i_turn",
        "engagement:days_since_response",
    ):
        assert name in X.columns, name
    assert set(y) == set(TIERS)
    assert X["move_timing:ord"].dropna().between(0, 1).all()
    # Off-scale answers have no ordinal position.
    assert X.loc[X["move_timing=undecided"] == 1, "move_timing:ord"].isna().all()


def test_degraded_knob_damages_core_answers():
    clean, _ = make_registrants(2000, degraded=0.0, random_state=1)
    damaged, _ = make_registrants(2000, degraded=0.5, random_state=1)
    assert clean["move_timing:missing"].sum() == 0
    assert damaged["move_timing:missing"].mean() > 0.1
    assert damaged["destination:missing"].mean() > 0.1


def test_degraded_must_be_a_fraction():
    with pytest.raises(ValueError):
        make_registrants(10, degraded=1.5)
