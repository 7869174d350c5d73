"""Mail templates and the two ways a message leaves: SMTP, or an .eml file.

A template is a pair of Japanese msgids (subject, body) with ``%(name)s``-style
parameters; English comes from the one catalogue through ``i18n.translate``.
The registrant's name is a parameter filled in only when the message is built
for sending, so it is never stored in the outbox nor logged.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Protocol

from itworks.i18n import N_, Message, translate
from itworks.models import utcnow

SMTP_PASSWORD_ENV = "ITWORKS_SMTP_PASSWORD"

TEMPLATES: dict[str, tuple[Message, Message]] = {
    "event_invitation": (
        N_("【IT WORKS@島根】%(event)s のご案内"),
        N_(
            "%(name)s 様\n\n"
            "IT WORKS@島根 です。%(event)s を開催します。\n\n"
            "日時: %(when)s\n"
            "場所: %(place)s\n\n"
            "参加のお申し込み・ご辞退は、次のリンクからお願いします（%(expires)s まで有効）。\n"
            "%(url)s\n\n"
            "配信の停止をご希望の方は、このメールにご返信ください。\n"
            "IT WORKS@島根"
        ),
    ),
    "waitlist_promoted": (
        N_("【IT WORKS@島根】%(event)s のお席をご用意できました"),
        N_(
            "%(name)s 様\n\n"
            "IT WORKS@島根 です。キャンセル待ちでお申し込みいただいていた "
            "%(event)s（%(when)s）に空きが出たため、お席をご用意しました。\n\n"
            "ご都合が悪くなった場合は、このメールにご返信ください。\n"
            "IT WORKS@島根"
        ),
    ),
    "contact_follow_up": (
        N_("【IT WORKS@島根】その後のご様子はいかがですか"),
        N_(
            "%(name)s 様\n\n"
            "IT WORKS@島根 です。その後、転職のご検討状況はいかがでしょうか。\n"
            "ご相談があれば、このメールにご返信ください。\n\n"
            "IT WORKS@島根"
        ),
    ),
}
NAME_FALLBACK = N_("ご登録者")


class TemplateError(Exception):
    """A template code that does not exist, or parameters that do not fit it."""


def check_template(template: str, params: Mapping[str, Any]) -> None:
    """Refuse an unknown template, or one whose parameters are missing (name aside)."""
    if template not in TEMPLATES:
        raise TemplateError(f"unknown template {template!r}")
    render(template, {**params, "name": "x"}, "ja")


def render(template: str, params: Mapping[str, Any], lang: str) -> tuple[str, str]:
    """Subject and body of ``template`` in ``lang`` (Japanese when untranslated)."""
    try:
        subject, body = TEMPLATES[template]
        values = {key: "" if value is None else str(value) for key, value in params.items()}
        return (
            translate(Message(subject.msgid, **values), lang),
            translate(Message(body.msgid, **values), lang),
        )
    except (KeyError, ValueError, TypeError) as exc:
        # Never echo the parameters: the name is one of them.
        raise TemplateError(f"template {template!r} does not fit its parameters") from exc


def new_message_id(mail_from: str) -> str:
    """A fresh RFC 5322 Message-ID under the sender's domain."""
    _, address = parseaddr(mail_from)
    domain = address.rpartition("@")[2]
    if not domain or not domain.isascii() or not domain.replace(".", "").replace("-", "").isalnum():
        domain = "itworks.invalid"
    return make_msgid(domain=domain)


def build(*, message_id: str, mail_from: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    display, address = parseaddr(mail_from)
    username, _, domain = address.partition("@")
    message["From"] = Address(display_name=display, username=username, domain=domain)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id
    message.set_content(body)
    return message


# ------------------------------------------------------------------ transports


class TransientError(Exception):
    """The server refused for now (4xx) or could not be reached: try again later.

    ``code`` is a short code such as ``smtp_451`` or ``connection``; never the
    server's text, which may quote the address.
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class PermanentError(TransientError):
    """The server refused for good (5xx): do not try again."""


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def delivered(self, message_id: str) -> bool | None:
        """True if this Message-ID was certainly handed over, False if certainly
        not, None when the transport cannot tell (SMTP keeps no receipt)."""
        ...


def _classify(code: int) -> TransientError:
    if 400 <= code < 500:
        return TransientError(f"smtp_{code}")
    return PermanentError(f"smtp_{code}")


@dataclass
class SmtpTransport:
    host: str
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    username: str | None = None
    password: str | None = None
    timeout: float = 30

    def __repr__(self) -> str:  # never show the password
        return f"<SmtpTransport {self.host}:{self.port} {self.security}>"

    def send(self, message: EmailMessage) -> None:
        # Until the message itself is handed over, a refusal (a wrong password: 535) is
        # about our connection, not this message: every message would meet it, so it
        # must be retried, never recorded as the message's permanent failure.
        handing_over = False
        try:
            if self.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                handing_over = True
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _classify(min(code for code, _ in exc.recipients.values())) from None
        except smtplib.SMTPResponseException as exc:
            if not handing_over:
                raise TransientError(f"smtp_{exc.smtp_code}") from None
            raise _classify(exc.smtp_code) from None
        except (OSError, smtplib.SMTPException):
            raise TransientError("connection") from None

    def delivered(self, message_id: str) -> bool | None:
        return None


@dataclass
class EmlTransport:
    """Writes each message to ``<directory>/<Message-ID>.eml`` (mode 0600: it holds
    the address and name). The file's existence is the receipt, so a restart
    knows exactly what was written."""

    directory: Path

    def path(self, message_id: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in message_id.strip("<>"))
        return self.directory / f"{safe}.eml"

    def send(self, message: EmailMessage) -> None:
        target = self.path(str(message["Message-ID"]))
        if target.exists():
            return  # written before a crash: the receipt stands
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except OSError:
            raise TransientError("file") from None

    def delivered(self, message_id: str) -> bool | None:
        return self.path(message_id).exists()


def transport_from_settings(
    settings: Mapping[str, Any], instance: Path, environ: Mapping[str, str] = os.environ
) -> Transport:
    """SMTP when ``SMTP_HOST`` is set, else .eml files in ``<instance>/outbox``."""
    host = settings.get("SMTP_HOST")
    if not host:
        return EmlTransport(Path(instance) / "outbox")
    return SmtpTransport(
        host=host,
        port=int(settings.get("SMTP_PORT", 587)),
        security=str(settings.get("SMTP_SECURITY", "starttls")),
        username=settings.get("SMTP_USERNAME") or None,
        password=environ.get(SMTP_PASSWORD_ENV) or None,
        timeout=float(settings.get("SMTP_TIMEOUT_SECONDS", 30)),
    )
