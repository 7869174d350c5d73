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
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import csvio
from itworks.crypto import Vault
from itworks.database import begin_write
from itworks.fiscal import JST
from itworks.i18n import N_
from itworks.models import (
    Consultation,
    ContactLog,
    EventSignup,
    Hire,
    Introduction,
    NurturePlan,
    ReasonCode,
    Registrant,
    StageExit,
    SurveyResponse,
    User,
    utcnow,
)
from itworks.services import audit
from itworks.services.errors import InvalidInput
from itworks.services.intake import registrants
from itworks.services.kpi import measures
from itworks.services.privacy import scope
from itworks.services.tiers import tiers
from itworks.vocabulary import (
    CONTACT_CHANNELS,
    CONTACT_KINDS,
    FUNNEL_STAGES,
    REASON_KIND_DROPOUT,
    REASON_KIND_NURTURE,
)

# The only kind that counts toward the consultations KPI, and how it is stored.
KPI_KIND = "career_consultation"
CONSULTATION_KIND = measures.CAREER_CONSULTATION
# The re-contact page's channel for each logged kind (one of CONTACT_CHANNELS).
DEFAULT_CHANNEL = {"interview": "meeting", "follow_up": "other", "phone": "phone", "email": "email"}
MAX_OUTCOME = 500
MAX_NOTES = 4000
MESSAGES = {
    "kind": N_("種類は %(codes)s のいずれかです", codes=" / ".join(CONTACT_KINDS)),
    "channel": N_("連絡方法は %(codes)s のいずれかです", codes=" / ".join(CONTACT_CHANNELS)),
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
        consultation = Consultation(
            registrant_id=registrant.id,
            held_at=when,
            kind=CONSULTATION_KIND,
            channel=channel,
            coordinator_id=user.id if user else None,
        )
        row: Consultation | ContactLog = consultation
        session.add(row)
        session.flush()
        table, row_key = "consultations", consultation.public_id
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
    # Looked up by nullable user ids (a record entered by no one): None finds nothing.
    users: dict[int | None, str] = dict(session.execute(sa.select(User.id, User.username)).all())
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
            owner = session.get_one(Registrant, row.registrant_id)  # the row's registrant (FK)
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


# ------------------------------------------------------------------ drop-off and nurturing

DISPOSITION_REASON_KINDS = {"dropped_out": REASON_KIND_DROPOUT, "nurturing": REASON_KIND_NURTURE}
DISPOSITION_MESSAGES = {
    "disposition": N_("dropped_out か nurturing を指定してください"),
    "reason": N_("理由コードを選んでください"),
    "unknown_reason": N_("この操作の理由コードは %(codes)s のいずれかです"),
    "next_contact_on": N_("育成に戻すときは次回の連絡日（YYYY-MM-DD）が必要です"),
    "next_contact_past": N_("次回の連絡日は今日以降の日付です"),
    "next_contact_far": N_("次回の連絡日は3年以内です"),
    "next_contact_dropout": N_("離脱には次回の連絡日を指定しません"),
}


def reason_codes(session: Session, kind: str) -> list[ReasonCode]:
    """The active reason codes of one kind, for forms and their checks."""
    return list(
        session.scalars(
            sa.select(ReasonCode)
            .where(ReasonCode.kind == kind, ReasonCode.active.is_(True))
            .order_by(ReasonCode.code)
        )
    )


def person_ids(session: Session, registrant: Registrant) -> list[int]:
    """The registrant and the duplicates merged into them."""
    return [registrant.id] + list(
        session.scalars(sa.select(Registrant.id).where(Registrant.merged_into_id == registrant.id))
    )


def furthest_stage(session: Session, registrant: Registrant) -> str:
    """The furthest funnel stage (FUNNEL_STAGES) this person has a record of."""
    ids = person_ids(session, registrant)

    def has(model: type, *where: sa.ColumnElement[bool]) -> bool:
        column = model.registrant_id  # type: ignore[attr-defined]
        query = sa.select(column).where(column.in_(ids), *where).limit(1)
        return session.scalar(query) is not None

    checks = (
        ("hired", lambda: has(Hire)),
        ("introduced", lambda: has(Introduction)),
        ("attended", lambda: has(EventSignup, measures.attended())),
        ("applied", lambda: has(EventSignup, measures.applied())),
        ("consulted", lambda: has(Consultation, measures.career_consultation())),
        ("surveyed", lambda: has(SurveyResponse)),
    )
    for stage, check in checks:
        if check():
            return stage
    return FUNNEL_STAGES[0]


def _parse_day(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    return date.fromisoformat(text)


def set_disposition(
    session: Session,
    public_id: str,
    disposition: str,
    reason: str | None,
    *,
    next_contact_on: object = None,
    at: object = None,
    actor: User | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> StageExit:
    """Mark a registrant dropped out (``dropped_out``) or returned to nurturing
    (``nurturing``, with the next-contact date), with a reason code of the matching
    kind; recorded at the furthest stage they reached, so the funnel counts it. Commits.
    Everything is checked before anything is written."""
    now = now or utcnow()
    errors: dict[str, object] = {}
    kind = DISPOSITION_REASON_KINDS.get(disposition)
    if kind is None:
        raise InvalidInput({"disposition": DISPOSITION_MESSAGES["disposition"]})
    allowed = [code.code for code in reason_codes(session, kind)]
    if not reason:
        errors["reason"] = DISPOSITION_MESSAGES["reason"]
    elif reason not in allowed:
        errors["reason"] = DISPOSITION_MESSAGES["unknown_reason"].bind(codes=" / ".join(allowed))
    try:
        when = parse_when(at, now)
        if when > now + timedelta(minutes=5):
            errors["at"] = MESSAGES["future"]
        elif when.year < 2000:
            errors["at"] = MESSAGES["early"]
    except InvalidInput as exc:
        errors.update(exc.errors)
        when = now
    try:
        next_day = _parse_day(next_contact_on)
    except ValueError:
        errors["next_contact_on"] = DISPOSITION_MESSAGES["next_contact_on"]
        next_day = None
    today = when.astimezone(JST).date()
    if disposition == "nurturing" and "next_contact_on" not in errors:
        if next_day is None:
            errors["next_contact_on"] = DISPOSITION_MESSAGES["next_contact_on"]
        elif next_day < today:
            errors["next_contact_on"] = DISPOSITION_MESSAGES["next_contact_past"]
        elif next_day > today + timedelta(days=3 * 366):
            errors["next_contact_on"] = DISPOSITION_MESSAGES["next_contact_far"]
    elif disposition == "dropped_out" and next_day is not None:
        errors["next_contact_on"] = DISPOSITION_MESSAGES["next_contact_dropout"]
    if errors:
        raise InvalidInput(errors)  # type: ignore[arg-type]
    begin_write(session)
    registrant = tiers.live_registrant(session, public_id)
    exit_row = StageExit(
        registrant_id=registrant.id,
        stage=furthest_stage(session, registrant),
        reason_code=reason,
        exited_at=when,
        recorded_by_id=actor.id if actor else None,
    )
    session.add(exit_row)
    session.flush()
    if disposition == "nurturing":
        session.add(
            NurturePlan(
                registrant_id=registrant.id,
                stage_exit_id=exit_row.id,
                next_contact_on=next_day,
                recorded_at=when,
                recorded_by_id=actor.id if actor else None,
            )
        )
    audit.record(
        session,
        "registrant.disposition",
        actor=actor,
        actor_label=actor_label,
        entity_type="registrant",
        entity_id=registrant.public_id,
        disposition=disposition,
        reason=reason,
        stage=exit_row.stage,
    )
    session.commit()
    return exit_row


def disposition_of(session: Session, registrant: Registrant) -> tuple[str, StageExit] | None:
    """The latest drop-off or return to nurturing: ("dropped_out"|"nurturing", row)."""
    row = session.execute(
        sa.select(StageExit, ReasonCode.kind)
        .join(ReasonCode, ReasonCode.code == StageExit.reason_code)
        .where(
            StageExit.registrant_id.in_(person_ids(session, registrant)),
            ReasonCode.kind.in_(tuple(DISPOSITION_REASON_KINDS.values())),
        )
        .order_by(StageExit.exited_at.desc(), StageExit.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    exit_row, kind = row
    return ("dropped_out" if kind == REASON_KIND_DROPOUT else "nurturing"), exit_row


def nurture_due(session: Session, today: date) -> list[tuple[NurturePlan, str]]:
    """Planned nurture contacts that have come, with no contact since the plan and
    no later drop-off or plan: (plan, registrant public id), oldest first."""
    plans = session.execute(
        sa.select(NurturePlan, Registrant)
        .join(Registrant, Registrant.id == NurturePlan.registrant_id)
        .where(
            NurturePlan.next_contact_on <= today,
            scope.in_use(),
        )
        .order_by(NurturePlan.next_contact_on, NurturePlan.id)
    ).all()
    out = []
    for plan, registrant in plans:
        latest = disposition_of(session, registrant)
        if latest is None or latest[1].id != plan.stage_exit_id:
            continue  # a later drop-off or plan replaced this one
        ids = person_ids(session, registrant)
        since = [
            sa.select(ContactLog.id).where(
                ContactLog.registrant_id.in_(ids), ContactLog.contacted_at > plan.recorded_at
            ),
            sa.select(Consultation.id).where(
                Consultation.registrant_id.in_(ids), Consultation.held_at > plan.recorded_at
            ),
        ]
        if any(session.scalar(query.limit(1)) is not None for query in since):
            continue
        out.append((plan, registrant.public_id))
    return out
