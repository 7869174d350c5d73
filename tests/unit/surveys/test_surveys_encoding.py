"""Encoding answers into features, and naming the features in words."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surveys
from surveys import SurveyValidationError

# The contract with the segmentation package: changing it needs a new instrument version.
READINESS_V1_FEATURES = [
    "move_timing:ord",
    "move_timing=asap",
    "move_timing=within_1y",
    "move_timing=1_3y",
    "move_timing=3y_plus",
    "move_timing=undecided",
    "move_timing:missing",
    "destination=shimane",
    "destination=shimane_or_nearby",
    "destination=region_undecided",
    "destination=not_sure",
    "destination:missing",
    "shimane_connection=born_raised",
    "shimane_connection=family",
    "shimane_connection=lived_or_studied",
    "shimane_connection=none",
    "shimane_connection:missing",
    "job_change_timing:ord",
    "job_change_timing=within_3m",
    "job_change_timing=within_1y",
    "job_change_timing=1_3y",
    "job_change_timing=no_plan",
    "job_change_timing:missing",
    "age_band=under_25",
    "age_band=25_29",
    "age_band=30_34",
    "age_band=35_39",
    "age_band=40_44",
    "age_band=45_49",
    "age_band=50_plus",
    "age_band:missing",
    "experience_years",
    "experience_years:missing",
    "skills=web_backend",
    "skills=web_frontend",
    "skills=mobile",
    "skills=infrastructure",
    "skills=cloud",
    "skills=data_ai",
    "skills=embedded",
    "skills=pm",
    "skills=qa",
    "skills=security",
    "skills=sales_engineer",
    "skills=other",
    "skills:missing",
    "work_style=onsite",
    "work_style=hybrid",
    "work_style=remote",
    "work_style:missing",
    "household=single",
    "household=couple",
    "household=couple_children",
    "household=with_parents",
    "household=other",
    "household:missing",
    "concerns=salary",
    "concerns=available_jobs",
    "concerns=career",
    "concerns=housing",
    "concerns=transport",
    "concerns=partner_job",
    "concerns=children_school",
    "concerns=community",
    "concerns=climate",
    "concerns=other",
    "concerns:missing",
    "event_interest=study_session",
    "event_interest=meetup",
    "event_interest=job_fair",
    "event_interest=online_consultation",
    "event_interest=company_visit",
    "event_interest=none",
    "event_interest:missing",
    "contact_channel=email",
    "contact_channel=phone",
    "contact_channel=line",
    "contact_channel=online_meeting",
    "contact_channel:missing",
]


def row_of(X: np.ndarray, names: list[str], i: int = 0) -> dict[str, float]:
    return dict(zip(names, X[i].tolist(), strict=True))


def test_readiness_feature_names_are_the_contract(readiness):
    X, names = surveys.encode([], readiness)
    assert names == READINESS_V1_FEATURES
    assert surveys.feature_names(readiness) == READINESS_V1_FEATURES
    assert X.shape == (0, len(READINESS_V1_FEATURES))


def test_tiny_feature_names_and_shape(tiny, tiny_features):
    X, names = surveys.encode([{}, {"when": "soon"}, {"color": "red"}], tiny)
    assert names == tiny_features
    assert X.shape == (3, 15)
    assert X.dtype == np.float64


@pytest.mark.parametrize(("code", "value"), [("soon", 1.0), ("mid", 0.5), ("late", 0.0)])
def test_ordinal_is_evenly_spaced_soonest_first(tiny, code, value):
    X, names = surveys.encode([{"when": code}], tiny)
    row = row_of(X, names)
    assert row["when:ord"] == value
    assert row[f"when={code}"] == 1.0
    assert row["when:missing"] == 0.0


def test_off_scale_code_has_no_ordinal_value_but_is_not_missing(tiny):
    row = row_of(*surveys.encode([{"when": "unsure"}], tiny))
    assert math.isnan(row["when:ord"])
    assert row["when=unsure"] == 1.0
    assert row["when:missing"] == 0.0


def test_unanswered_items_are_marked_missing_never_zero(tiny):
    row = row_of(*surveys.encode([{}], tiny))
    assert math.isnan(row["when:ord"]) and row["when:missing"] == 1.0
    assert [row[f"when={c}"] for c in ("soon", "mid", "late", "unsure")] == [0.0] * 4
    assert row["color=red"] == row["color=blue"] == 0.0 and row["color:missing"] == 1.0
    assert row["langs:missing"] == 1.0
    assert math.isnan(row["years"]) and row["years:missing"] == 1.0


def test_multiple_choice_is_multi_hot(tiny):
    row = row_of(*surveys.encode([{"langs": ["js", "py"]}], tiny))
    assert (row["langs=py"], row["langs=js"], row["langs=none"], row["langs:missing"]) == (
        1.0,
        1.0,
        0.0,
        0.0,
    )


def test_numbers_are_raw_values(tiny):
    X, names = surveys.encode([{"years": "７"}, {"years": 0}], tiny)
    assert X[:, names.index("years")].tolist() == [7.0, 0.0]
    assert X[:, names.index("years:missing")].tolist() == [0.0, 0.0]


def test_free_text_produces_no_features(tiny):
    with_note, names = surveys.encode([{"note": "はい"}], tiny)
    without_note, _ = surveys.encode([{}], tiny)
    assert not any(name.startswith("note") for name in names)
    np.testing.assert_array_equal(with_note, without_note)


def test_readiness_ordinals(readiness):
    rows = [
        {"move_timing": "asap", "job_change_timing": "within_3m"},
        {"move_timing": "within_1y", "job_change_timing": "within_1y"},
        {"move_timing": "3y_plus", "job_change_timing": "no_plan"},
        {"move_timing": "undecided"},
    ]
    X, names = surveys.encode(rows, readiness)
    move = X[:, names.index("move_timing:ord")]
    job = X[:, names.index("job_change_timing:ord")]
    np.testing.assert_allclose(move[:3], [1.0, 2 / 3, 0.0])
    assert math.isnan(move[3])
    np.testing.assert_allclose(job[:3], [1.0, 2 / 3, 0.0])
    assert X[3, names.index("job_change_timing:missing")] == 1.0


def test_validated_answers_encode_like_raw_ones(readiness):
    raw = {"move_timing": "ＡＳＡＰ", "skills": ["pm", "cloud", "pm"], "experience_years": "3"}
    cleaned = surveys.validate(raw, readiness, partial=True)
    X_raw, _ = surveys.encode([raw], readiness)
    X_clean, _ = surveys.encode([cleaned], readiness)
    np.testing.assert_array_equal(X_raw, X_clean)


def test_required_items_may_be_unanswered(readiness):
    X, names = surveys.encode([{}], readiness)
    assert X[0, names.index("move_timing:missing")] == 1.0


def test_invalid_answers_raise_with_row_and_question(tiny):
    rows = [{"when": "soon"}, {"color": "green", "years": 11}, {"bogus": 1}, "not a mapping"]
    with pytest.raises(SurveyValidationError) as caught:
        surveys.encode(rows, tiny)
    assert caught.value.errors == {
        "1.color": "選択肢にないコードです: green / Unknown choice code: green",
        "1.years": "0〜10の範囲で入力してください / Must be between 0 and 10",
        "2.bogus": "この設問はアンケートにありません / Unknown question",
        "3": "回答は設問IDと値の組で指定してください / Answers must map question ids to values",
    }


def test_any_iterable_of_rows_is_accepted(tiny):
    X, _ = surveys.encode(({"color": c} for c in ["red", "blue"]), tiny)
    assert X.shape[0] == 2


def test_ordinal_scale_of_a_question(readiness):
    assert surveys.ordinal_scale(readiness.question("job_change_timing")) == {
        "within_3m": 1.0,
        "within_1y": pytest.approx(2 / 3),
        "1_3y": pytest.approx(1 / 3),
        "no_plan": 0.0,
    }
    assert surveys.ordinal_scale(readiness.question("destination")) == {}


single_answer = st.one_of(
    st.sampled_from(["red", "blue", " RED ", "ｂｌｕｅ"]), st.none(), st.just(""), st.just([])
)
multi_answer = st.one_of(
    st.lists(st.sampled_from(["py", "js", "PY"]), max_size=4), st.none(), st.just("")
)
when_answer = st.one_of(st.sampled_from(["soon", "mid", "late", "unsure"]), st.none())


@settings(max_examples=60, deadline=None, database=None)
@given(
    st.lists(
        st.fixed_dictionaries({"color": single_answer, "langs": multi_answer, "when": when_answer}),
        max_size=20,
    )
)
def test_each_row_is_either_answered_or_missing(tiny, tiny_rows):
    X, names = surveys.encode(tiny_rows, tiny)
    col = {name: X[:, names.index(name)] for name in names}
    single_set = col["color=red"] + col["color=blue"]
    np.testing.assert_array_equal(single_set + col["color:missing"], np.ones(len(tiny_rows)))
    chosen = col["langs=py"] + col["langs=js"] + col["langs=none"]
    np.testing.assert_array_equal(chosen == 0, col["langs:missing"] == 1)
    ordinal = col["when:ord"]
    on_scale = np.isfinite(ordinal)
    assert np.all((ordinal[on_scale] >= 0) & (ordinal[on_scale] <= 1))
    np.testing.assert_array_equal(~on_scale, (col["when:missing"] == 1) | (col["when=unsure"] == 1))
    assert set(np.unique(X[:, [names.index("color=red"), names.index("langs:missing")]])) <= {0, 1}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_feature_labels_cover_every_feature(readiness, lang):
    labels = surveys.feature_labels(readiness, lang)
    assert list(labels) == surveys.feature_names(readiness)
    assert all(label.strip() for label in labels.values())
    assert len(set(labels.values())) == len(labels)


def test_feature_labels_read_as_words(readiness):
    ja = surveys.feature_labels(readiness, "ja")
    en = surveys.feature_labels(readiness, "en")
    assert ja["destination=shimane"] == "移住先: 島根県に決めている"
    assert ja["move_timing:missing"] == "移住時期: 未回答"
    assert ja["move_timing:ord"] == "移住時期: 尺度（1＝すぐにでも、0＝3年以上先）"
    assert ja["experience_years"] == "実務経験年数（年）"
    assert en["destination=shimane"] == "Destination: Decided on Shimane"
    assert en["move_timing:missing"] == "Move timing: no answer"
    assert (
        en["job_change_timing:ord"]
        == "Job change timing: scale (1 = Within 3 months, 0 = No plans)"
    )


def test_feature_labels_refuse_unknown_language(readiness):
    with pytest.raises(ValueError, match="lang"):
        surveys.feature_labels(readiness, "fr")
