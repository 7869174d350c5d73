"""The honest evaluation as a service (issue 12): live registrants, confirmed tiers, plain data."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from tiersupport import NOW, add_people

from segmentation import TIERS, rule_tiers


@pytest.fixture
def people(app, make_registrant):
    return add_people(app, make_registrant)


def _confirm_all(session, people, tier_of) -> None:
    from itworks.services.accounts import users
    from itworks.services.tiers import tiers

    coordinator = users.create_user(session, "coord", "coordinator", "x" * 16, actor_label="t")
    for public_id, tier in people.items():
        tiers.confirm(
            session, public_id, tier_of(tier), actor=coordinator, at=NOW - timedelta(days=1)
        )


def test_evaluation_returns_plain_data_for_the_live_registrants(app, session, people) -> None:
    from itworks.services.tiers import evaluation as segment_evaluation

    _confirm_all(session, people, lambda tier: tier)
    result = segment_evaluation.evaluate(session, now=NOW)
    json.dumps(result, allow_nan=False)
    assert result["registrants"] == result["n_rows"] == len(people)
    assert result["n_confirmed"] == len(people) and result["too_few_to_judge"] is True
    assert result["tiers"] == list(TIERS) and result["sampled"] is False
    assert result["model"]["overall"]["n"] == len(people)
    assert result["rule"]["overall"]["accuracy"] == 1.0  # typical answers: the rule is right


def test_a_planted_label_is_not_used_for_its_own_score(app, session, people, monkeypatch) -> None:
    import segmentation.evaluation
    from itworks.services.tiers import evaluation as segment_evaluation

    class Memoriser:
        """Right whenever it saw the row's tier; the rule otherwise."""

        def __init__(self, **_params) -> None:
            pass

        def fit(self, X, y, feature_names=None):
            self.names = list(feature_names)
            self.seen = {}
            if y is not None:
                for row, tier in zip(np.asarray(X, float), y, strict=True):
                    if tier is not None and tier != -1:
                        self.seen[row.tobytes()] = tier if isinstance(tier, str) else TIERS[tier]
            return self

        def predict(self, X):
            rows = np.asarray(X, float)
            rule = rule_tiers(rows, self.names)
            return np.array(
                [self.seen.get(r.tobytes(), t) for r, t in zip(rows, rule, strict=True)]
            )

        def predict_proba(self, X):
            return np.full((len(X), 4), 0.25)

    monkeypatch.setattr(segmentation.evaluation, "ReadinessSegmenter", Memoriser)
    # Every confirmation contradicts the answers, so only a leak can get one right.
    flip = {"move_now": "one_option", "one_option": "move_now",
            "few_years": "region_undecided", "region_undecided": "few_years"}  # fmt: skip
    _confirm_all(session, people, flip.get)
    result = segment_evaluation.evaluate(session, now=NOW)
    assert result["n_confirmed"] == len(people)
    assert result["model"]["overall"]["accuracy"] == 0.0


def test_no_registrants_is_a_conflict(app, session) -> None:
    from itworks.services.errors import Conflict
    from itworks.services.tiers import evaluation as segment_evaluation

    with pytest.raises(Conflict):
        segment_evaluation.evaluate(session, now=NOW)


def test_a_segment_run_keeps_the_confirmation_as_the_current_tier(app, session, people) -> None:
    from itworks.services.tiers import segment, tiers

    flip = {"move_now": "one_option", "one_option": "move_now",
            "few_years": "region_undecided", "region_undecided": "few_years"}  # fmt: skip
    some = dict(list(people.items())[:8])
    _confirm_all(session, some, flip.get)
    segment.run(session, started_by="test", now=NOW)
    current = tiers.current_tiers(session)
    from itworks.services.intake import registrants

    for public_id, tier in some.items():
        registrant = registrants.get(session, public_id)
        assert current[registrant.id] == (flip[tier], "coordinator")
