"""Learning from confirmed tiers (issue 12): labels move the model, never overwrite."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from segmentation import ReadinessSegmenter, rule_tiers
from segmentation.kmeans import softmax_neg
from segmentation.synthetic import core_missing_mask, make_hard_registrants

N = 2500


@pytest.fixture(scope="module")
def hard():
    return make_hard_registrants(N, random_state=31)


def _confirm(y: pd.Series, share: float, seed: int = 0) -> pd.Series:
    keep = np.random.default_rng(seed).random(len(y)) < share
    return y.where(keep, None).astype(object)


def _accuracy(model, X, y, rows) -> float:
    return float((model.predict(X[rows]) == y.to_numpy(dtype=object)[rows]).mean())


def test_labels_improve_accuracy_on_the_harder_generator(hard):
    X, y = hard
    unconfirmed = _confirm(y, 0.2).isna().to_numpy()  # scored on the same rows throughout
    params = {"random_state": 0, "n_personas_per_tier": 1}
    none = _accuracy(ReadinessSegmenter(**params).fit(X), X, y, unconfirmed)
    five = _accuracy(ReadinessSegmenter(**params).fit(X, _confirm(y, 0.05)), X, y, unconfirmed)
    ten = _accuracy(ReadinessSegmenter(**params).fit(X, _confirm(y, 0.1)), X, y, unconfirmed)
    twenty = _accuracy(ReadinessSegmenter(**params).fit(X, _confirm(y, 0.2)), X, y, unconfirmed)
    rule = float((rule_tiers(X[unconfirmed]) == y.to_numpy(dtype=object)[unconfirmed]).mean())
    assert none >= rule
    assert five > none + 0.02
    assert ten >= five - 0.005
    assert twenty >= ten - 0.005
    assert ten > none + 0.04


def test_labels_help_where_a_core_answer_is_missing(hard):
    X, y = hard
    confirmed = _confirm(y, 0.1)
    rows = confirmed.isna().to_numpy() & core_missing_mask(X)
    params = {"random_state": 0, "n_personas_per_tier": 1}
    without = _accuracy(ReadinessSegmenter(**params).fit(X), X, y, rows)
    with_labels = _accuracy(ReadinessSegmenter(**params).fit(X, confirmed), X, y, rows)
    assert with_labels > without + 0.03


def test_a_confirmed_tier_is_never_overwritten(hard):
    X, y = hard
    confirmed = _confirm(y, 0.1)
    # Some confirmations contradict the answers: the coordinator knows better.
    contrary = confirmed.notna() & (np.arange(len(y)) % 7 == 0)
    confirmed[contrary] = np.where(confirmed[contrary] == "one_option", "move_now", "one_option")
    fitted = ReadinessSegmenter(random_state=0, n_personas_per_tier=1).fit(X, confirmed)
    known = confirmed.notna().to_numpy()
    assert (fitted.labels_[known] == confirmed[known].to_numpy()).all()
    assert fitted.n_labelled_ == int(known.sum())


def test_with_no_labels_the_result_equals_the_label_free_model(hard):
    X, _ = hard
    plain = ReadinessSegmenter(random_state=0).fit(X)
    assert plain.coef_ is None and plain.intercept_ is None and plain.n_labelled_ == 0
    for unknown in ([None] * len(X), np.full(len(X), -1)):
        other = ReadinessSegmenter(random_state=0).fit(X, unknown)
        assert other.coef_ is None
        np.testing.assert_array_equal(other.cluster_centers_, plain.cluster_centers_)
        np.testing.assert_array_equal(other.predict_proba(X), plain.predict_proba(X))
        assert (other.persona_of(X) == plain.persona_of(X)).all()
    # Today's formulas: nearest centre, softmax of -d2 / temperature.
    d2 = plain.transform(X) ** 2
    assert (plain.predict(X) == plain.classes_[d2.argmin(axis=1)]).all()
    np.testing.assert_allclose(
        plain.predict_proba(X), softmax_neg(d2, plain.temperature_), rtol=1e-6, atol=1e-9
    )


def test_one_confirmed_tier_alone_learns_no_correction(hard):
    X, y = hard
    confirmed = pd.Series([None] * len(y), dtype=object)
    confirmed.iloc[:40] = "move_now"
    fitted = ReadinessSegmenter(random_state=0, n_personas_per_tier=1).fit(X, confirmed)
    assert fitted.coef_ is None
    assert (fitted.labels_[:40] == "move_now").all()


def test_labelled_model_outputs_are_consistent_and_saved(hard):
    X, y = hard
    fitted = ReadinessSegmenter(random_state=0, n_personas_per_tier=1).fit(X, _confirm(y, 0.1))
    assert fitted.coef_.shape == (2 * X.shape[1], 4)
    proba = fitted.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (fitted.classes_[proba.argmax(axis=1)] == fitted.predict(X)).all()
    placed = fitted.assign(X.iloc[:200])
    assert (placed["tier"].to_numpy() == fitted.predict(X.iloc[:200])).all()
    assert all(len(r) <= 3 and all(0 < x.share <= 1 for x in r) for r in fitted.explain(X[:200]))
    loaded = ReadinessSegmenter.from_json(fitted.to_json())
    np.testing.assert_array_equal(loaded.predict_proba(X), proba)
    assert json.loads(fitted.to_json())["n_labelled"] == fitted.n_labelled_


def test_prior_strength_must_be_non_negative(hard):
    X, _ = hard
    with pytest.raises(ValueError, match="prior_strength"):
        ReadinessSegmenter(prior_strength=-1).fit(X)


def test_the_em_learner_beats_the_labels_alone_and_the_logistic_correction(hard):
    """The comparison behind the default (``python -m segmentation.benchmark``)."""
    X, y = hard
    confirmed = _confirm(y, 0.1)
    rows = confirmed.isna().to_numpy()
    params = {"random_state": 0, "n_personas_per_tier": 1}
    score = {
        learner: _accuracy(
            ReadinessSegmenter(learner=learner, **params).fit(X, confirmed), X, y, rows
        )
        for learner in ("naive_bayes_em", "naive_bayes", "logistic")
    }
    assert score["naive_bayes_em"] > score["naive_bayes"]
    assert score["naive_bayes_em"] > score["logistic"] + 0.01


def test_confidence_is_calibrated_out_of_fold(hard):
    from segmentation.evaluation import evaluate

    X, y = hard
    result = evaluate(X, _confirm(y, 0.1), params={"n_personas_per_tier": 1})
    bands = [b for b in result["reliability"] if b["n"] >= 30]
    assert len(bands) >= 3
    n = sum(b["n"] for b in bands)
    # Weighted gap between proposed confidence and share correct, band by band.
    gap = sum(b["n"] * abs(b["mean_confidence"] - b["share_correct"]) for b in bands) / n
    assert gap < 0.06
    assert bands[-1]["share_correct"] > bands[0]["share_correct"] + 0.2


def test_leave_one_out_logits_never_use_the_rows_own_tier():
    from segmentation.features import FeatureLayout
    from segmentation.naive_bayes import fit_naive_bayes

    rng = np.random.default_rng(0)
    n = 200
    X = np.column_stack([rng.random(n) < 0.5, np.zeros(n)]).astype(float)
    X[0, 1] = 1.0  # an answer only the first confirmed row gave
    seeds = np.arange(n) % 4
    layout = FeatureLayout.from_names(["a=yes", "b=yes"])
    mask = np.ones_like(X, dtype=bool)
    fit = fit_naive_bayes(X, mask, layout, np.ones(2), seeds, np.full((n, 4), 0.25))
    in_sample = X @ fit.on + mask @ fit.off + fit.bias
    # Its own tick raised its own tier in sample; left out, the tier looks like the others.
    assert in_sample[0, 0] > in_sample[0, 1:].max() + 0.5
    assert fit.loo[0, 0] < in_sample[0, 0] - 0.5
    np.testing.assert_allclose(fit.loo[0, 1:], in_sample[0, 1:])


def test_learner_must_be_known(hard):
    X, _ = hard
    with pytest.raises(ValueError, match="learner"):
        ReadinessSegmenter(learner="magic").fit(X)
