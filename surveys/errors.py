"""The two domain errors of the survey library."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SurveyError(Exception):
    """Base class of every error raised on purpose by :mod:`surveys`."""


class InstrumentError(SurveyError):
    """An instrument definition is malformed.

    Parameters
    ----------
    problem : str
        What is wrong, in English (instrument authors read it, not respondents).
    question : str, optional
        Id of the question at fault, when the problem belongs to one question.
    source : str, optional
        Where the definition came from (a file name), when known.

    Attributes
    ----------
    problem, question, source
        As given, so callers and tests can inspect them without parsing the message.
    """

    def __init__(
        self, problem: str, *, question: str | None = None, source: str | None = None
    ) -> None:
        self.problem = problem
        self.question = question
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.question:
            parts.append(f"question {self.question!r}")
        parts.append(self.problem)
        return ": ".join(parts)

    def __reduce__(
        self,
    ) -> tuple[Any, tuple[Any, ...]]:  # keyword-only arguments need help to survive pickling
        return _rebuild_instrument_error, (self.problem, self.question, self.source)

    def with_source(self, source: str) -> InstrumentError:
        """Return a copy of this error that names the file it came from."""
        return InstrumentError(self.problem, question=self.question, source=source)


class SurveyValidationError(SurveyError):
    """Answers do not fit their instrument.

    Every problem found is reported at once, so a form can show all of them.

    Parameters
    ----------
    errors : Mapping[str, str]
        One bilingual message ("日本語 / English") per question id. When several
        respondents are checked together (:func:`surveys.encode`,
        :func:`surveys.tally`) the key is ``"<row>.<question id>"``.

    Attributes
    ----------
    errors : dict[str, str]
        The messages, keyed as above. They never contain free-text answers.
    """

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        summary = "; ".join(f"{key}: {message}" for key, message in self.errors.items())
        super().__init__(f"{len(self.errors)} invalid answer(s): {summary}")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return type(self), (self.errors,)


def _rebuild_instrument_error(
    problem: str, question: str | None, source: str | None
) -> InstrumentError:
    return InstrumentError(problem, question=question, source=source)
