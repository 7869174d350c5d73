"""Survey answers in the app: recording them (web link, interview, import), the
latest answer per question, and the history. Coded answers are plain
analytics; free text is personal and encrypted under the registrant's key."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

import surveys
from itworks.crypto import DecryptionError, Vault
from itworks.i18n import N_
from itworks.models import Registrant, SurveyResponse, User, utcnow
from itworks.models.base import new_public_id
from itworks.services import audit
from itworks.services.errors import InvalidInput
from itworks.services.intake import registrants

log = logging.getLogger(__name__)

INSTRUMENT_ID = "readiness"
TABLE = "survey_responses"


def current_instrument() -> surveys.Instrument:
    """The newest version of the readiness instrument."""
    return surveys.load_instrument(INSTRUMENT_ID)


def instrument_for(instrument_id: str, version: int) -> surveys.Instrument:
    return surveys.load_instrument(instrument_id, version)


def clean(
    raw: Mapping[str, Any], instrument: surveys.Instrument, *, partial: bool = False
) -> dict[str, Any]:
    """Validate answers; InvalidInput carries one bilingual message per question."""
    try:
        return surveys.validate(raw, instrument, partial=partial)
    except surveys.SurveyValidationError as exc:
        raise InvalidInput(dict(exc.errors)) from None


def split_personal(cleaned: Mapping[str, Any], instrument: surveys.Instrument):  # noqa: ANN202
    coded, free = {}, {}
    for qid, value in cleaned.items():
        if instrument.question(qid).personal:
            free[qid] = value
        else:
            coded[qid] = list(value) if isinstance(value, tuple) else value
    return coded, free


def record(
    session: Session,
    vault: Vault,
    registrant: Registrant,
    cleaned: Mapping[str, Any],
    *,
    instrument: surveys.Instrument,
    channel: str,
    submitted_at: datetime | None = None,
    entered_by: User | None = None,
    actor_label: str | None = None,
) -> SurveyResponse:
    """Add one answer sheet (already cleaned) to the unit of work; the caller commits."""
    coded, free = split_personal(cleaned, instrument)
    public_id = new_public_id()
    response = SurveyResponse(
        public_id=public_id,
        registrant_id=registrant.id,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        channel=channel,
        submitted_at=submitted_at or utcnow(),
        answers=coded,
        entered_by_id=entered_by.id if entered_by else None,
    )
    if free:
        response.free_text_enc = registrants.seal_for(
            vault,
            registrant,
            table=TABLE,
            column="free_text",
            row=public_id,
            value=json.dumps(free, ensure_ascii=False),
        )
    session.add(response)
    session.flush()
    audit.record(
        session,
        "survey.response",
        actor=entered_by,
        actor_label=actor_label,
        entity_type="registrant",
        entity_id=registrant.public_id,
        channel=channel,
        questions=len(cleaned),
    )
    return response


def enter_interview_answers(
    session: Session, vault: Vault, public_id: str, raw: Mapping[str, Any], *, actor: User
) -> SurveyResponse:
    """A coordinator enters or corrects answers during or after an interview.

    Only what was asked needs answering; earlier answers to other questions
    stay the latest ones.
    """
    registrant = registrants.get(session, public_id)
    instrument = current_instrument()
    cleaned = clean(raw, instrument, partial=True)
    if not cleaned:
        raise InvalidInput({"answers": N_("回答が入力されていません")})
    response = record(
        session,
        vault,
        registrant,
        cleaned,
        instrument=instrument,
        channel="interview",
        entered_by=actor,
    )
    session.commit()
    return response


def latest_answers(
    session: Session, registrant_ids: Iterable[int] | None = None, *, until: datetime | None = None
) -> dict[int, dict[str, Any]]:
    """registrant id → the latest answer to each question (coded answers only).

    Later sheets override earlier ones question by question, so an interview
    that corrects one answer keeps the rest of the web answers.
    """
    query = sa.select(SurveyResponse.registrant_id, SurveyResponse.answers).order_by(
        SurveyResponse.registrant_id, SurveyResponse.submitted_at, SurveyResponse.id
    )
    if registrant_ids is not None:
        ids = list(registrant_ids)
        if not ids:
            return {}
        query = query.where(SurveyResponse.registrant_id.in_(ids))
    if until is not None:
        query = query.where(SurveyResponse.submitted_at < until)
    merged: dict[int, dict[str, Any]] = {}
    for registrant_id, answers in session.execute(query):
        merged.setdefault(registrant_id, {}).update(answers or {})
    return merged


@dataclass
class ResponseView:
    public_id: str
    submitted_at: datetime
    channel: str
    instrument: str
    answers: dict[str, Any]
    free_text: dict[str, str]
    unreadable: bool


def history(session: Session, vault: Vault, registrant: Registrant) -> list[ResponseView]:
    """Every answer sheet of one registrant, newest first, free text decrypted."""
    rows = session.scalars(
        sa.select(SurveyResponse)
        .where(SurveyResponse.registrant_id == registrant.id)
        .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
    ).all()
    views = []
    for row in rows:
        free: dict[str, Any] = {}
        unreadable = False
        try:
            text = registrants.open_for(
                vault,
                registrant,
                table=TABLE,
                column="free_text",
                row=row.public_id,
                blob=row.free_text_enc,
            )
            free = json.loads(text) if text else {}
        except DecryptionError as exc:
            log.warning("%s", exc)
            unreadable = True
        views.append(
            ResponseView(
                public_id=row.public_id,
                submitted_at=row.submitted_at,
                channel=row.channel,
                instrument=f"{row.instrument_id}-v{row.instrument_version}",
                answers=dict(row.answers or {}),
                free_text=free,
                unreadable=unreadable,
            )
        )
    return views
