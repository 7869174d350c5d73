"""The transactional mail outbox: queue in the caller's transaction, deliver later.

``enqueue`` adds a row to the caller's unit of work (it does not commit), so a
message exists exactly when the records it announces do. ``deliver`` is the
worker (`itworks outbox send`).

Never twice: each message has a Message-ID fixed when it is queued. The worker

1. claims one due message and commits ``status='sending'`` with the time, BEFORE
   it opens the SMTP transaction (on PostgreSQL the claim is
   ``SELECT … FOR UPDATE SKIP LOCKED``, so several workers never claim the same
   row; on SQLite the claim takes the write lock, so one worker at a time);
2. hands the message over;
3. commits ``status='sent'``.

A worker killed between 1 and 3 leaves the row ``sending``. After
``OUTBOX_STALE_MINUTES`` the next worker resolves it by this rule: it asks the
transport whether that Message-ID was delivered. The .eml transport knows (the
file is the receipt), so the row becomes ``sent`` or is queued again. SMTP
keeps no receipt, so the row becomes ``failed`` with reason ``interrupted`` and
is never resent automatically: a coordinator sees it and may requeue it (the
resend carries the same Message-ID, which lets mail systems drop a duplicate).
So a restart guarantees at most one automatic SMTP delivery per message; it
cannot guarantee that an interrupted message arrived.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.config import DEFAULTS
from itworks.crypto import DecryptionError, Vault
from itworks.database import begin_write
from itworks.i18n import N_, Message, translate
from itworks.models import OUTBOX_STATUSES, OutboxMessage, Registrant, utcnow
from itworks.services.engagement import mail
from itworks.services.errors import Conflict, InvalidInput, NotFound
from itworks.services.intake import registrants as registrant_service

log = logging.getLogger("itworks.outbox")

FAILURE_REASONS: dict[str, Message] = {
    "rejected": N_("メールサーバーが受け付けませんでした"),
    "retries_exhausted": N_("再送を繰り返しても届きませんでした"),
    "interrupted": N_("送信中に処理が中断され、届いたか確認できません"),
    "no_address": N_("メールアドレスがありません"),
    "erased": N_("登録者のデータは削除済みです"),
    "opted_out": N_("メール配信停止・利用停止の登録者です"),
    "unreadable": N_("個人データを復号できませんでした"),
    "template": N_("テンプレートと差し込み項目が合いません"),
}
STATUS_LABELS: dict[str, Message] = {
    "queued": N_("送信待ち"),
    "sending": N_("送信中"),
    "sent": N_("送信済み"),
    "failed": N_("送信失敗"),
}


@dataclass(frozen=True)
class Settings:
    mail_from: str = DEFAULTS["MAIL_FROM"]
    max_attempts: int = DEFAULTS["OUTBOX_MAX_ATTEMPTS"]
    retry_seconds: int = DEFAULTS["OUTBOX_RETRY_SECONDS"]
    stale_minutes: int = DEFAULTS["OUTBOX_STALE_MINUTES"]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            mail_from=config.get("MAIL_FROM", cls.mail_from),
            max_attempts=int(config.get("OUTBOX_MAX_ATTEMPTS", cls.max_attempts)),
            retry_seconds=int(config.get("OUTBOX_RETRY_SECONDS", cls.retry_seconds)),
            stale_minutes=int(config.get("OUTBOX_STALE_MINUTES", cls.stale_minutes)),
        )

    def backoff(self, attempts: int) -> timedelta:
        """Wait after the ``attempts``-th failure: the base, doubled each time (max a day)."""
        return timedelta(seconds=min(self.retry_seconds * 2 ** max(attempts - 1, 0), 86400))


def mail_blocked(registrant: Registrant) -> str | None:
    """Why no mail may go to this person now (a FAILURE_REASONS code), or None."""
    if registrant.erased_at is not None:
        return "erased"
    if registrant.mail_opt_out_at is not None or registrant.use_stopped_at is not None:
        return "opted_out"
    return None


def enqueue(
    session: Session,
    registrant: Registrant,
    template: str,
    params: Mapping[str, Any] | None = None,
    *,
    lang: str = "ja",
    purpose: str | None = None,
    subject_id: str | None = None,
    settings: Settings = Settings(),
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue one message in the caller's unit of work (no commit).

    ``params`` must hold no personal value: the name is filled in at send time.
    """
    params = dict(params or {})
    if "name" in params:
        raise InvalidInput({"params": N_("氏名は送信時に差し込むため指定できません")})
    try:
        mail.check_template(template, params)
    except mail.TemplateError:
        raise InvalidInput({"template": FAILURE_REASONS["template"]}) from None
    reason = mail_blocked(registrant)
    if reason is not None:
        raise Conflict(FAILURE_REASONS[reason])
    message = OutboxMessage(
        message_id=mail.new_message_id(settings.mail_from),
        registrant_id=registrant.id,
        template=template,
        lang=lang,
        params=params,
        purpose=purpose,
        subject_id=subject_id,
        status="queued",
        attempts=0,
        next_attempt_at=now or utcnow(),
    )
    session.add(message)
    session.flush()
    return message


# ------------------------------------------------------------------ the worker


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    recovered: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "failed": self.failed,
            "recovered": dict(self.recovered),
        }


def _locking(session: Session, query: sa.Select) -> sa.Select:
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def recover_stale(
    session: Session, transport: mail.Transport, settings: Settings, now: datetime
) -> dict[str, int]:
    """Resolve messages left ``sending`` by a worker that died (see the module rule)."""
    begin_write(session)
    stale = session.scalars(
        _locking(
            session,
            sa.select(OutboxMessage)
            .where(
                OutboxMessage.status == "sending",
                OutboxMessage.sending_at < now - timedelta(minutes=settings.stale_minutes),
            )
            .order_by(OutboxMessage.id),
        )
    ).all()
    outcome: dict[str, int] = {}
    for message in stale:
        delivered = transport.delivered(message.message_id)
        if delivered is True:
            message.status, message.sent_at = "sent", now
            key = "sent"
        elif delivered is False:
            message.status, message.next_attempt_at = "queued", now
            key = "queued"
        else:
            message.status, message.failed_at, message.reason = "failed", now, "interrupted"
            key = "interrupted"
        outcome[key] = outcome.get(key, 0) + 1
        log.warning("outbox message %s was interrupted: %s", message.public_id, key)
    session.commit()
    return outcome


def _claim(session: Session, now: datetime) -> OutboxMessage | None:
    begin_write(session)
    message = session.scalar(
        _locking(
            session,
            sa.select(OutboxMessage)
            .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1),
        )
    )
    if message is None:
        session.commit()
        return None
    message.status = "sending"
    message.sending_at = now
    message.attempts += 1
    session.commit()  # committed BEFORE the hand-over: see the module docstring
    return message


def _prepare(vault: Vault, message: OutboxMessage, settings: Settings) -> Any:
    """The EmailMessage, or a FAILURE_REASONS code when it cannot be built."""
    registrant = message.registrant
    blocked = mail_blocked(registrant)
    if blocked:
        return blocked
    try:
        personal, unreadable = registrant_service.decrypt_fields(
            vault, registrant, ("name", "email")
        )
    except DecryptionError:
        return "unreadable"
    if unreadable:
        return "unreadable"
    if not personal["email"]:
        return "no_address"
    name = personal["name"] or translate(mail.NAME_FALLBACK, message.lang)
    try:
        subject, body = mail.render(
            message.template, {**message.params, "name": name}, message.lang
        )
    except mail.TemplateError:
        return "template"
    return mail.build(
        message_id=message.message_id,
        mail_from=settings.mail_from,
        to=personal["email"],
        subject=subject,
        body=body,
    )


def _fail(message: OutboxMessage, reason: str, now: datetime, error: str | None = None) -> None:
    message.status, message.failed_at, message.reason = "failed", now, reason
    message.last_error = error


def deliver(
    session: Session,
    transport: mail.Transport,
    vault: Vault,
    *,
    settings: Settings = Settings(),
    limit: int | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> DeliveryReport:
    """Deliver every due message (at most ``limit``) once, then return.

    Safe to run in several processes at once on PostgreSQL.
    """
    report = DeliveryReport(recovered=recover_stale(session, transport, settings, clock()))
    handled = 0
    while limit is None or handled < limit:
        message = _claim(session, clock())
        if message is None:
            break
        handled += 1
        prepared = _prepare(vault, message, settings)
        if isinstance(prepared, str):
            _fail(message, prepared, clock())
            report.failed += 1
            session.commit()
            log.info("outbox message %s not sent: %s", message.public_id, prepared)
            continue
        try:
            transport.send(prepared)
        except mail.PermanentError as exc:
            _fail(message, "rejected", clock(), exc.code)
            report.failed += 1
        except mail.TransientError as exc:
            message.last_error = exc.code
            if message.attempts >= settings.max_attempts:
                _fail(message, "retries_exhausted", clock(), exc.code)
                report.failed += 1
            else:
                message.status = "queued"
                message.next_attempt_at = clock() + settings.backoff(message.attempts)
                report.retried += 1
        else:
            message.status, message.sent_at = "sent", clock()
            message.reason = None
            report.sent += 1
        session.commit()
        log.info(
            "outbox message %s: %s (attempt %d)",
            message.public_id,
            message.status,
            message.attempts,
        )
    return report


def run(
    session: Session,
    transport: mail.Transport,
    vault: Vault,
    *,
    settings: Settings = Settings(),
    poll_seconds: float = 10,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Deliver continuously until ``should_stop`` says so; returns the totals."""
    total = DeliveryReport()
    while not should_stop():
        once = deliver(session, transport, vault, settings=settings)
        total.sent += once.sent
        total.retried += once.retried
        total.failed += once.failed
        for key, value in once.recovered.items():
            total.recovered[key] = total.recovered.get(key, 0) + value
        if should_stop():
            break
        sleep(poll_seconds)
    return total


# ------------------------------------------------------------------ lists and requeue


def list_messages(
    session: Session, status: str | None = None, *, limit: int = 200
) -> list[dict[str, Any]]:
    """Messages newest first, without personal values (for `outbox list` and pages)."""
    if status is not None and status not in OUTBOX_STATUSES:
        raise InvalidInput({"status": N_("状態は queued / sending / sent / failed のいずれかです")})
    query = (
        sa.select(OutboxMessage, Registrant.public_id)
        .join(Registrant, Registrant.id == OutboxMessage.registrant_id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return [
        {
            "id": message.public_id,
            "registrant": registrant_public_id,
            "template": message.template,
            "purpose": message.purpose,
            "subject_id": message.subject_id,
            "status": message.status,
            "attempts": message.attempts,
            "reason": message.reason,
            "last_error": message.last_error,
            "created_at": message.created_at.isoformat(),
            "sent_at": message.sent_at.isoformat() if message.sent_at else None,
            "next_attempt_at": message.next_attempt_at.isoformat()
            if message.status == "queued"
            else None,
        }
        for message, registrant_public_id in session.execute(query)
    ]


def requeue(session: Session, public_id: str, *, now: datetime | None = None) -> OutboxMessage:
    """Queue a failed message again (same Message-ID); commits."""
    begin_write(session)
    message = session.scalar(sa.select(OutboxMessage).where(OutboxMessage.public_id == public_id))
    if message is None:
        raise NotFound(N_("メッセージが見つかりません"))
    if message.status != "failed":
        raise Conflict(N_("送信失敗のメッセージだけを再送できます"))
    message.status, message.reason, message.failed_at = "queued", None, None
    message.attempts = 0
    message.next_attempt_at = now or utcnow()
    session.commit()
    return message
