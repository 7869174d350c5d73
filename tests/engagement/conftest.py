"""Fixtures for the engagement services: the vault, a real SMTP server on loopback."""

from __future__ import annotations

import threading

import pytest

from testsupport import free_port


@pytest.fixture
def vault(app):  # noqa: ANN001, ANN201
    return app.extensions["itworks.vault"]


@pytest.fixture
def signer(app):  # noqa: ANN001, ANN201
    return app.extensions["itworks.link_signer"]


@pytest.fixture
def registrant(session, make_registrant):  # noqa: ANN001, ANN201
    """Make a registrant and return its row, loaded in the test's session."""
    import sqlalchemy as sa

    from itworks.models import Registrant

    def make(**overrides):  # noqa: ANN202
        public_id = make_registrant(**overrides)
        session.commit()  # end the test session's snapshot, so it sees the new row
        return session.scalar(sa.select(Registrant).where(Registrant.public_id == public_id))

    return make


class RecordingHandler:
    """An aiosmtpd handler that keeps every accepted message and can refuse the
    first ``refuse`` DATA commands with a given reply."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refuse = 0
        self.refusal = "451 4.3.0 try later"
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        from email import message_from_bytes
        from email.policy import default

        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                return self.refusal
            self.messages.append(
                (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default))
            )
        return "250 OK"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(message["Message-ID"]) for _, message in self.messages]


@pytest.fixture
def start_smtp():  # noqa: ANN201
    """Start real SMTP servers on 127.0.0.1 (aiosmtpd) with Controller options; each
    call returns (handler, port), and every server stops after the test."""
    from aiosmtpd.controller import Controller

    controllers = []

    def start(**options):  # noqa: ANN202, ANN003
        handler = RecordingHandler()
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return handler, port

    try:
        yield start
    finally:
        for controller in controllers:
            controller.stop()


@pytest.fixture
def smtp_server(start_smtp):  # noqa: ANN001, ANN201
    """A real SMTP server on 127.0.0.1 (aiosmtpd), yielding (handler, port)."""
    return start_smtp()
