"""The segmentation service's pure parts: strict-JSON metrics, persona words and
re-contact intervals (no database)."""

from __future__ import annotations

import numpy as np
import pytest


def test_run_metrics_are_strict_json() -> None:
    from itworks.services.tiers.segment import _plain

    assert _plain({"a": float("nan"), "b": [np.float64(0.5), np.int64(2)], 3: {"c": np.inf}}) == {
        "a": None,
        "b": [0.5, 2],
        "3": {"c": None},
    }


def test_persona_descriptions_are_unique_within_a_run() -> None:
    from itworks.services.tiers.segment import persona_words
    from segmentation import Persona, Trait

    trait = Trait("origin=i_turn", "answer", 0.9, 0.5, 1.0)
    personas = [
        Persona("move_now-1", "move_now", 5, {}, (trait,)),
        Persona("move_now-2", "move_now", 3, {}, (trait,)),
        Persona("one_option-1", "one_option", 2, {}, ()),
    ]
    words = persona_words(personas, {"origin=i_turn": "Iターン"})
    assert words == {
        "move_now-1": "Iターン",
        "move_now-2": "Iターン（2）",
        "one_option-1": "one_option-1",
    }


@pytest.mark.parametrize(
    ("setting", "move_now", "one_option"),
    [({}, 14, 180), ({"move_now": 7}, 7, 180), ({"one_option": 365}, 14, 365)],
)
def test_recontact_intervals_default_per_tier(setting, move_now, one_option) -> None:
    from itworks.services.tiers.recontact import intervals

    days = intervals(setting)
    assert (days["move_now"], days["one_option"]) == (move_now, one_option)


@pytest.mark.parametrize(
    "setting", [{"move_now": 0}, {"few_years": "90"}, {"one_option": True}, []]
)
def test_recontact_intervals_refuse_nonsense(setting) -> None:
    from itworks.services.errors import InvalidInput
    from itworks.services.tiers.recontact import intervals

    with pytest.raises(InvalidInput, match="RECONTACT_DAYS"):
        intervals(setting)
