"""The whole-run log check (tests/leakwatch.py) finds what it is meant to find."""

from __future__ import annotations

import logging

import leakwatch


def test_a_seeded_value_in_a_record_or_its_traceback_is_found() -> None:
    seeded: set[str] = set()
    for value in ("島根 花子", "Hanako.Leak@Example.jp", "090-1234-5678"):
        seeded |= leakwatch.forms(value)
    keeper = leakwatch.Keeper()
    records = []
    keeper.emit = lambda record: records.append(keeper.format(record))  # type: ignore[method-assign]
    log = logging.getLogger("leakwatch-test")
    log.addHandler(keeper)
    log.propagate = False
    try:
        log.warning("nothing personal here: registrant %s", "AbCdEf0123456789")
        log.warning("sent to %s", "hanako.leak@example.jp")
        try:
            raise ValueError("bad phone 09012345678")
        except ValueError:
            log.exception("refused")
    finally:
        log.removeHandler(keeper)
    found = leakwatch.leaks(records, seeded)
    assert len(records) == 3
    assert any("hanako.leak@example.jp" in f for f in found)
    assert any("09012345678" in f for f in found)  # from the traceback
    assert not any("nothing personal" in f for f in found)


def test_the_forms_of_a_phone_number_and_an_email() -> None:
    assert {"09012345678", "+819012345678"} <= leakwatch.forms("０９０-1234-5678")
    assert "hanako@example.jp" in leakwatch.forms("Hanako@Example.jp")
    assert leakwatch.forms("山田") == set()  # too short to search without chance matches


def test_the_stand_in_mail_server_is_not_watched_but_the_service_is() -> None:
    """aiosmtpd ("mail.log") receives the recipient by design; the service's own
    mail loggers are still kept."""
    keeper = leakwatch.Keeper()
    before = len(leakwatch.RECORDS)
    for name in ("mail.log", "mail.log.session", "itworks.mail", "mail"):
        keeper.emit(logging.LogRecord(name, logging.INFO, __file__, 1, "rcpt %s", ("x",), None))
    kept = leakwatch.RECORDS[before:]
    del leakwatch.RECORDS[before:]
    assert kept == ["itworks.mail INFO rcpt x", "mail INFO rcpt x"]
