"""The pure agreement and cluster-quality helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score

from segmentation.metrics import adjusted_rand, agreement, silhouette


def test_agreement_reports_overall_and_per_tier():
    truth = ["move_now", "move_now", "few_years", "one_option", None]
    guess = ["move_now", "few_years", "few_years", "one_option", "move_now"]
    result = agreement(truth, guess)
    assert result["n"] == 4  # the unknown true tier is left out
    assert result["accuracy"] == pytest.approx(0.75)
    assert 0 < result["kappa"] < 1
    assert result["per_tier"]["move_now"]["accuracy"] == pytest.approx(0.5)
    assert result["per_tier"]["few_years"]["accuracy"] == pytest.approx(1.0)
    assert result["per_tier"]["region_undecided"]["support"] == 0
    assert math.isnan(result["per_tier"]["region_undecided"]["accuracy"])


def test_perfect_and_missing_predictions():
    truth = ["move_now", "one_option"]
    assert agreement(truth, truth)["kappa"] == pytest.approx(1.0)
    assert agreement(truth, [None, None])["accuracy"] == 0.0


def test_adjusted_rand_ignores_label_names():
    assert adjusted_rand([0, 0, 1, 1], ["b", "b", "a", "a"]) == pytest.approx(1.0)


def test_silhouette_samples_and_handles_one_label():
    X, labels = make_blobs(n_samples=3000, centers=3, random_state=0)
    full = silhouette_score(X, labels)
    assert silhouette(X, labels, sample_size=500) == pytest.approx(full, abs=0.05)
    assert math.isnan(silhouette(X, np.zeros(len(X))))


def test_agreement_refuses_mismatched_lengths():
    with pytest.raises(ValueError):
        agreement(["move_now"], ["move_now", "one_option"])
