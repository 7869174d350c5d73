"""Survey instruments as frozen dataclasses.

The dataclasses check their own consistency when built, so an instrument is
sound whether it came from a TOML file or was built in code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, NoReturn

from surveys.errors import InstrumentError

QuestionType = Literal["single", "multiple", "number", "text"]
QUESTION_TYPES: tuple[str, ...] = ("single", "multiple", "number", "text")
CHOICE_TYPES: tuple[str, ...] = ("single", "multiple")
LANGS: tuple[str, ...] = ("ja", "en")

# Question ids and codes end up inside feature names such as "skills=cloud" and
# "move_timing:ord", so they must never contain the separators "=" and ":".
QUESTION_ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*\Z")
CODE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_]*\Z")
# Tallies use these words as bucket names beside the choice codes.
RESERVED_CODES: frozenset[str] = frozenset({"unanswered", "answered"})


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a supported language code, else raise ValueError."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    return lang


@dataclass(frozen=True)
class Choice:
    """One option of a single- or multiple-choice question.

    Attributes
    ----------
    code : str
        Stable lowercase code stored with answers and used in feature names.
    label_ja, label_en : str
        What the respondent reads.
    off_scale : bool
        On an ordinal question, the choice has no place on the scale (e.g. "undecided").
    exclusive : bool
        On a multiple-choice question, the choice cannot be combined with others
        (e.g. "none").
    """

    code: str
    label_ja: str
    label_en: str
    off_scale: bool = False
    exclusive: bool = False

    def label(self, lang: str = "ja") -> str:
        """Return the label in ``lang`` ("ja" or "en")."""
        return self.label_ja if check_lang(lang) == "ja" else self.label_en


@dataclass(frozen=True)
class Question:
    """One item of an instrument.

    Attributes
    ----------
    id : str
        Stable lowercase id.
    type : {"single", "multiple", "number", "text"}
        Kind of answer expected.
    label_ja, label_en : str
        The question as the respondent reads it.
    short_ja, short_en : str
        A few words naming the item in tables, charts and feature labels.
    reason_ja, reason_en : str
        Why the item is asked and which decision it informs. Required: we ask
        nothing we cannot justify to the respondent.
    required : bool
        Whether an answer must be given.
    choices : tuple of Choice
        Options, in display order; only for choice questions.
    ordinal : bool
        The choices of a single-choice question form a scale, first = soonest.
    min, max : float, optional
        Inclusive bounds of a number question.
    max_length : int, optional
        Longest accepted free-text answer, in characters; required for text.
    unit_ja, unit_en : str
        Unit shown beside a number field (e.g. "年" / "years").
    """

    id: str
    type: QuestionType
    label_ja: str
    label_en: str
    short_ja: str
    short_en: str
    reason_ja: str
    reason_en: str
    required: bool = False
    choices: tuple[Choice, ...] = ()
    ordinal: bool = False
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    unit_ja: str = ""
    unit_en: str = ""

    def __post_init__(self) -> None:
        _check_question(self)

    @property
    def personal(self) -> bool:
        """Whether answers are personal data; free text may hold anything, so it is."""
        return self.type == "text"

    # Cached rather than stored as fields: validation and encoding consult them
    # for every answer, and dataclasses.asdict() should show only the definition.
    @cached_property
    def codes(self) -> tuple[str, ...]:
        """The choice codes in instrument order (empty for number and text)."""
        return tuple(c.code for c in self.choices)

    @cached_property
    def positions(self) -> Mapping[str, int]:
        """Each choice code's position in :attr:`codes` (read-only by convention)."""
        return {c.code: k for k, c in enumerate(self.choices)}

    @cached_property
    def _by_code(self) -> dict[str, Choice]:
        return {c.code: c for c in self.choices}

    @property
    def scale_codes(self) -> tuple[str, ...]:
        """The on-scale codes of an ordinal question, soonest first; else empty."""
        if not self.ordinal:
            return ()
        return tuple(c.code for c in self.choices if not c.off_scale)

    def choice(self, code: str) -> Choice:
        """Return the choice with ``code``; raise KeyError if there is none."""
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"question {self.id!r} has no choice {code!r}") from None

    def label(self, lang: str = "ja") -> str:
        """Return the question text in ``lang``."""
        return self.label_ja if check_lang(lang) == "ja" else self.label_en

    def short(self, lang: str = "ja") -> str:
        """Return the short name of the item in ``lang``."""
        return self.short_ja if check_lang(lang) == "ja" else self.short_en

    def reason(self, lang: str = "ja") -> str:
        """Return why the item is asked, in ``lang``."""
        return self.reason_ja if check_lang(lang) == "ja" else self.reason_en


@dataclass(frozen=True)
class Instrument:
    """A versioned questionnaire.

    Attributes
    ----------
    id : str
        Stable id shared by every version (e.g. "readiness").
    version : int
        Version number, from 1. Answers are stored with the id and version they
        were given against.
    title_ja, title_en, purpose_ja, purpose_en : str
        Shown to respondents above the form.
    questions : tuple of Question
        Items in display order, which is also the order of encoded features.
    """

    id: str
    version: int
    title_ja: str
    title_en: str
    purpose_ja: str
    purpose_en: str
    questions: tuple[Question, ...]

    def __post_init__(self) -> None:
        _check_instrument(self)

    @cached_property
    def _by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    @property
    def key(self) -> str:
        """The instrument's file stem, e.g. ``"readiness-v1"``."""
        return f"{self.id}-v{self.version}"

    @property
    def question_ids(self) -> tuple[str, ...]:
        """Question ids in instrument order."""
        return tuple(q.id for q in self.questions)

    def question(self, question_id: str) -> Question:
        """Return the question with ``question_id``; raise KeyError if there is none."""
        try:
            return self._by_id[question_id]
        except KeyError:
            raise KeyError(f"instrument {self.key!r} has no question {question_id!r}") from None

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._by_id

    def title(self, lang: str = "ja") -> str:
        """Return the title in ``lang``."""
        return self.title_ja if check_lang(lang) == "ja" else self.title_en

    def purpose(self, lang: str = "ja") -> str:
        """Return the purpose statement in ``lang``."""
        return self.purpose_ja if check_lang(lang) == "ja" else self.purpose_en


def _check_question(q: Question) -> None:
    def fail(problem: str) -> NoReturn:
        raise InstrumentError(problem, question=q.id)

    if not isinstance(q.id, str) or not QUESTION_ID_PATTERN.match(q.id):
        raise InstrumentError(
            f"question id {q.id!r} must be lowercase letters, digits and '_', "
            "starting with a letter"
        )
    if q.type not in QUESTION_TYPES:
        fail(f"unknown type {q.type!r} (expected one of {', '.join(QUESTION_TYPES)})")
    for name in ("label_ja", "label_en", "short_ja", "short_en", "reason_ja", "reason_en"):
        value = getattr(q, name)
        if not isinstance(value, str) or not value.strip():
            if name.startswith("reason"):
                fail(f"missing {name}: say why the item is asked and which decision it informs")
            fail(f"missing {name}")

    if q.type in CHOICE_TYPES:
        if len(q.choices) < 2:
            fail(f"a {q.type}-choice question needs at least two choices")
        _check_choices(q, fail)
    elif q.choices:
        fail(f"choices are not allowed on a {q.type} question")

    if q.ordinal and q.type != "single":
        fail("only a single-choice question can be ordinal")
    if q.ordinal and len(q.scale_codes) < 2:
        fail("an ordinal question needs at least two on-scale choices")

    if q.type == "number":
        for name in ("min", "max"):
            bound = getattr(q, name)
            if bound is not None and (
                isinstance(bound, bool)
                or not isinstance(bound, int | float)
                or not math.isfinite(bound)
            ):
                fail(f"{name} must be a finite number")
        if q.min is not None and q.max is not None and q.min > q.max:
            fail(f"min ({q.min}) is greater than max ({q.max})")
    elif q.min is not None or q.max is not None:
        fail(f"min/max are only allowed on a number question, not {q.type}")

    if q.type == "text":
        if q.max_length is None:
            fail("a text question needs max_length")
        if isinstance(q.max_length, bool) or not isinstance(q.max_length, int):
            fail("max_length must be an integer")
        if q.max_length < 1:
            fail("max_length must be at least 1")
    elif q.max_length is not None:
        fail(f"max_length is only allowed on a text question, not {q.type}")


def _check_choices(q: Question, fail: Callable[[str], NoReturn]) -> None:
    seen: set[str] = set()
    for c in q.choices:
        if not isinstance(c, Choice):
            fail(f"choices must be Choice objects, not {type(c).__name__}")
        if not isinstance(c.code, str) or not CODE_PATTERN.match(c.code):
            fail(
                f"choice code {c.code!r} must be lowercase letters, digits and '_', "
                "starting with a letter or digit"
            )
        if c.code in RESERVED_CODES:
            fail(f"choice code {c.code!r} is reserved")
        if c.code in seen:
            fail(f"duplicate choice code {c.code!r}")
        seen.add(c.code)
        for name in ("label_ja", "label_en"):
            value = getattr(c, name)
            if not isinstance(value, str) or not value.strip():
                fail(f"choice {c.code!r} is missing {name}")
        if c.off_scale and not q.ordinal:
            fail(f"choice {c.code!r} is off_scale but the question is not ordinal")
        if c.exclusive and q.type != "multiple":
            fail(f"choice {c.code!r} is exclusive but the question is not multiple-choice")


def _check_instrument(inst: Instrument) -> None:
    if not isinstance(inst.id, str) or not QUESTION_ID_PATTERN.match(inst.id):
        raise InstrumentError(
            f"instrument id {inst.id!r} must be lowercase letters, digits and '_'"
        )
    if isinstance(inst.version, bool) or not isinstance(inst.version, int) or inst.version < 1:
        raise InstrumentError(f"version must be a positive integer, not {inst.version!r}")
    for name in ("title_ja", "title_en", "purpose_ja", "purpose_en"):
        value = getattr(inst, name)
        if not isinstance(value, str) or not value.strip():
            raise InstrumentError(f"missing {name}")
    if not inst.questions:
        raise InstrumentError("an instrument needs at least one question")
    seen: set[str] = set()
    for q in inst.questions:
        if not isinstance(q, Question):
            raise InstrumentError(f"questions must be Question objects, not {type(q).__name__}")
        if q.id in seen:
            raise InstrumentError("duplicate question id", question=q.id)
        seen.add(q.id)
