"""Survey instruments for IT WORKS@島根: definitions, validation, features, tallies.

A pure library: it knows nothing of Flask, SQLAlchemy or the database. The app
stores answers; this package says what they mean.

Examples
--------
>>> import surveys
>>> instrument = surveys.load_instrument("readiness", 1)
>>> answers = surveys.validate({"move_timing": "asap", "destination": "shimane",
...     "shimane_connection": "none", "job_change_timing": "within_1y",
...     "age_band": "30_34"}, instrument)
>>> X, names = surveys.encode([answers], instrument)
>>> X.shape
(1, 79)
"""

from __future__ import annotations

from surveys import stats
from surveys.encoding import encode, feature_labels, feature_names, ordinal_scale
from surveys.errors import InstrumentError, SurveyError, SurveyValidationError
from surveys.instrument import Choice, Instrument, Question
from surveys.loader import (
    InstrumentKey,
    UnknownInstrumentError,
    list_instruments,
    load_instrument,
    load_instrument_file,
    parse_instrument,
)
from surveys.tallies import Tally, tally
from surveys.validation import AnswerError, clean_answer, normalize_code, validate

__all__ = [
    "AnswerError",
    "Choice",
    "Instrument",
    "InstrumentError",
    "InstrumentKey",
    "Question",
    "SurveyError",
    "SurveyValidationError",
    "Tally",
    "UnknownInstrumentError",
    "clean_answer",
    "encode",
    "feature_labels",
    "feature_names",
    "list_instruments",
    "load_instrument",
    "load_instrument_file",
    "normalize_code",
    "ordinal_scale",
    "parse_instrument",
    "stats",
    "tally",
    "validate",
]
