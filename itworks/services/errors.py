"""Domain errors, mapped to HTTP codes or CLI exit codes in one place each."""

from __future__ import annotations

from collections.abc import Mapping


class ServiceError(Exception):
    """Base class for failures a user can act on."""


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class InvalidInput(ServiceError):
    """One or more fields are wrong. ``errors`` maps field → bilingual message.

    Messages never contain the submitted value: it may be personal data.
    """

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("invalid input: " + ", ".join(sorted(errors)))
        self.errors = dict(errors)
