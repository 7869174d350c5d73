"""Tier assignment: agreement with known tiers, determinism, missing answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from segmentation import TIERS, ReadinessSegmenter
from segmentation.metrics import adjusted_rand, agreement


def test_classes_are_the_four_tiers_in_specification_order(model):
    assert list(model.classes_) == [
        "move_now",
        "few_years",
        "region_undecided",
        "one_option",
    ]


def test_unlabelled_fit_recovers_known_tiers(complete, model):
    X, y = complete
    result = agreement(y, model.predict(X))
    assert result["accuracy"] >= 0.80
    assert result["kappa"] >= 0.72
    for tier in TIERS:
        assert result["per_tier"][tier]["accuracy"] >= 0.70, tier
        assert result["per_tier"][tier]["kappa"] >= 0.65, tier


def test_ten_percent_confirmed_tiers_do_at_least_as_well(complete, model):
    X, y = complete
    confirmed = y.where(np.random.default_rng(0).random(len(y)) < 0.1, None)
    seeded = ReadinessSegmenter(random_state=0).fit(X, confirmed)
    # Judge on the rows nobody confirmed, where constraints cannot help.
    unknown = confirmed.isna().to_numpy()
    with_labels = agreement(y[unknown], seeded.predict(X[unknown]))
    without = agreement(y[unknown], model.predict(X[unknown]))
    assert with_labels["accuracy"] >= without["accuracy"] - 0.005
    assert with_labels["kappa"] >= without["kappa"] - 0.005
    assert "seeds" in seeded.init_


def test_constrained_seeds_keep_their_tier(complete):
    X, y = complete
    confirmed = pd.Series([None] * len(y), dtype=object)
    confirmed.iloc[:50] = "one_option"  # deliberately unlike most of them
    fitted = ReadinessSegmenter(random_state=0).fit(X, confirmed)
    assert (fitted.labels_[:50] == "one_option").all()
    seeded_only = ReadinessSegmenter(random_state=0, seeding="seeded").fit(X, confirmed)
    assert not (seeded_only.labels_[:50] == "one_option").all()


@pytest.mark.parametrize("missing", [None, np.nan, "", pd.NA])
def test_unknown_tiers_may_be_marked_in_several_ways(complete, missing):
    X, y = complete
    partial = y.astype(object).copy()
    partial.iloc[10:] = missing
    fitted = ReadinessSegmenter(random_state=0).fit(X, partial)
    assert list(fitted.labels_[:10]) == list(y.iloc[:10])


def test_integer_tiers_are_positions_in_classes(complete):
    X, y = complete
    positions = np.full(len(y), -1)
    positions[:20] = [TIERS.index(t) for t in y.iloc[:20]]
    by_position = ReadinessSegmenter(random_state=0).fit(X, positions)
    by_code = ReadinessSegmenter(random_state=0).fit(X, y.where(positions >= 0, None))
    assert (by_position.predict(X) == by_code.predict(X)).all()


def test_unknown_tier_code_is_refused(complete):
    X, y = complete
    typo = y.astype(object).copy()
    typo.iloc[0] = "move-now"
    with pytest.raises(ValueError, match="unknown tier code 'move-now'"):
        ReadinessSegmenter().fit(X, typo)


def test_same_random_state_gives_identical_model(complete):
    X, _ = complete
    a = ReadinessSegmenter(random_state=3).fit(X)
    b = ReadinessSegmenter(random_state=3).fit(X)
    assert (a.predict(X) == b.predict(X)).all()
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert (a.persona_of(X) == b.persona_of(X)).all()
    assert [p.description for p in a.personas_] == [p.description for p in b.personas_]


def test_tiers_are_stable_across_seeds_and_resamples(degraded):
    X, _ = degraded
    a = ReadinessSegmenter(random_state=0).fit(X)
    b = ReadinessSegmenter(random_state=1).fit(X)
    assert adjusted_rand(a.predict(X), b.predict(X)) == pytest.approx(1.0)
    assert adjusted_rand(a.persona_of(X), b.persona_of(X)) >= 0.6
    half = ReadinessSegmenter(random_state=0).fit(X.iloc[: len(X) // 2])
    assert adjusted_rand(a.predict(X), half.predict(X)) >= 0.9


def test_no_timing_answer_but_strong_engagement_is_placed_with_less_confidence(model, make_answers):
    engaged = {
        "destination=shimane": 1,
        "engagement:consultations": 4,
        "engagement:events_attended": 3,
        "engagement:days_since_response": 7,
    }
    partial = make_answers(**engaged)
    complete = make_answers(**engaged, **{"move_timing=asap": 1, "move_timing:ord": 1.0})
    placed = model.assign(pd.concat([partial, complete], ignore_index=True))
    assert list(placed["tier"]) == ["move_now", "move_now"]
    assert placed["confidence"][0] < placed["confidence"][1]
    assert placed["confidence"][0] > 0.25  # still better than a guess among four


def test_a_row_with_no_answers_at_all_gets_near_uniform_confidence(model, make_answers):
    proba = model.predict_proba(make_answers())
    assert proba.max() < 0.5
    assert proba.sum() == pytest.approx(1.0)


def test_nan_anywhere_is_handled(complete, model):
    X, _ = complete
    holes = X.copy()
    holes.iloc[::7, ::5] = np.nan
    assert set(model.predict(holes)) <= set(TIERS)
    assert np.isfinite(model.predict_proba(holes)).all()


def test_missing_and_unknown_columns_are_tolerated(complete):
    X, y = complete
    reduced = X.drop(columns=[c for c in X.columns if c.startswith(("skills", "concerns"))])
    reduced = reduced.assign(favourite_editor=np.random.default_rng(0).random(len(X)))
    fitted = ReadinessSegmenter(random_state=0).fit(reduced)
    assert agreement(y, fitted.predict(reduced))["accuracy"] >= 0.78


def test_plain_array_takes_feature_names_as_fit_argument(complete, model):
    X, _ = complete
    fitted = ReadinessSegmenter(random_state=0).fit(X.to_numpy(), feature_names=list(X.columns))
    assert not hasattr(fitted, "feature_names_in_")
    assert list(fitted.feature_names_) == list(X.columns)
    assert (fitted.predict(X.to_numpy()) == model.predict(X)).all()


def test_dataframe_names_win_and_must_agree(complete):
    X, _ = complete
    with pytest.raises(ValueError, match="differ"):
        ReadinessSegmenter().fit(X, feature_names=["a"] * X.shape[1])


def test_unknown_feature_names_fall_back_to_kmeans_plus_plus():
    X, truth = make_blobs(n_samples=200, centers=4, random_state=0)
    fitted = ReadinessSegmenter(random_state=0).fit(X)
    assert fitted.init_ == "k-means++"
    assert list(fitted.feature_names_) == ["x0", "x1"]
    assert adjusted_rand(truth, fitted.predict(X)) > 0.8


def test_outputs_do_not_depend_on_batch_or_row_order(complete, model):
    # Stands in for the sklearn checks that compare string outputs numerically.
    X, _ = complete
    X = X.iloc[:400]
    whole = model.predict(X)
    batched = np.concatenate([model.predict(X.iloc[i : i + 37]) for i in range(0, 400, 37)])
    assert (whole == batched).all()
    order = np.random.default_rng(0).permutation(400)
    assert (model.predict(X.iloc[order]) == whole[order]).all()
    np.testing.assert_allclose(model.predict_proba(X.iloc[order]), model.predict_proba(X)[order])


def test_refitting_is_idempotent(complete):
    X, _ = complete
    est = ReadinessSegmenter(random_state=0)
    first = est.fit(X).predict(X)
    assert (est.fit(X).predict(X) == first).all()


def test_proba_rows_sum_to_one_and_argmax_is_the_prediction(complete, model):
    X, _ = complete
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (model.classes_[proba.argmax(axis=1)] == model.predict(X)).all()


def test_confidence_tracks_accuracy(degraded):
    X, y = degraded
    fitted = ReadinessSegmenter(random_state=0).fit(X)
    placed = fitted.assign(X)
    confident = placed["confidence"] >= placed["confidence"].median()
    right = placed["tier"].to_numpy() == y.to_numpy()
    assert right[confident.to_numpy()].mean() > right[~confident.to_numpy()].mean() + 0.1
    # Neither wildly over- nor under-confident on average.
    assert abs(placed["confidence"].mean() - right.mean()) < 0.1


def test_bad_parameters_are_refused(complete):
    X, _ = complete
    with pytest.raises(ValueError, match="seeding"):
        ReadinessSegmenter(seeding="greedy").fit(X)
    with pytest.raises(ValueError, match="anchor_weight"):
        ReadinessSegmenter(anchor_weight=-1).fit(X)
