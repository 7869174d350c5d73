"""Inputs that once reached the database or Excel and ended in a 500 are now
refused with a field error (found by a review that fuzzed the forms)."""

from __future__ import annotations

import pytest

from itworks.services.errors import InvalidInput

CAMPAIGN = {
    "name": "SNS広告",
    "channel": "sns",
    "utm_campaign": "fy2022_sns",
    "starts_on": "2022-05-01",
    "cost_yen": "100000",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_on": "0001-01-01"}, "starts_on"),
        ({"ends_on": "9999-12-31"}, "ends_on"),
        ({"reach_target": "999999999999"}, "reach_target"),
        ({"clicks": str(2**31)}, "clicks"),
        ({"name": "広告\x0bテスト"}, "name"),
        ({"evaluation": "良好\x00"}, "evaluation"),
    ],
)
def test_campaign_fields_out_of_range_are_field_errors(change, field) -> None:  # noqa: ANN001
    from itworks.services.publicity import campaigns as publicity

    assert publicity.clean_campaign(CAMPAIGN)["cost_yen"] == 100000
    with pytest.raises(InvalidInput) as info:
        publicity.clean_campaign({**CAMPAIGN, **change})
    assert field in info.value.errors


def test_registrant_text_with_control_characters_is_refused() -> None:
    from itworks.services.intake import registrants

    with pytest.raises(InvalidInput) as info:
        registrants.clean_person({"name": "山田\x00太郎", "email": "a@example.jp"})
    assert "name" in info.value.errors
