"""Consultations and contacts a coordinator records, from a fixed list of kinds.

Where each kind is kept, so that only career consultations count toward the
consultations KPI (services/kpi/counts.py counts ``Consultation.kind == "career"``):

* ``career_consultation`` → a ``consultations`` row with kind ``career``;
* ``interview``, ``follow_up``, ``phone``, ``email`` → a ``contact_logs`` row with
  that kind (and a channel, so the re-contact page lists it as before).

Both tables feed the re-contact intervals and the first-contact service level.
Outcome and notes are free text, encrypted under the registrant's data key with
associated data naming table, column and row, so erasure shreds them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import csvio
from itworks.crypto import Vault
from itworks.database import begin_write
from itworks.i18n import N_
from itworks.models import Consultation, ContactLog, Registrant, User, utcnow
from itworks.services import audit
from itworks.services.errors import InvalidInput
from itworks.services.intake import registrants
from itworks.services.tiers import tiers
from itworks.vocabulary import CONTACT_CHANNELS, CONTACT_KINDS

# The only kind that counts toward the consultations KPI, and how it is stored.
KPI_KIND = "career_consultation"
CONSULTATION_KIND = "career"
# The re-contact page's channel for each logged kind (one of CONTACT_CHANNELS).
DEFAULT_CHANNEL = {"interview": "meeting", "follow_up": "other", "phone": "phone", "email": "email"}
MAX_OUTCOME = 500
MAX_NOTES = 4000
MESSAGES = {
    "kind": N_("種類は career_consultation / interview / follow_up / phone / email のいずれかです"),
    "channel": N_("連絡方法を選んでください"),
    "future": N_("未来の日時は記録できません"),
    "early": N_("2000年以降の日時を入力してください"),
    "outcome": N_("結果は500文字以内です"),
    "notes": N_("メモは4000文字以内です"),
    "coordinator": N_("コーディネーターが見つかりません"),
}


@dataclass(frozen=True)
class ContactRecord:
    """One recorded contact, as lists and the timeline show it (decrypted on request)."""

    table: str  # "consultations" or "contact_logs"
    row_id: int
    kind: str
    at: datetime
    coordinator: str | None
    outcome: str | None = None
    notes: str | None = None


def parse_when(value: object, now: datetime) -> datetime:
    """``--at``: an aware datetime, an ISO date or date-time in Japan time, or now."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return now
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInput({"at": N_("タイムゾーン付きの日時が必要です")})
        return value
    try:
        return csvio.parse_datetime(str(value))
    except ValueError as exc:
        raise InvalidInput({"at": exc.args[0]}) from None


def _coordinator(session: Session, actor: User | None, username: str | None) -> User | None:
    if username is None:
        return actor
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise InvalidInput({"coordinator": MESSAGES["coordinator"]})
    return user


def record_contact(
    session: Session,
    vault: Vault,
    public_id: str,
    kind: str,
    *,
    at: object = None,
    outcome: str | None = None,
    notes: str | None = None,
    channel: str | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
    coordinator: str | None = None,
    now: datetime | None = None,
) -> ContactRecord:
    """Record a contact of one of CONTACT_KINDS with a registrant; commits."""
    now = now or utcnow()
    errors: dict[str, object] = {}
    if kind not in CONTACT_KINDS:
        errors["kind"] = MESSAGES["kind"]
    if channel is not None and channel not in CONTACT_CHANNELS:
        errors["channel"] = MESSAGES["channel"]
    outcome = (outcome or "").strip() or None
    notes = (notes or "").strip() or None
    if outcome is not None and len(outcome) > MAX_OUTCOME:
        errors["outcome"] = MESSAGES["outcome"]
    if notes is not None and len(notes) > MAX_NOTES:
        errors["notes"] = MESSAGES["notes"]
    try:
        when = parse_when(at, now)
        if when.year < 2000:
            errors["at"] = MESSAGES["early"]
        elif when > now + timedelta(minutes=5):
            errors["at"] = MESSAGES["future"]
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)  # type: ignore[arg-type]
    begin_write(session)
    registrant = tiers.live_registrant(session, public_id)
    user = _coordinator(session, actor, coordinator)
    if kind == KPI_KIND:
        row: Consultation | ContactLog = Consultation(
            registrant_id=registrant.id,
            held_at=when,
            kind=CONSULTATION_KIND,
            channel=channel,
            coordinator_id=user.id if user else None,
        )
        session.add(row)
        session.flush()
        table, row_key = "consultations", row.public_id
    else:
        row = ContactLog(
            registrant_id=registrant.id,
            contacted_at=when,
            channel=channel or DEFAULT_CHANNEL[kind],
            kind=kind,
            coordinator_id=user.id if user else None,
        )
        session.add(row)
        session.flush()
        table, row_key = "contact_logs", str(row.id)
    for column, value in (("outcome", outcome), ("notes", notes)):
        sealed = registrants.seal_for(
            vault, registrant, table=table, column=column, row=row_key, value=value
        )
        setattr(row, f"{column}_enc", sealed)
    audit.record(
        session,
        "contact.record",
        actor=actor,
        actor_label=actor_label,
        entity_type="registrant",
        entity_id=registrant.public_id,
        kind=kind,
    )
    session.commit()
    return ContactRecord(table, row.id, kind, when, user.username if user else None)


def _row_key(table: str, row: Consultation | ContactLog) -> str:
    return row.public_id if table == "consultations" else str(row.id)  # type: ignore[union-attr]


def contacts_of(
    session: Session,
    vault: Vault,
    registrant: Registrant,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    decrypt: bool = False,
) -> list[ContactRecord]:
    """Every consultation and contact of a registrant (and of the duplicates merged
    into them), newest first; with ``decrypt`` the outcome and notes too (audited)."""
    ids = [registrant.id] + list(
        session.scalars(sa.select(Registrant.id).where(Registrant.merged_into_id == registrant.id))
    )
    users = dict(session.execute(sa.select(User.id, User.username)).all())
    found: list[tuple[str, Consultation | ContactLog, str, datetime]] = []
    for consultation in session.scalars(
        sa.select(Consultation).where(Consultation.registrant_id.in_(ids))
    ):
        kind = KPI_KIND if consultation.kind == CONSULTATION_KIND else consultation.kind
        found.append(("consultations", consultation, kind, consultation.held_at))
    for log in session.scalars(sa.select(ContactLog).where(ContactLog.registrant_id.in_(ids))):
        found.append(("contact_logs", log, log.kind or log.channel, log.contacted_at))
    found.sort(key=lambda item: item[3], reverse=True)
    out = []
    for table, row, kind, at in found:
        values: dict[str, str | None] = {"outcome": None, "notes": None}
        if decrypt:
            owner = session.get(Registrant, row.registrant_id)
            for column in values:
                values[column] = registrants.open_for(
                    vault,
                    owner,
                    table=table,
                    column=column,
                    row=_row_key(table, row),
                    blob=getattr(row, f"{column}_enc", None),
                )
        out.append(
            ContactRecord(
                table,
                row.id,
                kind,
                at,
                users.get(row.coordinator_id),
                values["outcome"],
                values["notes"],
            )
        )
    if decrypt:
        audit.record(
            session,
            "contact.view",
            actor=actor,
            actor_label=actor_label,
            entity_type="registrant",
            entity_id=registrant.public_id,
        )
        session.commit()
    return out
