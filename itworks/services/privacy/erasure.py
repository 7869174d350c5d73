"""Erasure (削除) by crypto-shredding, for every record type that holds a person's data.

For the person's row and every duplicate merged into it:

* the data key is destroyed (``data_keys.wrapped`` becomes NULL): every ciphertext
  under it — the personal fields, survey free text, consultation and contact notes
  and outcomes, the history of corrected values — is unreadable wherever a copy of
  it lies, as long as no copy of the wrapped key is left (see the README: a backup
  that holds the key table, with the master key, still opens it);
* the ciphertexts themselves are dropped too, and the blind indexes removed, so a
  later registration with the same address is a new person;
* the outbox keeps no readable body: a queued message is voided (``failed`` /
  ``erased``, never sent), every message's parameters are cleared, and a sent
  ``.eml`` file is replaced by a stub holding only its Message-ID (the receipt the
  worker reads);
* the codes and dates stay (registration date, origin, stages, tiers, sign-ups,
  introductions, hires), so no past count changes.

On SQLite the write runs with ``secure_delete`` and the WAL is checkpointed
afterwards, so the old bytes are overwritten in the live database file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.crypto import Vault
from itworks.database import begin_write
from itworks.models import (
    Consultation,
    ContactLog,
    DataKey,
    FieldHistory,
    OutboxMessage,
    Registrant,
    SurveyResponse,
    User,
    utcnow,
)
from itworks.services import audit
from itworks.services.engagement.mail import EmlTransport
from itworks.services.intake import registrants as registrant_service
from itworks.services.privacy import requests

log = logging.getLogger("itworks.privacy")

CHECKPOINT_WAIT_MS = 500
ERASED_EML = "Message-ID: {message_id}\r\nX-ITWORKS-Erased: {at}\r\n\r\n"


@dataclass
class Erasure:
    public_id: str
    erased: list[str] = field(default_factory=list)  # rows erased now (public ids)
    already: bool = False
    records: dict[str, int] = field(default_factory=dict)


def _count(result: sa.Result[Any]) -> int:
    # Session.execute() of an UPDATE returns a CursorResult (with rowcount); it is typed Result.
    return int(cast(sa.CursorResult[Any], result).rowcount or 0)


def stub_eml(directory: Path | None, message_id: str, now: datetime) -> bool:
    """Replace a sent message's .eml file by a stub with its Message-ID only."""
    if directory is None:
        return False
    path = EmlTransport(directory).path(message_id)
    if not path.exists():
        return False
    body = ERASED_EML.format(message_id=message_id, at=now.date().isoformat())
    tmp = path.with_suffix(".erasing")
    with open(tmp, "w", encoding="ascii") as handle:  # noqa: PTH123
        handle.write(body)
    tmp.chmod(0o600)
    tmp.replace(path)
    return True


def clear_outbox(
    session: Session,
    registrant_ids: list[int],
    now: datetime,
    outbox_dir: Path | None,
    *,
    void_queued: bool,
    sent_before: datetime | None = None,
) -> dict[str, int]:
    """Void queued mail (when ``void_queued``) and strip bodies of the given people's
    messages (sent before ``sent_before``, when given); no commit."""
    counts = {"outbox_voided": 0, "outbox_stripped": 0}
    if void_queued:
        counts["outbox_voided"] = _count(
            session.execute(
                sa.update(OutboxMessage)
                .where(
                    OutboxMessage.registrant_id.in_(registrant_ids),
                    OutboxMessage.status == "queued",
                )
                .values(status="failed", reason="erased", failed_at=now)
            )
        )
    query = sa.select(OutboxMessage).where(OutboxMessage.registrant_id.in_(registrant_ids))
    if sent_before is not None:
        query = query.where(OutboxMessage.status == "sent", OutboxMessage.sent_at < sent_before)
    for message in session.scalars(query):
        stripped = False
        if message.params:
            message.params = {}
            stripped = True
        if message.status == "sent" and stub_eml(outbox_dir, message.message_id, now):
            stripped = True
        counts["outbox_stripped"] += stripped
    return counts


def _null(session: Session, model: type, ids: list[int], *columns: str) -> int:
    """Drop the ciphertexts in ``columns`` of the people's rows of ``model``."""
    return _count(
        session.execute(
            sa.update(model)
            .where(model.registrant_id.in_(ids))  # type: ignore[attr-defined]
            .where(sa.or_(*(getattr(model, c).is_not(None) for c in columns)))
            .values({c: None for c in columns})
        )
    )


def _secure_delete(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")


def checkpoint(session: Session) -> None:
    """On SQLite, move the committed pages into the database file and empty the WAL,
    so the overwritten bytes leave the WAL too (best effort: a reader may hold it)."""
    engine = session.get_bind()
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # type: ignore[union-attr]
    try:
        cursor = raw.cursor()
        waited = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        # Never stall the request on a long reader: the next erasure checkpoints again.
        cursor.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
        try:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            cursor.execute(f"PRAGMA busy_timeout={int(waited)}")
            cursor.close()
    finally:
        raw.close()


def shred_person(
    session: Session,
    person: Registrant,
    now: datetime,
    outbox_dir: Path | None,
) -> Erasure:
    """Erase the person and the duplicates merged into them in the caller's unit of
    work (no commit, no audit): see the module docstring."""
    rows = requests.people(session, person)
    result = Erasure(person.public_id)
    live = [row for row in rows if row.erased_at is None]
    if not live:
        result.already = True
        return result
    _secure_delete(session)
    ids = [row.id for row in rows]
    records = {
        "survey_free_text": _null(session, SurveyResponse, ids, "free_text_enc"),
        "consultation_notes": _null(session, Consultation, ids, "notes_enc", "outcome_enc"),
        "contact_notes": _null(session, ContactLog, ids, "notes_enc", "outcome_enc"),
        "field_history": _null(session, FieldHistory, ids, "old_value_enc"),
    }
    records.update(clear_outbox(session, ids, now, outbox_dir, void_queued=True))
    for row in live:
        registrant_service.shred(row, now)
        result.erased.append(row.public_id)
    records["registrants"] = len(live)
    result.records = records
    session.flush()
    return result


def erase(
    session: Session,
    vault: Vault,
    ref: str,
    *,
    received_on: object = None,
    answered_via: str | None = None,
    outbox_dir: Path | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> Erasure:
    """An erasure request: shred the person (public id or email), record the request
    and audit it, in one transaction; commits. Asking again records the request as
    already done and changes nothing."""
    now = now or utcnow()
    received: date = requests.parse_received(received_on, requests.today_jst(now))
    via = requests.check_via(answered_via)
    begin_write(session)
    person = requests.find(session, vault, ref)
    result = shred_person(session, person, now, outbox_dir)
    requests.record(
        session,
        "erasure",
        person,
        received_on=received,
        outcome="already_done" if result.already else "erased",
        answered_via=via,
        handled_by=requests.actor_name(actor, actor_label),
        now=now,
        records=result.records,
    )
    audit.record(
        session,
        "registrant.erase",
        actor=actor,
        actor_label=actor_label,
        entity_type="registrant",
        entity_id=person.public_id,
        rows=len(result.erased),
        records=result.records,
        already=result.already,
    )
    session.commit()
    checkpoint(session)
    log.info("registrant %s erased (%d rows)", person.public_id, len(result.erased))
    return result


@dataclass(frozen=True)
class ContactErasure:
    company: str
    already: bool


def erase_company_contact(
    session: Session,
    company: str,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> ContactErasure:
    """Erase a company's contact person (name, email, phone) by destroying the
    company's own data key; the company and its introductions stay; commits."""
    from itworks.services.engagement import companies

    now = now or utcnow()
    begin_write(session)
    row = companies.get_company(session, company)
    key = session.get(DataKey, row.data_key_id) if row.data_key_id else None
    already = key is None or key.wrapped is None
    _secure_delete(session)
    if key is not None and key.wrapped is not None:
        key.wrapped, key.destroyed_at = None, now
    row.contact_name_enc = row.contact_email_enc = row.contact_phone_enc = None
    audit.record(
        session,
        "company.contact_erase",
        actor=actor,
        actor_label=actor_label,
        entity_type="company",
        entity_id=row.public_id,
        already=already,
    )
    session.commit()
    checkpoint(session)
    return ContactErasure(row.public_id, already)
