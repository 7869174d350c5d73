"""Text from the layers below (itworks.i18n Messages) in the request's language."""

from __future__ import annotations

from flask import flash
from flask_babel import gettext, lazy_gettext

from .. import i18n


def localize(value: object) -> object:
    """A Message (or a dict/list of them) in the request's language; other values as they are."""
    return i18n.localize(value, gettext)


def error_text(error: BaseException) -> str:
    """The message a service error was raised with, in the request's language."""
    return str(localize(i18n.message_of(error)))


def flash_error(error: BaseException) -> None:
    """Flash a service error's message; the session keeps the translated text."""
    flash(error_text(error), "error")


def lazy_labels(labels: dict[str, i18n.Message]) -> dict[str, object]:
    """A vocabulary dict whose labels are shown in the request's language."""
    return {code: lazy_gettext(label.msgid) for code, label in labels.items()}
