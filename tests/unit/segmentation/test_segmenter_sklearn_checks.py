"""scikit-learn's common estimator checks on the segmenter."""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from segmentation import ReadinessSegmenter

_STRING_OUTPUT = (
    "predict returns tier codes (strings); the check compares outputs with "
    "assert_allclose, which needs numbers. Covered by test_segmenter_tiers "
    "with exact comparisons."
)

EXPECTED_FAILED = {
    "check_clustering": (
        "labels_ and fit_predict are tier codes (strings) by design, so the "
        "int dtype assertion fails; the earlier assertions in the check "
        "(ARI > 0.4 on blobs, determinism) pass."
    ),
    "check_methods_subset_invariance": _STRING_OUTPUT,
    "check_methods_sample_order_invariance": _STRING_OUTPUT,
    "check_fit_idempotent": _STRING_OUTPUT,
}

# Models are persisted as JSON only; the project never pickles, and the check
# would also compare string predictions numerically.
NOT_RUN = {"check_estimators_pickle"}


def _check_name(check) -> str:
    func = getattr(check, "func", check)
    return getattr(func, "__name__", "")


@parametrize_with_checks(
    [ReadinessSegmenter(random_state=0, n_personas_per_tier=2)],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
    xfail_strict=True,
)
def test_sklearn_compatible(estimator, check):
    if _check_name(check) in NOT_RUN:
        pytest.skip("pickling is not a supported persistence; see test_segmenter_persistence")
    check(estimator)
