"""Honest evaluation against confirmed tiers (issue 12)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from segmentation import TIERS, rule_tiers
from segmentation.evaluation import MIN_CONFIRMED, evaluate, reliability
from segmentation.synthetic import core_missing_mask, make_hard_registrants


@pytest.fixture(scope="module")
def small():
    X, y = make_hard_registrants(1200, random_state=41)
    confirmed = y.where(np.random.default_rng(1).random(len(y)) < 0.15, None).astype(object)
    return X, y, confirmed


class Memoriser:
    """Predicts the tier it was given for a row if any, else the rule: a leak detector."""

    def fit(self, X, y, feature_names=None):
        self.names = list(feature_names)
        values = np.asarray(X, dtype=float)
        self.seen = {}
        if y is not None:
            for row, tier in zip(values, np.asarray(y), strict=True):
                if int(tier) >= 0:
                    self.seen[row.tobytes()] = TIERS[int(tier)]
        return self

    def predict(self, X):
        values = np.asarray(X, dtype=float)
        rule = rule_tiers(values, self.names)
        return np.array([self.seen.get(r.tobytes(), t) for r, t in zip(values, rule, strict=True)])


def test_evaluation_never_scores_a_registrant_with_its_own_label(small):
    X, y, confirmed = small
    # Plant labels that the rule gets wrong: a model that used them would be right.
    planted = confirmed.copy()
    known = planted.notna().to_numpy()
    rule = rule_tiers(X)
    planted[known] = np.where(rule[known] == "one_option", "move_now", "one_option")
    result = evaluate(X, planted, make_estimator=Memoriser)
    # Every confirmed row is scored by a fit that did not see its label, so the
    # memoriser falls back on the rule, which disagrees with every planted tier.
    assert result["n_confirmed"] == int(known.sum())
    assert result["model"]["overall"]["accuracy"] == 0.0
    assert result["rule"]["overall"]["accuracy"] == 0.0


def test_evaluation_reports_model_rule_and_label_free_model(small):
    X, _, confirmed = small
    result = evaluate(X, confirmed, list(X.columns))
    json.dumps(result, allow_nan=False)
    assert result["too_few_to_judge"] is False
    assert result["tiers"] == list(TIERS)
    gap = core_missing_mask(X)[confirmed.notna().to_numpy()]
    assert result["n_confirmed_core_missing"] == int(gap.sum())
    for name in ("model", "rule", "no_labels"):
        for part in ("overall", "core_missing"):
            block = result[name][part]
            assert np.array(block["confusion"]).shape == (4, 4)
            assert np.array(block["confusion"]).sum() == block["n"]
            assert 0.0 <= block["accuracy"] <= 1.0 and -1.0 <= block["kappa"] <= 1.0
    assert result["model"]["overall"]["accuracy"] > result["no_labels"]["overall"]["accuracy"]
    table = result["reliability"]
    assert sum(b["n"] for b in table) == result["n_confirmed"]
    # Calibrated out of fold: the expected calibration error stays small.
    gaps = [b["n"] * abs(b["share_correct"] - b["mean_confidence"]) for b in table if b["n"]]
    assert sum(gaps) / result["n_confirmed"] < 0.1


def test_too_few_confirmed_tiers_are_flagged(small):
    X, y, _ = small
    few = pd.Series([None] * len(y), dtype=object)
    few.iloc[: MIN_CONFIRMED - 1] = y.iloc[: MIN_CONFIRMED - 1]
    result = evaluate(X, few)
    assert result["too_few_to_judge"] is True
    assert result["n_confirmed"] == MIN_CONFIRMED - 1
    none = evaluate(X, None)
    assert none["n_confirmed"] == 0 and none["too_few_to_judge"] is True
    assert none["model"]["overall"]["accuracy"] is None


def test_reliability_bands_cover_every_confidence():
    table = reliability(np.array([0.3, 0.45, 0.95, 1.0]), np.array([False, True, True, True]))
    assert [b["n"] for b in table] == [1, 1, 0, 0, 0, 0, 2]
    assert table[-1]["share_correct"] == 1.0 and table[2]["share_correct"] is None


def test_hard_generator_has_the_promised_shape():
    X, y = make_hard_registrants(4000, random_state=3)
    again, y2 = make_hard_registrants(4000, random_state=3)
    pd.testing.assert_frame_equal(X, again)
    assert (y == y2).all() and set(y) == set(TIERS)
    assert 0.2 <= core_missing_mask(X).mean() <= 0.3
    with pytest.raises(ValueError):
        make_hard_registrants(10, noise=2.0)
