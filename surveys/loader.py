"""Read instrument definitions from TOML files.

Each instrument version is one file, ``<id>-v<version>.toml``, shipped as package
data in ``surveys/instruments/``. A published version is never edited: a change
of wording or choices is a new version, so stored answers keep their meaning.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from surveys.errors import InstrumentError
from surveys.instrument import QUESTION_ID_PATTERN, Choice, Instrument, Question

FILE_PATTERN = re.compile(r"(?P<id>[a-z][a-z0-9_]*)-v(?P<version>[1-9][0-9]*)\.toml\Z")

_TEXT = "text"
_BOOL = "bool"
_NUMBER = "number"
_INT = "int"

_INSTRUMENT_KEYS = {
    "id": _TEXT,
    "version": _INT,
    "title_ja": _TEXT,
    "title_en": _TEXT,
    "purpose_ja": _TEXT,
    "purpose_en": _TEXT,
    "questions": None,
}
_QUESTION_KEYS = {
    "id": _TEXT,
    "type": _TEXT,
    "label_ja": _TEXT,
    "label_en": _TEXT,
    "short_ja": _TEXT,
    "short_en": _TEXT,
    "reason_ja": _TEXT,
    "reason_en": _TEXT,
    "required": _BOOL,
    "choices": None,
    "ordinal": _BOOL,
    "min": _NUMBER,
    "max": _NUMBER,
    "max_length": _INT,
    "unit_ja": _TEXT,
    "unit_en": _TEXT,
}
_CHOICE_KEYS = {
    "code": _TEXT,
    "label_ja": _TEXT,
    "label_en": _TEXT,
    "off_scale": _BOOL,
    "exclusive": _BOOL,
}
# Missing text fields are passed on empty so the dataclass reports them with
# its own, more specific message (e.g. what a reason is for).
_REQUIRED_TEXT = {
    "instrument": ("title_ja", "title_en", "purpose_ja", "purpose_en"),
    "question": ("label_ja", "label_en", "short_ja", "short_en", "reason_ja", "reason_en"),
    "choice": ("label_ja", "label_en"),
}


class InstrumentKey(NamedTuple):
    """Names one shipped instrument version."""

    id: str
    version: int


class UnknownInstrumentError(InstrumentError, LookupError):
    """No shipped instrument has the requested id and version."""


def parse_instrument(data: Mapping[str, Any], *, source: str | None = None) -> Instrument:
    """Build an instrument from its decoded TOML table.

    Parameters
    ----------
    data : Mapping
        The decoded document: top-level keys plus a ``questions`` array of tables.
    source : str, optional
        Named in error messages, usually the file name.

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        On the first problem found, naming the question and the problem.
    """
    try:
        return _parse(data)
    except InstrumentError as exc:
        if source is None:
            raise
        raise exc.with_source(source) from None


def load_instrument_file(path: str | os.PathLike[str]) -> Instrument:
    """Load an instrument from a TOML file anywhere on disk.

    A file named like ``<id>-v<version>.toml`` must declare that id and version.

    Raises
    ------
    InstrumentError
        When the file is not valid TOML or does not define a sound instrument.
    """
    path = Path(path)
    return _load_text(path.read_bytes(), path.name)


def list_instruments() -> list[InstrumentKey]:
    """Return the shipped instruments, sorted by id then version."""
    keys = []
    for entry in resources.files("surveys").joinpath("instruments").iterdir():
        match = FILE_PATTERN.match(entry.name)
        if match:
            keys.append(InstrumentKey(match["id"], int(match["version"])))
    return sorted(keys)


@functools.lru_cache(maxsize=32)
def load_instrument(id: str, version: int | None = None) -> Instrument:
    """Load a shipped instrument from the package data.

    Parameters
    ----------
    id : str
        Instrument id, e.g. ``"readiness"``.
    version : int, optional
        Version number. When omitted, the latest shipped version of ``id``.
        Code that stores or encodes answers should name the version it means.

    Returns
    -------
    Instrument
        The same (immutable) object on repeated calls.

    Raises
    ------
    UnknownInstrumentError
        No such id or version is shipped (also a ``LookupError``).
    InstrumentError
        The shipped file is malformed.

    Examples
    --------
    >>> load_instrument("readiness", 1).key
    'readiness-v1'
    """
    available = [key for key in list_instruments() if key.id == id]
    if version is None and available:
        version = available[-1].version
    if (id, version) not in available:
        shipped = ", ".join(f"{k.id}-v{k.version}" for k in list_instruments()) or "none"
        raise UnknownInstrumentError(
            f"no instrument {id!r} version {version!r} (shipped: {shipped})"
        )
    name = f"{id}-v{version}.toml"
    data = resources.files("surveys").joinpath("instruments", name).read_bytes()
    return _load_text(data, name)


def _load_text(data: bytes, name: str) -> Instrument:
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InstrumentError(f"not a valid UTF-8 TOML file: {exc}", source=name) from None
    instrument = parse_instrument(document, source=name)
    match = FILE_PATTERN.match(name)
    if match and (match["id"], int(match["version"])) != (instrument.id, instrument.version):
        raise InstrumentError(
            f"file declares {instrument.key!r}; its name says {match['id']}-v{match['version']}",
            source=name,
        )
    return instrument


def _parse(data: Mapping[str, Any]) -> Instrument:
    if not isinstance(data, Mapping):
        raise InstrumentError("an instrument must be a table")
    fields = _fields(data, _INSTRUMENT_KEYS, "instrument", where=None)
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise InstrumentError("an instrument needs a non-empty [[questions]] array")
    questions = tuple(_parse_question(raw, i) for i, raw in enumerate(raw_questions, 1))
    fields.setdefault("id", "")
    fields.setdefault("version", 0)
    return Instrument(questions=questions, **fields)


def _parse_question(raw: object, position: int) -> Question:
    where = f"#{position}"
    if isinstance(raw, Mapping) and isinstance(raw.get("id"), str):
        where = raw["id"]
        if not QUESTION_ID_PATTERN.match(where):
            raise InstrumentError(f"question #{position} has an invalid id {where!r}")
    if not isinstance(raw, Mapping):
        raise InstrumentError("a question must be a table", question=where)
    if "id" not in raw:
        raise InstrumentError("missing id", question=where)
    if "type" not in raw:
        raise InstrumentError("missing type", question=where)
    fields = _fields(raw, _QUESTION_KEYS, "question", where=where)
    raw_choices = raw.get("choices", [])
    if not isinstance(raw_choices, list):
        raise InstrumentError("choices must be an array of tables", question=where)
    choices = tuple(_parse_choice(c, where) for c in raw_choices)
    return Question(choices=choices, **fields)


def _parse_choice(raw: object, where: str) -> Choice:
    if not isinstance(raw, Mapping):
        raise InstrumentError("each choice must be a table", question=where)
    if "code" not in raw:
        raise InstrumentError("a choice is missing its code", question=where)
    return Choice(**_fields(raw, _CHOICE_KEYS, "choice", where=where))


def _fields(
    raw: Mapping[str, Any], allowed: Mapping[str, str | None], kind: str, *, where: str | None
) -> dict[str, Any]:
    """Check the keys and scalar types of one table; return its scalar fields."""
    label = f"choice {raw.get('code')!r}: " if kind == "choice" else ""
    for key in raw:
        if key not in allowed:
            raise InstrumentError(f"{label}unknown key {key!r}", question=where)
    fields: dict[str, Any] = {}
    for key, expected in allowed.items():
        if expected is None or key not in raw:
            continue
        value = raw[key]
        if not _is(value, expected):
            raise InstrumentError(f"{label}{key} must be {_DESCRIBE[expected]}", question=where)
        fields[key] = value
    for key in _REQUIRED_TEXT[kind]:
        fields.setdefault(key, "")
    return fields


_DESCRIBE = {_TEXT: "a string", _BOOL: "true or false", _NUMBER: "a number", _INT: "an integer"}


def _is(value: object, expected: str) -> bool:
    if expected == _TEXT:
        return isinstance(value, str)
    if expected == _BOOL:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if expected == _INT:
        return isinstance(value, int)
    return isinstance(value, int | float)
