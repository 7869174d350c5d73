"""Every log record of the whole test run, searched at the end for the personal
values the tests seeded (tests/conftest.py registers the hooks).

Tests add what they seed with ``seed()`` (the ``make_registrant`` fixture does it
for every registrant it makes); a record holding one of those values, or its
normalised form, fails the run. Exception tracebacks that are logged are part of
the record, so a personal value in an exception message is caught too.
"""

from __future__ import annotations

import logging
import re
import unicodedata

SEEDED: set[str] = set()
RECORDS: list[str] = []
_DIGITS = re.compile(r"\D")
# Loggers of what stands in for the outside world in the tests, not the service:
# aiosmtpd's "mail.log" is the receiving mail server, which is given the
# recipient's address by design. The service's own sending is still watched.
OUTSIDE = ("mail.log",)


class Keeper(logging.Handler):
    """Keeps the text of every record (with its traceback, if any)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name in OUTSIDE or record.name.startswith(tuple(f"{n}." for n in OUTSIDE)):
            return
        try:
            RECORDS.append(self.format(record))
        except Exception:  # noqa: BLE001 (a record that cannot be formatted is kept raw)
            RECORDS.append(f"{record.name} {record.msg!r} {record.args!r}")


def forms(value: str) -> set[str]:
    """The value as written, NFKC-folded and lower-cased, and for a phone number
    its digits (with and without the trunk 0 turned into +81)."""
    folded = unicodedata.normalize("NFKC", value).strip()
    out = {value, folded, folded.lower()}
    digits = _DIGITS.sub("", folded)
    if len(digits) >= 10 and digits.startswith("0"):
        out |= {digits, "+81" + digits[1:]}
    return {v for v in out if len(v) >= 6}  # shorter strings occur by chance


def seed(*values: str | None) -> None:
    for value in values:
        if value:
            SEEDED.update(forms(value))


def leaks(records: list[str], seeded: set[str]) -> list[str]:
    """Each (value, record) where a seeded value appears in a record."""
    found = []
    for record in records:
        lowered = record.lower()
        found += [f"{value!r} in: {record[:300]}" for value in seeded if value.lower() in lowered]
    return found


def install() -> Keeper:
    keeper = Keeper()
    logging.getLogger().addHandler(keeper)
    # The service's own loggers down to DEBUG, whatever the root level is.
    for name in ("itworks", "gunicorn", "werkzeug"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    return keeper
