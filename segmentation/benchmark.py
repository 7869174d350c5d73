"""Compare ways of learning from confirmed tiers on the harder generator (reproducible).

Run ``python -m segmentation.benchmark --seeds 401-410`` for the table the
README quotes. For each seed :func:`segmentation.synthetic.make_hard_registrants`
draws a population; a uniform draw confirms 5%, 10% and 20% of it (nested:
the 5% are among the 10%), every method is fitted on all rows with those
tiers, and accuracy is measured on the *unconfirmed* rows only (at 10%
also where a core answer is missing). The methods:

``rule``
    the two-question rule (:func:`segmentation.rule_tiers`);
``no_labels``
    the segmenter fitted without any confirmed tier;
``naive_bayes_em``, ``naive_bayes``, ``logistic``
    the segmenter's learners (see :class:`segmentation.ReadinessSegmenter`);
``self_training``, ``label_spreading``
    scikit-learn's :class:`~sklearn.semi_supervised.SelfTrainingClassifier`
    (over a logistic regression) and
    :class:`~sklearn.semi_supervised.LabelSpreading` (k nearest neighbours)
    on the standardised answers, unanswered as 0;
``oracle``
    a logistic regression given *every* true tier, scored out of fold
    (5 folds): roughly the best any method can do on the seed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

from ._typing import BoolArray, FloatArray, ObjectArray
from .baseline import rule_tiers
from .estimator import ReadinessSegmenter
from .features import TIERS
from .synthetic import core_missing_mask, make_hard_registrants
from .validation import tier_indices

SHARES: tuple[float, ...] = (0.05, 0.1, 0.2)
LEARNERS: tuple[str, ...] = ("naive_bayes_em", "naive_bayes", "logistic")
SKLEARN: tuple[str, ...] = ("self_training", "label_spreading")
N_SAMPLES = 3000

Predictor = Callable[[pd.DataFrame, pd.Series], ObjectArray]


def confirmed(y: pd.Series, share: float, seed: int) -> pd.Series:
    """Tiers of a random ``share`` of the rows, ``None`` elsewhere (nested in ``share``)."""
    keep = np.random.default_rng(seed).random(len(y)) < share
    return y.where(keep, None).astype(object)


def _encoded(X: pd.DataFrame) -> FloatArray:
    values = np.nan_to_num(X.to_numpy(dtype=float))
    spread = values.std(axis=0)
    out: FloatArray = (values - values.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    return out


def _sklearn(name: str, X: pd.DataFrame, y: pd.Series) -> ObjectArray:
    target = tier_indices(y, len(y))
    model: SelfTrainingClassifier | LabelSpreading
    if name == "self_training":
        model = SelfTrainingClassifier(LogisticRegression(C=0.1, max_iter=1000), threshold=0.8)
    else:
        model = LabelSpreading(kernel="knn", n_neighbors=10, alpha=0.2, max_iter=100)
    model.fit(_encoded(X), target)
    out: ObjectArray = np.asarray(TIERS, dtype=object)[model.predict(_encoded(X))]
    return out


def _segmenter(learner: str | None) -> Predictor:
    def predict(X: pd.DataFrame, y: pd.Series) -> ObjectArray:
        if learner is None:
            free = ReadinessSegmenter(random_state=0, n_personas_per_tier=1).fit(X)
            return free.predict(X)
        model = ReadinessSegmenter(random_state=0, n_personas_per_tier=1, learner=learner)
        return model.fit(X, y).predict(X)

    return predict


def run_seed(
    seed: int, *, n_samples: int = N_SAMPLES, methods: Sequence[str] = LEARNERS + SKLEARN
) -> dict[str, float]:
    """Accuracies on the unconfirmed rows of one seed, keyed ``<method>@<share>``.

    Also ``rule``, ``no_labels`` and ``oracle`` (no share), and
    ``<method>@0.1:core_missing`` for the rows with a core answer missing.
    """
    X, y = make_hard_registrants(n_samples, random_state=seed)
    truth = y.to_numpy(dtype=object)
    gap = core_missing_mask(X)
    at_ten = confirmed(y, 0.1, seed).isna().to_numpy()

    def acc(pred: ObjectArray, rows: BoolArray) -> float:
        return float((pred == truth)[rows].mean())

    out: dict[str, float] = {}
    rule = rule_tiers(X)
    free = _segmenter(None)(X, y)
    out["rule"], out["no_labels"] = acc(rule, at_ten), acc(free, at_ten)
    out["rule:core_missing"] = acc(rule, at_ten & gap)
    out["no_labels:core_missing"] = acc(free, at_ten & gap)
    for method in methods:
        for share in SHARES:
            partial = confirmed(y, share, seed)
            rows = partial.isna().to_numpy()
            if method in SKLEARN:
                pred = _sklearn(method, X, partial)
            else:
                pred = _segmenter(method)(X, partial)
            out[f"{method}@{share:g}"] = acc(pred, rows)
            if share == 0.1:
                out[f"{method}@0.1:core_missing"] = acc(pred, rows & gap)
    oracle = cross_val_predict(LogisticRegression(C=0.1, max_iter=2000), _encoded(X), truth, cv=5)
    out["oracle"] = acc(np.asarray(oracle, dtype=object), np.ones(truth.size, dtype=bool))
    return out


def table(results: dict[int, dict[str, float]], method: str = "naive_bayes_em") -> str:
    """A Markdown table per seed: rule, no labels, 5/10/20% confirmed, oracle."""
    head = (
        "| seed | rule | no labels | 5% | 10% | 10%, core missing | 20% | oracle |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for seed, r in [*results.items(), ("mean", _mean(results))]:
        cells = [
            r["rule"],
            r["no_labels"],
            r[f"{method}@0.05"],
            r[f"{method}@0.1"],
            r[f"{method}@0.1:core_missing"],
            r[f"{method}@0.2"],
            r["oracle"],
        ]
        lines.append(f"| {seed} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    return head + "\n".join(lines)


def comparison(results: dict[int, dict[str, float]], methods: Sequence[str]) -> str:
    """A Markdown table of every method's mean accuracy over the seeds."""
    mean = _mean(results)
    head = "| method | 5% | 10% | 10%, core missing | 20% |\n|---|---|---|---|---|\n"
    rows = []
    for m in methods:
        cells = [mean[f"{m}@0.05"], mean[f"{m}@0.1"], mean[f"{m}@0.1:core_missing"]]
        cells.append(mean[f"{m}@0.2"])
        rows.append(f"| {m} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    return head + "\n".join(rows)


def _mean(results: dict[int, dict[str, float]]) -> dict[str, float]:
    keys = next(iter(results.values())).keys()
    return {k: float(np.mean([r[k] for r in results.values()])) for k in keys}


def _seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Print the per-seed table of the chosen learner and the comparison of methods."""
    parser = argparse.ArgumentParser(prog="python -m segmentation.benchmark")
    parser.add_argument("--seeds", default="401-410", help="e.g. 401-410 or 301,305")
    parser.add_argument("--n", type=int, default=N_SAMPLES, help="registrants per seed")
    parser.add_argument("--methods", default=",".join(LEARNERS + SKLEARN))
    args = parser.parse_args(argv)
    methods = [m for m in args.methods.split(",") if m]
    results = {s: run_seed(s, n_samples=args.n, methods=methods) for s in _seeds(args.seeds)}
    if "naive_bayes_em" in methods:
        print(table(results))
        print()
    print(comparison(results, methods))


if __name__ == "__main__":
    main()
