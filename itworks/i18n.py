"""Translatable text for code that must not know Flask: services, tables, demo.

There is one translation system, Flask-Babel's catalogue in itworks/translations.
Code below the entry points marks a user-visible string with ``N_("日本語", **params)``:
the Japanese text is the msgid (pybabel extracts the ``N_`` keyword, see babel.cfg),
and the result is a :class:`Message`, a ``str`` whose value is the Japanese text,
so it can be stored, compared and logged like any string. The entry points (web,
API, CLI) translate it into the reader's language with ``flask_babel.gettext``
through :func:`localize`; a renderer that is given a language (a table built for
``lang="en"``, the workbook) uses :func:`translate`, which reads the same catalogue
with plain Babel.

Parameters use Babel's python-format, ``%(name)s``, in the msgid and in the
translation alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

CATALOGUE = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
SOURCE_LANGUAGE = "ja"


class Message(str):
    """A Japanese msgid with its parameters; its ``str`` value is the Japanese text."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Message:
        text = msgid % params if params else msgid
        self = super().__new__(cls, text)
        self.msgid = msgid
        self.params = params
        return self

    def __reduce__(self):  # noqa: ANN204  (pickle keeps the msgid, not only the text)
        return (_rebuild, (self.msgid, self.params))

    def bind(self, **params: Any) -> Message:
        """The same msgid with (more) parameters: ``MESSAGES["too_long"].bind(n=100)``."""
        return Message(self.msgid, **{**self.params, **params})

    def translated(self, gettext: Callable[[str], str]) -> str:
        text = gettext(self.msgid)
        return text % self.params if self.params else text


def _rebuild(msgid: str, params: dict[str, Any]) -> Message:
    return Message(msgid, **params)


def N_(msgid: str, **params: Any) -> Message:  # noqa: N802  (the gettext convention)
    """Mark ``msgid`` (Japanese) for translation at the entry point."""
    return Message(msgid, **params)


@cache
def _translations(lang: str) -> NullTranslations:
    if lang.startswith(SOURCE_LANGUAGE):
        return NullTranslations()
    return Translations.load(str(CATALOGUE), [lang], DOMAIN)


def translate(value: object, lang: str = SOURCE_LANGUAGE) -> str:
    """``value`` in ``lang`` (read from the catalogue); plain strings pass through."""
    if isinstance(value, Message):
        return value.translated(_translations(lang).gettext)
    return str(value)


def localize(value: Any, gettext: Callable[[str], str]) -> Any:
    """Translate every Message in ``value`` (a string, dict, list or tuple of them)."""
    if isinstance(value, Message):
        return value.translated(gettext)
    if isinstance(value, Mapping):
        return {key: localize(item, gettext) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(localize(item, gettext) for item in value)
    return value


def message_of(error: BaseException) -> str:
    """The message an error was raised with: a Message keeps its msgid (``str`` loses it)."""
    if len(error.args) == 1 and isinstance(error.args[0], Message):
        return error.args[0]
    return str(error)


def label(labels: Mapping[Any, Message], code: Any, lang: str = SOURCE_LANGUAGE) -> str:
    """The label of ``code`` in ``lang``, or the code itself when it has none."""
    found = labels.get(code)
    return str(code) if found is None else translate(found, lang)


LANGUAGES = ("ja", "en")


def by_language(labels: Mapping[Any, Message]) -> dict[str, dict[Any, str]]:
    """``{"ja": {code: text}, "en": {code: text}}`` from one dict of msgids, for renderers
    that are handed a language code."""
    return {lang: {code: translate(m, lang) for code, m in labels.items()} for lang in LANGUAGES}
