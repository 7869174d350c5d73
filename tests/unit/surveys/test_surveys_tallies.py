"""Counting answers per choice, overall and per group."""

from __future__ import annotations

import pytest

import surveys

ROWS = [
    {"destination": "shimane", "skills": ["cloud", "pm"], "age_band": "30_34"},
    {"destination": "shimane", "skills": ["cloud"], "age_band": "25_29"},
    {"destination": "not_sure", "experience_years": 3, "age_band": "30_34"},
    {"age_band": "30_34", "comment": "よろしくお願いします"},
]


def test_counts_every_code_in_order_then_unanswered(readiness):
    result = surveys.tally(ROWS, readiness, "destination")
    assert result.question_id == "destination"
    assert result.counts == {
        "shimane": 2,
        "shimane_or_nearby": 0,
        "region_undecided": 0,
        "not_sure": 1,
        "unanswered": 1,
    }
    assert (result.n, result.answered) == (4, 3)
    assert result.shares == {
        "shimane": 0.5,
        "shimane_or_nearby": 0.0,
        "region_undecided": 0.0,
        "not_sure": 0.25,
        "unanswered": 0.25,
    }


def test_multiple_choice_counts_each_chosen_code(readiness):
    result = surveys.tally(ROWS, readiness, "skills")
    assert result.counts["cloud"] == 2
    assert result.counts["pm"] == 1
    assert result.counts["unanswered"] == 2
    assert result.shares["cloud"] == 0.5
    assert sum(result.counts.values()) == 5  # more than n: one respondent chose two


def test_groups_get_their_own_tallies_in_first_seen_order(readiness):
    by = [row["age_band"] for row in ROWS]
    result = surveys.tally(ROWS, readiness, "destination", by=by)
    assert list(result) == ["30_34", "25_29"]
    assert result["30_34"].n == 3
    assert result["30_34"].counts["shimane"] == 1
    assert result["30_34"].counts["not_sure"] == 1
    assert result["30_34"].counts["unanswered"] == 1
    assert result["25_29"].shares["shimane"] == 1.0


@pytest.mark.parametrize(("qid", "answered"), [("experience_years", 1), ("comment", 1)])
def test_number_and_text_count_answered_and_unanswered(readiness, qid, answered):
    result = surveys.tally(ROWS, readiness, qid)
    assert result.counts == {"answered": answered, "unanswered": 4 - answered}


def test_raw_answers_are_cleaned_before_counting(readiness):
    result = surveys.tally(
        [{"destination": "ＳＨＩＭＡＮＥ "}, {"destination": ""}], readiness, "destination"
    )
    assert (result.counts["shimane"], result.counts["unanswered"]) == (1, 1)


def test_no_rows_gives_zero_counts_and_shares(readiness):
    result = surveys.tally([], readiness, "work_style")
    assert result.n == 0
    assert set(result.counts.values()) == {0}
    assert set(result.shares.values()) == {0.0}
    assert surveys.tally([], readiness, "work_style", by=[]) == {}


def test_groups_must_be_parallel_to_rows(readiness):
    with pytest.raises(ValueError, match="parallel"):
        surveys.tally(ROWS, readiness, "destination", by=["a"])


def test_unknown_question_is_a_key_error(readiness):
    with pytest.raises(KeyError, match="favourite_food"):
        surveys.tally(ROWS, readiness, "favourite_food")


def test_invalid_answers_are_refused(readiness):
    with pytest.raises(surveys.SurveyValidationError) as caught:
        surveys.tally([{"destination": "tokyo"}], readiness, "destination")
    assert list(caught.value.errors) == ["0.destination"]
