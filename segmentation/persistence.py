"""Plain-JSON persistence of a fitted segmenter (never pickle).

The document holds a format marker and version, the package's model version,
the constructor parameters and every fitted number: feature names, imputation
and scaling statistics, weights, centres, temperature and personas. Floats are
written with Python's shortest round-trip ``repr``, so a loaded model gives
bit-identical predictions. ``labels_`` (the training rows' tiers) is not
saved: it describes the training data, not the model.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from ._typing import FloatArray
from .features import TIERS
from .personas import Persona, Trait
from .version import FORMAT_VERSION, MODEL_VERSION

if TYPE_CHECKING:
    from .estimator import ReadinessSegmenter

FORMAT = "itworks.segmentation/readiness-segmenter"


class ModelFormatError(ValueError):
    """The text is not a segmenter this version of the package can read."""


def _array(value: FloatArray | None) -> list[Any] | None:
    return None if value is None else np.asarray(value, dtype=float).tolist()


def dumps(model: ReadinessSegmenter) -> str:
    """Serialise a fitted :class:`~segmentation.ReadinessSegmenter`."""
    params = model.get_params(deep=False)
    if isinstance(params["random_state"], np.random.RandomState):
        raise ValueError("only a model with random_state None or an int can be saved")
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_version": MODEL_VERSION,
        "params": params,
        "classes": list(model.classes_),
        "feature_names": [str(n) for n in model.feature_names_],
        "names_from_dataframe": hasattr(model, "feature_names_in_"),
        "statistics": _array(model.statistics_),
        "scale": _array(model.scale_),
        "weights": _array(model.weights_),
        "cluster_centers": _array(model.cluster_centers_),
        "prototypes": _array(model.prototypes_),
        "init": model.init_,
        "temperature": float(model.temperature_),
        "coef": _array(getattr(model, "coef_", None)),
        "intercept": _array(getattr(model, "intercept_", None)),
        "n_labelled": int(getattr(model, "n_labelled_", 0)),
        "n_iter": int(model.n_iter_),
        "inertia": float(model.inertia_),
        "persona_weights": _array(model.persona_weights_),
        "persona_centers": _array(model.persona_centers_),
        "personas": [
            {
                "id": p.id,
                "tier": p.tier,
                "size": p.size,
                "centroid": [p.centroid[n] for n in model.feature_names_],
                "traits": [[t.feature, t.kind, t.value, t.population, t.score] for t in p.traits],
            }
            for p in model.personas_
        ],
    }
    # allow_nan=False: the output must be strict JSON any reader accepts.
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, default=_plain)


def _plain(value: object) -> object:
    # NumPy scalars (np.int64 random_state, np.float64 weights) become Python ones.
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot save a {type(value).__name__} in a segmenter document")


def loads(cls: type[ReadinessSegmenter], text: str) -> ReadinessSegmenter:
    """Rebuild a segmenter from :func:`dumps` output.

    Raises
    ------
    ModelFormatError
        When the text is not JSON, not a segmenter, or written by a newer
        format version.
    """
    try:
        doc = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ModelFormatError(f"not a saved segmenter: invalid JSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFormatError("not a saved segmenter: the format marker is missing")
    version = doc.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise ModelFormatError(
            f"segmenter saved with format version {version!r}; this package reads "
            f"versions 1 to {FORMAT_VERSION}. Upgrade the package or refit the model."
        )
    try:
        return _build(cls, doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"saved segmenter is incomplete or corrupt: {exc!r}") from exc


def _build(cls: type[ReadinessSegmenter], doc: dict[str, Any]) -> ReadinessSegmenter:
    if list(doc["classes"]) != list(TIERS):
        raise ValueError(f"classes {doc['classes']} differ from {list(TIERS)}")
    params = dict(doc["params"])
    if doc["format_version"] < 3:
        params.setdefault("learner", "logistic")  # how models before version 3 learnt
    model = cls(**params)
    names = [str(n) for n in doc["feature_names"]]
    model.feature_names_ = np.asarray(names, dtype=object)
    if doc["names_from_dataframe"]:
        model.feature_names_in_ = np.asarray(names, dtype=object)
    model.n_features_in_ = len(names)
    model.classes_ = np.array(TIERS, dtype=object)
    model.statistics_ = np.asarray(doc["statistics"], dtype=float)
    model.scale_ = np.asarray(doc["scale"], dtype=float)
    model.weights_ = np.asarray(doc["weights"], dtype=float)
    model.cluster_centers_ = np.asarray(doc["cluster_centers"], dtype=float)
    protos = doc["prototypes"]
    model.prototypes_ = None if protos is None else np.asarray(protos, dtype=float)
    model.init_ = str(doc["init"])
    model.temperature_ = float(doc["temperature"])
    # Format 1 had no correction learnt from confirmed tiers.
    coef, intercept = doc.get("coef"), doc.get("intercept")
    model.coef_ = None if coef is None else np.asarray(coef, dtype=float).reshape(-1, len(TIERS))
    model.intercept_ = None if intercept is None else np.asarray(intercept, dtype=float)
    model.n_labelled_ = int(doc.get("n_labelled", 0))
    model.n_iter_ = int(doc["n_iter"])
    model.inertia_ = float(doc["inertia"])
    model.persona_weights_ = np.asarray(doc["persona_weights"], dtype=float)
    model.persona_centers_ = np.asarray(doc["persona_centers"], dtype=float).reshape(-1, len(names))
    model.personas_ = [
        Persona(
            id=p["id"],
            tier=p["tier"],
            size=int(p["size"]),
            centroid=dict(zip(names, map(float, p["centroid"]), strict=True)),
            traits=tuple(
                Trait(f, k, float(v), float(pop), float(s)) for f, k, v, pop, s in p["traits"]
            ),
        )
        for p in doc["personas"]
    ]
    shapes = {
        "statistics": model.statistics_.shape == (len(names),),
        "scale": model.scale_.shape == (len(names),),
        "weights": model.weights_.shape == (len(names),),
        "cluster_centers": model.cluster_centers_.shape == (len(TIERS), len(names)),
        "personas": len(model.personas_) == model.persona_centers_.shape[0],
        "coef": model.coef_ is None or model.coef_.shape == (2 * len(names), len(TIERS)),
    }
    bad = [k for k, ok in shapes.items() if not ok]
    if bad:
        raise ValueError(f"arrays do not match {len(names)} features: {bad}")
    return model
