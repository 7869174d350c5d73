"""Correction (訂正): change one field of a person's record, keeping the old value.

The old value goes to ``registrant_field_history`` encrypted under the person's own
data key, so the history is disclosed with everything else and shredded with it.
The audit trail names the field, never a value; so does the request record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.crypto import DecryptionError, Vault
from itworks.database import begin_write
from itworks.i18n import N_
from itworks.models import (
    PERSONAL_FIELDS,
    FieldHistory,
    Registrant,
    RegistrantIdentifier,
    User,
    utcnow,
)
from itworks.models.base import new_public_id
from itworks.services import audit
from itworks.services.errors import Conflict, InvalidInput
from itworks.services.intake import registrants as registrant_service
from itworks.services.privacy import requests

HISTORY_TABLE = "registrant_field_history"
# Fields a correction may change: the encrypted ones and two plain facts.
PLAIN_FIELDS = ("residence_prefecture", "birth_year")
CORRECTABLE = PERSONAL_FIELDS + PLAIN_FIELDS
INDEXED = ("email", "phone")
# Stand-ins for the two required fields while one other field is validated.
_PLACEHOLDERS = {"name": "仮", "email": "placeholder@example.jp"}
MESSAGES = {
    "field": N_(
        "訂正できる項目は name / name_kana / email / phone / employer / "
        "residence_prefecture / birth_year です"
    ),
    "erased": N_("この登録者のデータは削除済みです"),
    "unreadable": N_("現在の値を復号できないため訂正できません"),
    "taken": N_("この値は別の登録者のものとして登録されています"),
}


@dataclass(frozen=True)
class Correction:
    public_id: str
    field: str
    changed: bool


def clean_value(field: str, value: str | None) -> object:
    """The new value, validated and normalised the way the intake does it."""
    if field not in CORRECTABLE:
        raise InvalidInput({"field": MESSAGES["field"]})
    data: dict[str, object] = dict(_PLACEHOLDERS)
    data[field] = value if value is not None else ""
    try:
        cleaned = registrant_service.clean_person(data)
    except InvalidInput as exc:
        if field in exc.errors:
            raise InvalidInput({field: exc.errors[field]}) from None
        raise
    return cleaned.get(field)


def _current(vault: Vault, registrant: Registrant, field: str) -> str | None:
    if field in PLAIN_FIELDS:
        value = getattr(registrant, field)
        return None if value is None else str(value)
    values, unreadable = registrant_service.decrypt_fields(vault, registrant, (field,))
    if unreadable:
        raise Conflict(MESSAGES["unreadable"])
    return values[field]


def _reindex(
    session: Session, vault: Vault, registrant: Registrant, kind: str, value: str | None
) -> None:
    for identifier in list(registrant.identifiers):
        if identifier.kind == kind:
            registrant.identifiers.remove(identifier)
    if value is None:
        return
    digest = vault.blind_index(kind, value)
    other = session.scalar(
        sa.select(RegistrantIdentifier.registrant_id).where(
            RegistrantIdentifier.kind == kind,
            RegistrantIdentifier.digest == digest,
            RegistrantIdentifier.registrant_id != registrant.id,
        )
    )
    if other is not None:
        raise Conflict(MESSAGES["taken"])
    session.flush()  # the old index row goes before the new one is added
    registrant.identifiers.append(RegistrantIdentifier(kind=kind, digest=digest))


def correct(
    session: Session,
    vault: Vault,
    ref: str,
    field: str,
    value: str | None,
    *,
    received_on: object = None,
    answered_via: str | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> Correction:
    """Correct ``field`` of a person to ``value`` keeping the old value's history;
    commits. Nothing is written when the value does not validate."""
    now = now or utcnow()
    received = requests.parse_received(received_on, requests.today_jst(now))
    via = requests.check_via(answered_via)
    new = clean_value(field, value)
    new_text = None if new is None else str(new)
    begin_write(session)
    person = requests.find(session, vault, ref)
    if person.erased_at is not None:
        raise Conflict(MESSAGES["erased"])
    old = _current(vault, person, field)
    changed = old != new_text
    handled_by = requests.actor_name(actor, actor_label)
    request = requests.record(
        session,
        "correction",
        person,
        received_on=received,
        outcome="corrected" if changed else "already_done",
        answered_via=via,
        handled_by=handled_by,
        now=now,
        field=field,
    )
    if changed:
        history_id = new_public_id()
        session.add(
            FieldHistory(
                public_id=history_id,
                registrant_id=person.id,
                field=field,
                old_value_enc=registrant_service.seal_for(
                    vault,
                    person,
                    table=HISTORY_TABLE,
                    column="old_value",
                    row=history_id,
                    value=old,
                ),
                changed_at=now,
                changed_by=handled_by,
                request_id=request.id,
            )
        )
        if field in PLAIN_FIELDS:
            setattr(person, field, new)
        else:
            sealed = registrant_service.seal_for(
                vault,
                person,
                table=registrant_service.TABLE,
                column=field,
                row=person.public_id,
                value=new_text,
            )
            setattr(person, f"{field}_enc", sealed)
        if field in INDEXED:
            _reindex(session, vault, person, field, new_text)
        person.updated_at = now
    audit.record(
        session,
        "registrant.correct",
        actor=actor,
        actor_label=actor_label,
        entity_type="registrant",
        entity_id=person.public_id,
        field=field,
        changed=changed,
    )
    session.commit()
    return Correction(person.public_id, field, changed)


@dataclass(frozen=True)
class HistoryRow:
    field: str
    old_value: str | None
    changed_at: datetime
    changed_by: str
    unreadable: bool = False


def history(session: Session, vault: Vault, registrant: Registrant) -> list[HistoryRow]:
    """The person's corrected values, oldest first, decrypted (empty once erased)."""
    rows = session.scalars(
        sa.select(FieldHistory)
        .where(FieldHistory.registrant_id == registrant.id)
        .order_by(FieldHistory.changed_at, FieldHistory.id)
    ).all()
    out = []
    for row in rows:
        try:
            value = registrant_service.open_for(
                vault,
                registrant,
                table=HISTORY_TABLE,
                column="old_value",
                row=row.public_id,
                blob=row.old_value_enc,
            )
            unreadable = False
        except DecryptionError:
            value, unreadable = None, True
        out.append(HistoryRow(row.field, value, row.changed_at, row.changed_by, unreadable))
    return out
