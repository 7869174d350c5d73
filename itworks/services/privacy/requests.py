"""Finding the person a request is about, and recording each request with the day
it came in and how it was answered (the prefecture asks for the answer times)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import csvio, japanese
from itworks.crypto import Vault
from itworks.fiscal import JST
from itworks.i18n import N_
from itworks.models import PrivacyRequest, Registrant, RegistrantIdentifier, User, utcnow
from itworks.services.errors import InvalidInput, NotFound
from itworks.vocabulary import PRIVACY_ANSWER_CHANNELS, PRIVACY_OUTCOMES, PRIVACY_REQUEST_KINDS

MESSAGES = {
    "not_found": N_("登録者が見つかりません"),
    "received_on": N_("受付日は YYYY-MM-DD の形で、今日以前の日付を指定してください"),
    "answered_via": N_("回答方法は email / post / in_person / phone / other のいずれかです"),
}


def find(session: Session, vault: Vault, ref: str) -> Registrant:
    """The registrant a request names: a public id, or an email address looked up
    through the blind index. A merged duplicate leads to the person it was merged
    into (their records are one person's). NotFound never repeats the address."""
    ref = (ref or "").strip()
    registrant: Registrant | None = None
    if "@" in ref:
        digest = vault.blind_index("email", japanese.normalize_email(ref))
        found = session.scalars(
            sa.select(Registrant)
            .join(RegistrantIdentifier)
            .where(RegistrantIdentifier.kind == "email", RegistrantIdentifier.digest == digest)
            .order_by(Registrant.merged_into_id.is_not(None), Registrant.id)
        ).all()
        registrant = found[0] if found else None
    elif ref:
        registrant = session.scalar(sa.select(Registrant).where(Registrant.public_id == ref))
    if registrant is None:
        raise NotFound(MESSAGES["not_found"])
    seen = {registrant.id}
    while registrant.merged_into_id is not None:
        registrant = session.get(Registrant, registrant.merged_into_id)
        if registrant is None or registrant.id in seen:
            raise NotFound(MESSAGES["not_found"])
        seen.add(registrant.id)
    return registrant


def people(session: Session, registrant: Registrant) -> list[Registrant]:
    """The person's row first, then the duplicate rows merged into it."""
    merged = session.scalars(
        sa.select(Registrant)
        .where(Registrant.merged_into_id == registrant.id)
        .order_by(Registrant.id)
    ).all()
    return [registrant, *merged]


def parse_received(value: object, today: date) -> date:
    """``--received-on``: the day the request came in (default today in Japan)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return today
    if isinstance(value, date):
        day = value
    else:
        try:
            day = csvio.parse_datetime(str(value)).astimezone(JST).date()
        except ValueError:
            raise InvalidInput({"received_on": MESSAGES["received_on"]}) from None
    if day > today:
        raise InvalidInput({"received_on": MESSAGES["received_on"]})
    return day


def check_via(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value not in PRIVACY_ANSWER_CHANNELS:
        raise InvalidInput({"answered_via": MESSAGES["answered_via"]})
    return value


def actor_name(actor: User | None, actor_label: str | None) -> str:
    return actor.username if actor else (actor_label or "system")


def record(
    session: Session,
    kind: str,
    registrant: Registrant,
    *,
    received_on: date,
    outcome: str,
    answered_via: str | None,
    handled_by: str,
    now: datetime,
    **detail: Any,
) -> PrivacyRequest:
    """Add an answered request to the caller's unit of work (no commit)."""
    assert kind in PRIVACY_REQUEST_KINDS and outcome in PRIVACY_OUTCOMES
    request = PrivacyRequest(
        kind=kind,
        registrant_id=registrant.id,
        received_on=received_on,
        answered_at=now,
        outcome=outcome,
        answered_via=answered_via,
        handled_by=handled_by,
        detail=detail,
    )
    session.add(request)
    session.flush()
    return request


def today_jst(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(JST).date()


@dataclass(frozen=True)
class RequestRow:
    id: str
    kind: str
    registrant: str | None
    received_on: date
    answered_on: date | None
    days: int | None
    outcome: str | None
    answered_via: str | None
    handled_by: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "registrant": self.registrant,
            "received_on": self.received_on.isoformat(),
            "answered_on": self.answered_on.isoformat() if self.answered_on else None,
            "days": self.days,
            "outcome": self.outcome,
            "answered_via": self.answered_via,
            "handled_by": self.handled_by,
        }


def list_requests(session: Session, kind: str | None = None) -> list[RequestRow]:
    """Every request, oldest first, with the days from receipt to answer (Japan dates)."""
    query = (
        sa.select(PrivacyRequest, Registrant.public_id)
        .outerjoin(Registrant, Registrant.id == PrivacyRequest.registrant_id)
        .order_by(PrivacyRequest.received_on, PrivacyRequest.id)
    )
    if kind is not None:
        if kind not in PRIVACY_REQUEST_KINDS:
            raise InvalidInput(
                {"kind": N_("種類は disclosure / correction / stop_use / erasure のいずれかです")}
            )
        query = query.where(PrivacyRequest.kind == kind)
    rows = []
    for request, public_id in session.execute(query):
        answered = request.answered_at.astimezone(JST).date() if request.answered_at else None
        rows.append(
            RequestRow(
                id=request.public_id,
                kind=request.kind,
                registrant=public_id,
                received_on=request.received_on,
                answered_on=answered,
                days=(answered - request.received_on).days if answered else None,
                outcome=request.outcome,
                answered_via=request.answered_via,
                handled_by=request.handled_by,
            )
        )
    return rows
