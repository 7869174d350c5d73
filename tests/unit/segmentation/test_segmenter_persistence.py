"""Plain-JSON persistence: identical predictions after a round trip, no pickle."""

from __future__ import annotations

import json

import numpy as np
import pytest

from segmentation import FORMAT_VERSION, ModelFormatError, ReadinessSegmenter


def test_round_trip_gives_identical_outputs(complete, model):
    X, _ = complete
    loaded = ReadinessSegmenter.from_json(model.to_json())
    assert (loaded.predict(X) == model.predict(X)).all()
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert (loaded.persona_of(X) == model.persona_of(X)).all()
    assert loaded.explain(X.iloc[:20]) == model.explain(X.iloc[:20])
    assert loaded.get_params() == model.get_params()
    assert [p.description for p in loaded.personas_] == [p.description for p in model.personas_]


def test_document_is_strict_json_with_versions_and_statistics(model):
    doc = json.loads(model.to_json())
    assert doc["format_version"] == FORMAT_VERSION
    assert isinstance(doc["model_version"], str)
    for key in ("params", "feature_names", "statistics", "scale", "weights", "cluster_centers"):
        assert doc[key], key
    assert len(doc["personas"]) == len(model.personas_)


def test_save_and_load_through_a_file(tmp_path, complete, model):
    X, _ = complete
    path = tmp_path / "segmenter.json"
    model.save(path)
    assert (ReadinessSegmenter.load(path).predict(X) == model.predict(X)).all()


def test_array_fitted_model_keeps_feature_names(complete):
    X, _ = complete
    fitted = ReadinessSegmenter(random_state=0).fit(X.to_numpy(), feature_names=list(X.columns))
    loaded = ReadinessSegmenter.from_json(fitted.to_json())
    assert not hasattr(loaded, "feature_names_in_")
    assert (loaded.predict(X.to_numpy()) == fitted.predict(X.to_numpy())).all()


def test_newer_format_is_refused_with_a_clear_message(model):
    doc = json.loads(model.to_json())
    doc["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(ModelFormatError, match=f"format version {FORMAT_VERSION + 1}"):
        ReadinessSegmenter.from_json(json.dumps(doc))


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        json.dumps({"format": "something else", "format_version": 1}),
        json.dumps({"format": "itworks.segmentation/readiness-segmenter", "format_version": "1"}),
    ],
)
def test_foreign_documents_are_refused(text):
    with pytest.raises(ModelFormatError):
        ReadinessSegmenter.from_json(text)


def test_truncated_document_is_refused(model):
    doc = json.loads(model.to_json())
    del doc["cluster_centers"]
    with pytest.raises(ModelFormatError, match="incomplete or corrupt"):
        ReadinessSegmenter.from_json(json.dumps(doc))


def test_numpy_scalar_parameters_are_saved_as_plain_numbers(complete):
    X, _ = complete
    fitted = ReadinessSegmenter(random_state=np.int64(4), anchor_weight=np.float64(0.5)).fit(X)
    loaded = ReadinessSegmenter.from_json(fitted.to_json())
    assert loaded.get_params()["random_state"] == 4
    assert (loaded.predict(X) == fitted.predict(X)).all()


def test_random_state_instance_cannot_be_saved(complete):
    X, _ = complete
    fitted = ReadinessSegmenter(random_state=np.random.RandomState(0)).fit(X.iloc[:200])
    with pytest.raises(ValueError, match="random_state"):
        fitted.to_json()


def test_unfitted_model_cannot_be_saved():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ReadinessSegmenter().to_json()


def test_a_version_2_document_loads_as_the_logistic_learner_it_was():
    from segmentation.synthetic import make_hard_registrants

    X, y = make_hard_registrants(400, random_state=3)
    confirmed = y.where(np.arange(len(y)) % 5 == 0, None)
    fitted = ReadinessSegmenter(random_state=0, n_personas_per_tier=1, learner="logistic")
    doc = json.loads(fitted.fit(X, confirmed).to_json())
    doc["format_version"] = 2
    del doc["params"]["learner"]
    loaded = ReadinessSegmenter.from_json(json.dumps(doc))
    assert loaded.learner == "logistic"
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
