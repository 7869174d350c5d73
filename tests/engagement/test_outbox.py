"""The mail outbox against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import logging
import stat
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from itworks.models import AuditEvent, OutboxMessage, utcnow
from itworks.services.engagement import mail, outbox

PARAMS = {
    "event": "勉強会「島根で働く」",
    "when": "2022-07-09 13:00",
    "place": "オンライン",
    "expires": "2022-07-08",
    "url": "https://itworks.example/r/abc",
}


def _smtp(port: int) -> mail.SmtpTransport:
    return mail.SmtpTransport("127.0.0.1", port, security="none", timeout=10)


def _queue(session, person, **kwargs):  # noqa: ANN001, ANN202
    message = outbox.enqueue(session, person, "event_invitation", PARAMS, **kwargs)
    session.commit()
    return message


def _status(session, message_id: int) -> OutboxMessage:  # noqa: ANN001
    session.expire_all()
    return session.get(OutboxMessage, message_id)


class Killed(BaseException):
    """The worker process dying (SIGKILL): nothing after it runs."""


class DiesAfterSend:
    """A transport that hands the message over, then the worker dies before its commit."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner = inner

    def send(self, message) -> None:  # noqa: ANN001
        self.inner.send(message)
        raise Killed

    def delivered(self, message_id: str):  # noqa: ANN201
        return self.inner.delivered(message_id)


def test_a_queued_message_is_delivered_over_smtp_with_the_name_filled_in(
    session, registrant, vault, smtp_server
) -> None:
    handler, port = smtp_server
    person = registrant(name="島根 花子", email="hanako@example.jp")
    message = _queue(session, person)
    report = outbox.deliver(session, _smtp(port), vault)
    assert report.sent == 1
    [(recipients, received)] = handler.messages
    assert recipients == ["hanako@example.jp"]
    assert received["Message-ID"] == message.message_id
    assert "島根 花子 様" in received.get_content()
    assert "勉強会「島根で働く」" in str(received["Subject"])
    row = _status(session, message.id)
    assert (row.status, row.attempts) == ("sent", 1)
    # Nothing is left to send: a second run sends nothing.
    assert outbox.deliver(session, _smtp(port), vault).sent == 0
    assert len(handler.messages) == 1


def test_a_refusal_is_retried_after_a_backoff(session, registrant, vault, smtp_server) -> None:
    handler, port = smtp_server
    handler.refuse = 1
    message = _queue(session, registrant())
    first = outbox.deliver(session, _smtp(port), vault)
    assert (first.sent, first.retried) == (0, 1)
    row = _status(session, message.id)
    assert (row.status, row.last_error, row.attempts) == ("queued", "smtp_451", 1)
    assert row.next_attempt_at > utcnow() + timedelta(seconds=50)
    # Not due yet: nothing happens.
    assert outbox.deliver(session, _smtp(port), vault).sent == 0
    later = utcnow() + timedelta(minutes=2)
    again = outbox.deliver(session, _smtp(port), vault, clock=lambda: later)
    assert again.sent == 1
    assert handler.message_ids() == [message.message_id]
    assert _status(session, message.id).attempts == 2


def test_backoff_doubles_then_the_message_fails_with_a_reason(
    session, registrant, vault, smtp_server
) -> None:
    handler, port = smtp_server
    handler.refuse = 99
    settings = outbox.Settings(max_attempts=3, retry_seconds=10)
    assert [settings.backoff(n).total_seconds() for n in (1, 2, 3)] == [10, 20, 40]
    message = _queue(session, registrant())
    at = utcnow()
    for _ in range(3):
        outbox.deliver(session, _smtp(port), vault, settings=settings, clock=lambda at=at: at)
        at += timedelta(minutes=5)
    row = _status(session, message.id)
    assert (row.status, row.reason, row.last_error) == ("failed", "retries_exhausted", "smtp_451")
    assert handler.messages == []
    [listed] = outbox.list_messages(session, "failed")
    assert listed["reason"] == "retries_exhausted"


def test_a_permanent_refusal_fails_at_once(session, registrant, vault, smtp_server) -> None:
    handler, port = smtp_server
    handler.refuse, handler.refusal = 1, "550 5.1.1 no such user"
    message = _queue(session, registrant())
    assert outbox.deliver(session, _smtp(port), vault).failed == 1
    row = _status(session, message.id)
    assert (row.status, row.reason, row.last_error, row.attempts) == (
        "failed",
        "rejected",
        "smtp_550",
        1,
    )


def test_no_double_send_when_the_worker_dies_after_the_smtp_accept(
    session, registrant, vault, smtp_server
) -> None:
    handler, port = smtp_server
    message = _queue(session, registrant())
    with pytest.raises(Killed):
        outbox.deliver(session, DiesAfterSend(_smtp(port)), vault)
    session.rollback()
    assert _status(session, message.id).status == "sending"
    # A new worker right away leaves the claimed message alone …
    assert outbox.deliver(session, _smtp(port), vault).sent == 0
    # … and once it is stale, marks it interrupted instead of sending it again.
    later = utcnow() + timedelta(minutes=16)
    report = outbox.deliver(session, _smtp(port), vault, clock=lambda: later)
    assert report.recovered == {"interrupted": 1}
    assert handler.message_ids() == [message.message_id]
    row = _status(session, message.id)
    assert (row.status, row.reason) == ("failed", "interrupted")
    # A coordinator may requeue it; it goes with the same Message-ID.
    outbox.requeue(session, row.public_id)
    outbox.deliver(session, _smtp(port), vault)
    assert handler.message_ids() == [message.message_id, message.message_id]


def test_eml_files_are_the_default_and_a_restart_finds_its_receipt(
    session, registrant, vault, instance
) -> None:
    transport = mail.transport_from_settings({"SMTP_HOST": None}, instance)
    assert isinstance(transport, mail.EmlTransport)
    person = registrant(name="出雲 一郎", email="ichiro@example.jp")
    first = _queue(session, person)
    assert outbox.deliver(session, transport, vault).sent == 1
    [written] = sorted((instance / "outbox").glob("*.eml"))
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    text = written.read_text(encoding="utf-8", errors="replace")
    assert first.message_id in text and "ichiro@example.jp" in text
    # Dies after writing the file, before its commit: the file is the receipt.
    second = _queue(session, person)
    with pytest.raises(Killed):
        outbox.deliver(session, DiesAfterSend(transport), vault)
    session.rollback()
    later = utcnow() + timedelta(minutes=16)
    report = outbox.deliver(session, transport, vault, clock=lambda: later)
    assert report.recovered == {"sent": 1}
    assert _status(session, second.id).status == "sent"
    assert len(list((instance / "outbox").glob("*.eml"))) == 2


def test_opted_out_and_erased_people_get_no_mail(session, registrant, vault, instance) -> None:
    from itworks.services.errors import Conflict

    transport = mail.EmlTransport(instance / "outbox")
    person = registrant()
    message = _queue(session, person)
    person.mail_opt_out_at = utcnow()  # opted out after the message was queued
    session.commit()
    assert outbox.deliver(session, transport, vault).failed == 1
    assert _status(session, message.id).reason == "opted_out"
    with pytest.raises(Conflict):
        outbox.enqueue(session, person, "event_invitation", PARAMS)
    session.rollback()
    gone = registrant()
    gone.erased_at = utcnow()
    session.commit()
    with pytest.raises(Conflict):
        outbox.enqueue(session, gone, "event_invitation", PARAMS)
    assert not (instance / "outbox").exists()


def test_a_template_with_missing_parameters_is_refused_at_queue_time(session, registrant) -> None:
    from itworks.services.errors import InvalidInput

    with pytest.raises(InvalidInput):
        outbox.enqueue(session, registrant(), "event_invitation", {"event": "x"})
    with pytest.raises(InvalidInput):
        outbox.enqueue(session, registrant(), "event_invitation", {**PARAMS, "name": "x"})


def test_english_template_falls_back_to_japanese_until_translated() -> None:
    subject, body = mail.render("event_invitation", {**PARAMS, "name": "N"}, "en")
    assert "N" in body and PARAMS["url"] in body


def test_no_personal_value_in_the_logs_the_outbox_rows_or_the_audit(
    session, registrant, vault, smtp_server, caplog
) -> None:
    handler, port = smtp_server
    handler.refuse = 1
    name, email = "松江 秘密子", "himitsu-matsue@example.jp"
    person = registrant(name=name, email=email)
    _queue(session, person)
    with caplog.at_level(logging.DEBUG):
        outbox.deliver(session, _smtp(port), vault)
        later = utcnow() + timedelta(minutes=5)
        outbox.deliver(session, _smtp(port), vault, clock=lambda: later)
    assert len(handler.messages) == 1
    rows = session.execute(sa.select(OutboxMessage)).scalars().all()
    stored = " ".join(f"{r.params} {r.reason} {r.last_error} {r.message_id}" for r in rows)
    audit = " ".join(str(a.detail) for a in session.scalars(sa.select(AuditEvent)))
    listed = str(outbox.list_messages(session))
    # The loopback server's own log ("mail.log") shows the SMTP dialogue; ours must not.
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("itworks"))
    assert "outbox message" in ours
    for value in (name, email, "himitsu"):
        assert value not in ours
        assert value not in stored
        assert value not in audit
        assert value not in listed


@pytest.mark.postgres
def test_two_workers_on_postgresql_send_every_message_exactly_once(
    app, database_url, session, registrant, vault, smtp_server
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs the PostgreSQL run (ITWORKS_TEST_DATABASE_URL)")
    from sqlalchemy.orm import Session

    handler, port = smtp_server
    queued = [outbox.enqueue(session, registrant(), "event_invitation", PARAMS) for _ in range(30)]
    session.commit()
    expected = sorted(m.message_id for m in queued)
    engine = session.get_bind()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with Session(engine) as own:
                outbox.deliver(own, _smtp(port), vault)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(handler.message_ids()) == expected
    session.expire_all()
    statuses = session.scalars(sa.select(OutboxMessage.status)).all()
    assert statuses == ["sent"] * 30


def test_a_wrong_smtp_password_is_retried_not_a_permanent_failure(
    session, registrant, vault, start_smtp
) -> None:
    """535 at login is about our account, not the message: it must not fail every message."""
    from aiosmtpd.smtp import AuthResult

    handler, port = start_smtp(
        authenticator=lambda *args: AuthResult(success=False, handled=False),
        auth_require_tls=False,
    )
    message = _queue(session, registrant())
    transport = mail.SmtpTransport(
        "127.0.0.1", port, security="none", username="itworks", password="wrong", timeout=10
    )
    report = outbox.deliver(session, transport, vault)
    assert (report.sent, report.failed, report.retried) == (0, 0, 1)
    row = _status(session, message.id)
    assert (row.status, row.last_error) == ("queued", "smtp_535")
    assert handler.messages == []
