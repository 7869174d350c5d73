"""Properties that hold for any pattern of answers, missing or not."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from segmentation import TIERS, tier_indices


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_row_gets_a_tier_and_a_distribution(model, complete, data):
    X, _ = complete
    values = data.draw(
        arrays(
            np.float64,
            (3, X.shape[1]),
            elements=st.one_of(st.just(np.nan), st.floats(0, 1), st.floats(0, 50)),
        )
    )
    rows = pd.DataFrame(values, columns=X.columns)
    assert set(model.predict(rows)) <= set(TIERS)
    proba = model.predict_proba(rows)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert all(len(reasons) <= 3 for reasons in model.explain(rows))


@given(st.lists(st.sampled_from([*TIERS, None, "", np.nan, -1, 0, 1, 2, 3]), max_size=30))
def test_tier_indices_reads_codes_positions_and_blanks(values):
    out = tier_indices(values, len(values))
    for value, index in zip(values, out, strict=True):
        if isinstance(value, str) and value:
            assert TIERS[index] == value
        elif isinstance(value, int) and value >= 0:
            assert index == value
        else:
            assert index == -1


def test_transform_gives_distances_to_each_tier(model, complete):
    X, _ = complete
    distances = model.transform(X.iloc[:10])
    assert distances.shape == (10, 4)
    assert (distances >= 0).all()
    assert list(model.get_feature_names_out()) == [f"distance:{t}" for t in TIERS]
    assert (model.classes_[distances.argmin(axis=1)] == model.predict(X.iloc[:10])).all()
