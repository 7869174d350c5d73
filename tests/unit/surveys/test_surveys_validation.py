"""Validating and cleaning one respondent's answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import surveys
from surveys import SurveyValidationError


def make_answers(**overrides: object) -> dict[str, object]:
    """A complete, valid set of readiness answers; ``None`` overrides drop an item."""
    answers: dict[str, object] = {
        "move_timing": "within_1y",
        "destination": "shimane",
        "shimane_connection": "born_raised",
        "job_change_timing": "within_3m",
        "age_band": "30_34",
        "experience_years": 8,
        "skills": ["cloud", "web_backend"],
        "work_style": "remote",
        "household": "couple_children",
        "concerns": ["housing", "salary"],
        "event_interest": ["job_fair"],
        "contact_channel": "email",
        "comment": "子どもの学校が心配です。",
    }
    answers.update(overrides)
    return {key: value for key, value in answers.items() if value is not None}


def errors_of(answers, instrument, **kwargs) -> dict[str, str]:
    with pytest.raises(SurveyValidationError) as caught:
        surveys.validate(answers, instrument, **kwargs)
    return caught.value.errors


def test_valid_answers_come_back_clean_in_instrument_order(readiness):
    cleaned = surveys.validate(make_answers(), readiness)
    assert list(cleaned) == [q for q in readiness.question_ids if q in cleaned]
    assert cleaned["move_timing"] == "within_1y"
    assert cleaned["experience_years"] == 8.0
    assert cleaned["skills"] == ("web_backend", "cloud")
    assert cleaned["concerns"] == ("salary", "housing")
    assert cleaned["comment"] == "子どもの学校が心配です。"


@pytest.mark.parametrize(
    ("qid", "raw", "clean"),
    [
        ("move_timing", "ＡＳＡＰ", "asap"),
        ("move_timing", "  asap\u3000", "asap"),
        ("age_band", "２５_２９", "25_29"),
        ("experience_years", "３", 3.0),
        ("experience_years", " 2.5 ", 2.5),
        ("experience_years", 7, 7.0),
        ("experience_years", np.int64(4), 4.0),
        ("skills", ["qa", "ｃｌｏｕｄ", "qa", ""], ("cloud", "qa")),
        ("skills", {"pm"}, ("pm",)),
        ("event_interest", ("none", "none"), ("none",)),
        ("comment", "  一行目\r\n二行目  ", "一行目\n二行目"),
    ],
)
def test_answers_are_cleaned(readiness, qid, raw, clean):
    assert surveys.validate(make_answers(**{qid: raw}), readiness)[qid] == clean


@pytest.mark.parametrize("blank", ["", "   ", "\u3000", [], (), [""], math.nan])
def test_blank_answers_count_as_unanswered(readiness, blank):
    optional = surveys.validate(make_answers(work_style=blank, skills=blank), readiness)
    assert "work_style" not in optional and "skills" not in optional
    assert errors_of(make_answers(move_timing=blank), readiness) == {
        "move_timing": "回答してください / An answer is required"
    }


UNKNOWN = "選択肢にないコードです: xyz / Unknown choice code: xyz"
ONE_CODE = "選択肢のコードを1つ指定してください / Expected exactly one choice code"
CODE_LIST = "選択肢のコードをリストで指定してください / Expected a list of choice codes"
NUMBER = "数値で入力してください / Expected a number"
RANGE = "0〜50の範囲で入力してください / Must be between 0 and 50"
TEXT = "文字列で入力してください / Expected text"


@pytest.mark.parametrize(
    ("qid", "value", "message"),
    [
        pytest.param("move_timing", "xyz", UNKNOWN, id="unknown-code"),
        pytest.param("skills", ["cloud", "xyz"], UNKNOWN, id="unknown-code-in-list"),
        pytest.param("destination", ["shimane"], ONE_CODE, id="list-for-single"),
        pytest.param("destination", 1, ONE_CODE, id="number-for-single"),
        pytest.param("skills", "cloud", CODE_LIST, id="string-for-multiple"),
        pytest.param("skills", ["cloud", 3], CODE_LIST, id="number-in-multiple"),
        pytest.param("skills", {"cloud": True}, CODE_LIST, id="dict-for-multiple"),
        pytest.param("experience_years", "five", NUMBER, id="non-numeric"),
        pytest.param("experience_years", "1,000", NUMBER, id="thousands-separator"),
        pytest.param("experience_years", "nan", NUMBER, id="nan-string"),
        pytest.param("experience_years", math.inf, NUMBER, id="infinite"),
        pytest.param("experience_years", True, NUMBER, id="bool-is-not-a-number"),
        pytest.param("experience_years", np.bool_(False), NUMBER, id="numpy-bool"),
        pytest.param("experience_years", [3], NUMBER, id="list-for-number"),
        pytest.param("experience_years", 51, RANGE, id="above-max"),
        pytest.param("experience_years", "-1", RANGE, id="below-min"),
        pytest.param("comment", 42, TEXT, id="number-for-text"),
        pytest.param(
            "comment",
            "あ" * 1001,
            "1000文字以内で入力してください（現在1001文字）"
            " / Must be at most 1000 characters (got 1001)",
            id="too-long",
        ),
        pytest.param(
            "comment",
            "a\x00b",
            "使用できない文字が含まれています / Contains a character that is not allowed",
            id="nul",
        ),
        pytest.param(
            "event_interest",
            ["none", "meetup"],
            "「特にない」は他の選択肢と同時に選べません / “None for now” cannot be combined "
            "with other choices",
            id="exclusive",
        ),
    ],
)
def test_each_kind_of_invalid_answer_has_its_message(readiness, qid, value, message):
    assert errors_of(make_answers(**{qid: value}), readiness) == {qid: message}


def test_unknown_question_is_reported_under_its_own_key(readiness):
    errors = errors_of(make_answers(favourite_food="soba"), readiness)
    assert errors == {"favourite_food": "この設問はアンケートにありません / Unknown question"}


def test_every_problem_is_reported_at_once(readiness):
    answers = make_answers(
        move_timing=None,
        destination="tokyo",
        skills="cloud",
        experience_years=99,
        comment="x" * 2000,
        extra=1,
    )
    errors = errors_of(answers, readiness)
    assert set(errors) == {
        "move_timing",
        "destination",
        "skills",
        "experience_years",
        "comment",
        "extra",
    }
    assert all(" / " in message for message in errors.values())


def test_required_answers_are_all_listed_when_nothing_is_answered(readiness):
    assert set(errors_of({}, readiness)) == {
        "move_timing",
        "destination",
        "shimane_connection",
        "job_change_timing",
        "age_band",
    }


def test_partial_skips_the_required_check_but_not_the_others(readiness):
    assert surveys.validate({"skills": ["pm"]}, readiness, partial=True) == {"skills": ("pm",)}
    assert set(errors_of({"skills": ["bad"]}, readiness, partial=True)) == {"skills"}


def test_unanswered_optional_items_are_left_out(readiness):
    cleaned = surveys.validate(
        make_answers(comment="", skills=[], experience_years=None), readiness
    )
    assert {"comment", "skills", "experience_years"}.isdisjoint(cleaned)


def test_long_codes_are_shortened_in_messages(readiness):
    message = errors_of(make_answers(destination="z" * 500), readiness)["destination"]
    assert "z" * 31 not in message
    assert "…" in message


def test_free_text_never_appears_in_errors(readiness):
    secret = "山田太郎 090-1234-5678 " * 60
    with pytest.raises(SurveyValidationError) as caught:
        surveys.validate(make_answers(comment=secret), readiness)
    assert "山田" not in str(caught.value)
    assert "090" not in caught.value.errors["comment"]


def test_control_characters_in_echoed_codes_are_replaced(readiness):
    message = errors_of(make_answers(destination="a\nb"), readiness)["destination"]
    assert "\n" not in message and "a?b" in message


def test_answers_must_be_a_mapping(readiness):
    assert list(errors_of(["move_timing"], readiness)) == ["answers"]


def test_clean_answer_checks_one_question(readiness):
    question = readiness.question("age_band")
    assert surveys.clean_answer(question, " 50_PLUS ") == "50_plus"
    assert surveys.clean_answer(question, None) is None
    with pytest.raises(surveys.AnswerError, match="Unknown choice code: 18"):
        surveys.clean_answer(question, "18")


def test_validation_error_is_a_survey_error(readiness):
    with pytest.raises(surveys.SurveyError, match="move_timing"):
        surveys.validate({}, readiness)
