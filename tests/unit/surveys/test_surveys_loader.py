"""Loading instruments: the shipped readiness survey and malformed definitions."""

from __future__ import annotations

import pickle
import re

import pytest

import surveys
from surveys import InstrumentError

CORE = {
    "move_timing": ["asap", "within_1y", "1_3y", "3y_plus", "undecided"],
    "destination": ["shimane", "shimane_or_nearby", "region_undecided", "not_sure"],
    "shimane_connection": ["born_raised", "family", "lived_or_studied", "none"],
    "job_change_timing": ["within_3m", "within_1y", "1_3y", "no_plan"],
}
CORE_LABELS_JA = {
    "asap": "すぐにでも",
    "within_1y": "1年以内",
    "1_3y": "1〜3年後",
    "3y_plus": "3年以上先",
    "undecided": "未定",
    "shimane": "島根県に決めている",
    "shimane_or_nearby": "島根県を含む山陰・中国地方で検討",
    "region_undecided": "地方へ移りたいが地域は未定",
    "not_sure": "移住するか自体が未定",
    "born_raised": "島根出身",
    "family": "家族・親族が島根にいる",
    "lived_or_studied": "住んだ・学んだことがある",
    "none": "つながりはない",
    "within_3m": "3か月以内",
    "no_plan": "予定なし",
}
ATTRIBUTES = {
    "age_band": ("single", ["under_25", "25_29", "30_34", "35_39", "40_44", "45_49", "50_plus"]),
    "experience_years": ("number", []),
    "skills": (
        "multiple",
        [
            "web_backend",
            "web_frontend",
            "mobile",
            "infrastructure",
            "cloud",
            "data_ai",
            "embedded",
            "pm",
            "qa",
            "security",
            "sales_engineer",
            "other",
        ],
    ),
    "work_style": ("single", ["onsite", "hybrid", "remote"]),
    "household": ("single", ["single", "couple", "couple_children", "with_parents", "other"]),
    "concerns": (
        "multiple",
        [
            "salary",
            "available_jobs",
            "career",
            "housing",
            "transport",
            "partner_job",
            "children_school",
            "community",
            "climate",
            "other",
        ],
    ),
    "event_interest": (
        "multiple",
        ["study_session", "meetup", "job_fair", "online_consultation", "company_visit", "none"],
    ),
    "contact_channel": ("single", ["email", "phone", "line", "online_meeting"]),
    "comment": ("text", []),
}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_readiness_is_listed_and_loads(readiness):
    assert surveys.InstrumentKey("readiness", 1) in surveys.list_instruments()
    assert readiness.key == "readiness-v1"
    assert readiness.title_ja and readiness.purpose_ja and readiness.purpose_en


def test_load_without_version_gives_latest_and_is_cached(readiness):
    latest = max(k.version for k in surveys.list_instruments() if k.id == "readiness")
    assert surveys.load_instrument("readiness").version == latest
    assert surveys.load_instrument("readiness", 1) is surveys.load_instrument("readiness", 1)


@pytest.mark.parametrize(("id_", "version"), [("readiness", 99), ("nosuch", 1), ("../x", 1)])
def test_unknown_instrument_is_a_lookup_error(id_, version):
    with pytest.raises(LookupError, match="shipped: readiness-v1"):
        surveys.load_instrument(id_, version)


def test_core_items_come_first_with_exact_codes_in_order(readiness):
    assert list(readiness.question_ids[:4]) == list(CORE)
    for qid, codes in CORE.items():
        question = readiness.question(qid)
        assert question.type == "single"
        assert question.required
        assert list(question.codes) == codes
        for code in codes:
            assert question.choice(code).label_ja == CORE_LABELS_JA[code]


def test_timing_items_are_ordinal_soonest_first(readiness):
    assert readiness.question("move_timing").ordinal
    assert readiness.question("move_timing").scale_codes == ("asap", "within_1y", "1_3y", "3y_plus")
    assert readiness.question("job_change_timing").ordinal
    # "no plan" is the far end of the job-change scale, not off it.
    assert readiness.question("job_change_timing").scale_codes[-1] == "no_plan"
    assert not readiness.question("destination").ordinal


def test_attribute_items_have_exact_types_and_codes(readiness):
    assert list(readiness.question_ids[4:]) == list(ATTRIBUTES)
    for qid, (type_, codes) in ATTRIBUTES.items():
        question = readiness.question(qid)
        assert question.type == type_
        assert list(question.codes) == codes


def test_only_core_items_and_age_band_are_required(readiness):
    required = [q.id for q in readiness.questions if q.required]
    assert required == [*CORE, "age_band"]


def test_experience_and_comment_bounds(readiness):
    years = readiness.question("experience_years")
    assert (years.min, years.max) == (0, 50)
    comment = readiness.question("comment")
    assert comment.max_length == 1000
    assert not comment.required


def test_only_free_text_is_personal(readiness):
    assert [q.id for q in readiness.questions if q.personal] == ["comment"]


def test_every_question_says_why_it_is_asked(readiness):
    for question in readiness.questions:
        assert JAPANESE.search(question.reason_ja), question.id
        assert len(question.reason_en.split()) >= 5, question.id
        assert question.reason("en") == question.reason_en


def test_every_label_is_present_in_both_languages(readiness):
    for question in readiness.questions:
        assert JAPANESE.search(question.label_ja) and JAPANESE.search(question.short_ja)
        assert question.label_en.isascii() and question.short_en.isascii()
        for choice in question.choices:
            assert choice.label_ja.strip() and choice.label_en.strip(), (question.id, choice.code)


def test_exclusive_none_on_event_interest(readiness):
    assert readiness.question("event_interest").choice("none").exclusive


def test_instrument_is_immutable(readiness):
    with pytest.raises(AttributeError):
        readiness.version = 2  # type: ignore[misc]


def test_unknown_lang_is_refused(readiness):
    with pytest.raises(ValueError, match="lang"):
        readiness.question("move_timing").label("fr")


def test_tiny_instrument_loads(tiny):
    assert tiny.question_ids == ("when", "color", "langs", "years", "note")
    assert tiny.question("when").choice("unsure").off_scale


def _question(qid: str = "q", **fields: str) -> str:
    """TOML for one question; ``fields`` override or (with value None) drop lines."""
    base = {
        "id": f'"{qid}"',
        "type": '"single"',
        "label_ja": '"質問"',
        "label_en": '"Question"',
        "short_ja": '"質問"',
        "short_en": '"Question"',
        "reason_ja": '"理由があります。"',
        "reason_en": '"There is a reason."',
        "choices": '[{ code = "a", label_ja = "あ", label_en = "A" },'
        ' { code = "b", label_ja = "い", label_en = "B" }]',
    }
    base.update(fields)
    lines = [f"{key} = {value}" for key, value in base.items() if value is not None]
    return "[[questions]]\n" + "\n".join(lines) + "\n\n"


TWO_SAME_CODES = (
    '[{ code = "a", label_ja = "あ", label_en = "A" },'
    ' { code = "a", label_ja = "い", label_en = "B" }]'
)

MALFORMED = [
    pytest.param(_question("q") + _question("q"), "q", "duplicate question id", id="dup-id"),
    pytest.param(
        _question(choices=TWO_SAME_CODES), "q", "duplicate choice code 'a'", id="dup-code"
    ),
    pytest.param(_question(reason_ja=None), "q", "missing reason_ja", id="no-reason-ja"),
    pytest.param(_question(reason_en='"  "'), "q", "missing reason_en", id="blank-reason-en"),
    pytest.param(_question(type='"scale"'), "q", "unknown type 'scale'", id="unknown-type"),
    pytest.param(_question(type='"number"'), "q", "choices are not allowed on a number", id="num"),
    pytest.param(
        _question(type='"text"', max_length="10"),
        "q",
        "choices are not allowed on a text",
        id="txt",
    ),
    pytest.param(
        _question(type='"text"', choices=None), "q", "text question needs max_length", id="no-max"
    ),
    pytest.param(_question(choices="[]"), "q", "at least two choices", id="no-choices"),
    pytest.param(
        _question(type='"multiple"', ordinal="true"), "q", "only a single", id="ord-multi"
    ),
    pytest.param(
        _question(
            choices='[{ code = "a", label_ja = "あ", label_en = "A", off_scale = true },'
            ' { code = "b", label_ja = "い", label_en = "B" }]'
        ),
        "q",
        "off_scale but the question is not ordinal",
        id="off-scale",
    ),
    pytest.param(
        _question(
            choices='[{ code = "a", label_ja = "あ", label_en = "A", exclusive = true },'
            ' { code = "b", label_ja = "い", label_en = "B" }]'
        ),
        "q",
        "exclusive but the question is not multiple",
        id="exclusive-single",
    ),
    pytest.param(_question(reqired="true"), "q", "unknown key 'reqired'", id="typo"),
    pytest.param(
        _question(
            choices='[{ code = "A", label_ja = "あ", label_en = "A" },'
            ' { code = "b", label_ja = "い", label_en = "B" }]'
        ),
        "q",
        "choice code 'A' must be lowercase",
        id="upper-code",
    ),
    pytest.param(
        _question(
            choices='[{ code = "unanswered", label_ja = "あ", label_en = "A" },'
            ' { code = "b", label_ja = "い", label_en = "B" }]'
        ),
        "q",
        "reserved",
        id="reserved-code",
    ),
    pytest.param(
        _question(
            choices='[{ code = "a", label_ja = "あ" },'
            ' { code = "b", label_ja = "い", label_en = "B" }]'
        ),
        "q",
        "choice 'a' is missing label_en",
        id="choice-label",
    ),
    pytest.param(
        _question(type='"number"', choices=None, min="5", max="1"),
        "q",
        "min (5) is greater",
        id="min-max",
    ),
    pytest.param(_question(max_length="3"), "q", "max_length is only allowed", id="len-single"),
    pytest.param(_question(min="3"), "q", "min/max are only allowed", id="min-single"),
    pytest.param(_question(required='"yes"'), "q", "required must be true or false", id="bool"),
    pytest.param(_question(label_ja="3"), "q", "label_ja must be a string", id="label-type"),
    pytest.param(_question(short_en=None), "q", "missing short_en", id="no-short"),
    pytest.param(_question(type=None), "q", "missing type", id="no-type"),
]


@pytest.mark.parametrize(("questions", "question", "problem"), MALFORMED)
def test_malformed_instrument_is_rejected_naming_question_and_problem(
    write_instrument, questions, question, problem
):
    path = write_instrument(questions)
    with pytest.raises(InstrumentError) as caught:
        surveys.load_instrument_file(path)
    assert caught.value.question == question
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"tiny.toml: question '{question}': ")


def test_bad_question_id_is_rejected(write_instrument):
    path = write_instrument(_question("move:timing"))
    with pytest.raises(InstrumentError, match="invalid id 'move:timing'"):
        surveys.load_instrument_file(path)


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ('id = "tiny"\nversion = 1\n', "missing title_ja"),
        ('id = "tiny"\nversion = 0\ntitle_ja = "t"\ntitle_en = "t"\n', "version must be"),
        ('id = "tiny"\nversion = "1"\n', "version must be an integer"),
        ('id = "tiny"\nversion = 1\nauthor = "x"\n', "unknown key 'author'"),
    ],
)
def test_malformed_header_is_rejected(write_instrument, header, problem):
    with pytest.raises(InstrumentError, match=re.escape(problem)):
        surveys.load_instrument_file(write_instrument(_question(), header=header))


def test_instrument_without_questions_is_rejected(write_instrument):
    with pytest.raises(InstrumentError, match="non-empty"):
        surveys.load_instrument_file(write_instrument(""))


def test_invalid_toml_is_an_instrument_error(write_instrument):
    with pytest.raises(InstrumentError, match="not a valid UTF-8 TOML file"):
        surveys.load_instrument_file(write_instrument("[[questions]\nid = "))


def test_file_name_must_match_declared_version(write_instrument):
    path = write_instrument(_question(), name="tiny-v2.toml")
    with pytest.raises(InstrumentError, match="its name says tiny-v2"):
        surveys.load_instrument_file(path)


def test_parse_instrument_accepts_a_mapping():
    data = {
        "id": "m",
        "version": 1,
        "title_ja": "題",
        "title_en": "Title",
        "purpose_ja": "目的",
        "purpose_en": "Purpose",
        "questions": [
            {
                "id": "n",
                "type": "number",
                "label_ja": "数",
                "label_en": "Number",
                "short_ja": "数",
                "short_en": "Number",
                "reason_ja": "理由",
                "reason_en": "Reason",
            }
        ],
    }
    assert surveys.parse_instrument(data).question("n").type == "number"
    with pytest.raises(InstrumentError, match="missing reason_en"):
        surveys.parse_instrument({**data, "questions": [{**data["questions"][0], "reason_en": ""}]})


def test_errors_survive_pickling():
    error = InstrumentError("duplicate question id", question="q", source="x.toml")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.problem, copy.question, copy.source) == (error.problem, "q", "x.toml")
    validation = surveys.SurveyValidationError({"q": "回答してください / An answer is required"})
    assert pickle.loads(pickle.dumps(validation)).errors == validation.errors
