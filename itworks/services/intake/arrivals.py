"""One intake for every way a person arrives: the website's registration and fair
application posts, the previous operator's spreadsheets, and the demo.

Whichever way they come, a known email or phone (normalised, compared by keyed
blind index) means the same person: the arrival is recorded as a UTM touch on
them and no second registrant is made.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from itworks import crypto
from itworks.crypto import Vault
from itworks.database import begin_write
from itworks.i18n import N_
from itworks.models import Event, Registrant, User, utcnow
from itworks.models.base import PUBLIC_ID_SHAPE
from itworks.services.engagement import signups
from itworks.services.errors import InvalidInput
from itworks.services.intake import registrants

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ATTEMPTS = 8
CONSENT_MESSAGES = {
    "missing": N_("個人情報の取扱いへの同意が必要です"),
    "not_agreed": N_("同意（agreed: true）が必要です"),
    "version": N_("現在の個人情報の取扱い（版: %(v)s）への同意が必要です"),
    "shape": N_('{"notice_version": "...", "agreed": true} の形で送ってください'),
}
EVENT_MESSAGE = N_("該当する転職フェアがありません")
REFERRER_MESSAGE = N_("参照元は2000文字以内の文字列です")


@dataclass(frozen=True)
class Notice:
    """The privacy notice currently in force (from the instance configuration)."""

    version: str
    text: str

    @property
    def digest(self) -> str:
        return crypto.text_digest(self.text)


@dataclass(frozen=True)
class Arrival:
    """A validated arrival, ready to be written."""

    person: dict[str, Any]
    utm: dict[str, str | None]
    referrer: str | None
    consent: registrants.Consent


@dataclass(frozen=True)
class IntakeResult:
    public_id: str
    duplicate: bool
    signup_created: bool | None = None


def _check_consent(errors: dict[str, str], consent: Any, notice: Notice) -> None:
    if consent is None:
        errors["consent"] = CONSENT_MESSAGES["missing"]
    elif not isinstance(consent, Mapping):
        errors["consent"] = CONSENT_MESSAGES["shape"]
    elif consent.get("agreed") is not True:
        errors["consent"] = CONSENT_MESSAGES["not_agreed"]
    elif consent.get("notice_version") != notice.version:
        errors["consent"] = CONSENT_MESSAGES["version"].bind(v=notice.version)


def validate(
    payload: Mapping[str, Any],
    notice: Notice | None,
    *,
    now: datetime | None = None,
    consent_version: str | None = None,
) -> Arrival:
    """Check every field at once; raise InvalidInput naming each bad one.

    ``notice`` None means the consent was given elsewhere (an import from the
    previous operator, recorded under ``consent_version``).
    """
    now = now or utcnow()
    errors: dict[str, str] = {}
    person: dict[str, Any] = {}
    try:
        person = registrants.clean_person(payload, today=now.date())
    except InvalidInput as exc:
        errors.update(exc.errors)
    utm: dict[str, str | None] = {}
    try:
        utm = registrants.clean_utm(payload.get("utm"))
    except InvalidInput as exc:
        errors.update(exc.errors)
    referrer = payload.get("referrer")
    if referrer is not None and (not isinstance(referrer, str) or len(referrer) > 2000):
        errors["referrer"] = REFERRER_MESSAGE
    if notice is not None:
        _check_consent(errors, payload.get("consent"), notice)
    if errors:
        raise InvalidInput(errors)
    consent = registrants.Consent(
        notice_version=notice.version if notice else (consent_version or "imported"),
        notice_sha256=notice.digest if notice else None,
        agreed_at=now,
    )
    return Arrival(person=person, utm=utm, referrer=referrer or None, consent=consent)


def _retrying(session: Session, unit_of_work: Callable[[], T]) -> T:
    """Run a unit of work, retrying when a concurrent writer got there first.

    A unique-constraint clash means another request registered the same
    person a moment ago: the retry then finds them. A locked SQLite file
    means the busy timeout ran out under load: waiting and retrying is safe
    because nothing of the failed attempt was kept.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            result = unit_of_work()
            session.commit()
            return result
        except (IntegrityError, OperationalError) as exc:
            session.rollback()
            if attempt == MAX_ATTEMPTS or (
                isinstance(exc, OperationalError)
                and "locked" not in str(exc.orig).lower()
                and "deadlock" not in str(exc.orig).lower()
            ):
                raise
            log.info("intake retry %d after %s", attempt, type(exc.orig).__name__)
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")


def find_or_add(
    session: Session,
    vault: Vault,
    arrival: Arrival,
    *,
    channel: str,
    registered_at: datetime,
    actor: User | None,
    actor_label: str | None,
) -> tuple[Registrant, bool]:
    begin_write(session)
    person = arrival.person
    existing = registrants.find_existing(session, vault, person.get("email"), person.get("phone"))
    if existing is not None:
        registrants.add_touch(
            session, existing, channel, arrival.utm, arrival.referrer, registered_at
        )
        return existing, True
    registrant = registrants.add_registrant(
        session,
        vault,
        person,
        consent=arrival.consent,
        registered_at=registered_at,
        utm=arrival.utm,
        referrer=arrival.referrer,
        source=channel,
        actor=actor,
        actor_label=actor_label,
    )
    return registrant, False


def register(
    session: Session,
    vault: Vault,
    arrival: Arrival,
    *,
    channel: str,
    registered_at: datetime | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
) -> IntakeResult:
    """Find or create the person of a validated arrival; commits."""
    at = registered_at or utcnow()

    def work() -> IntakeResult:
        registrant, duplicate = find_or_add(
            session,
            vault,
            arrival,
            channel=channel,
            registered_at=at,
            actor=actor,
            actor_label=actor_label,
        )
        session.flush()
        return IntakeResult(registrant.public_id, duplicate)

    return _retrying(session, work)


PERSON_FIELDS = {
    "name",
    "name_kana",
    "email",
    "phone",
    "employer",
    "residence_prefecture",
    "birth_year",
    "origin",
    "consent",
    "utm",
    "referrer",
}
UNKNOWN_FIELD = N_("不明な項目です")


def validate_payload(
    session: Session, payload: Mapping[str, Any], notice: Notice, *, fair: bool = False
) -> tuple[Arrival, str | None]:
    """Validate a posted registration or fair application, reporting every field at once."""
    allowed = PERSON_FIELDS | ({"event"} if fair else set())
    errors: dict[str, str] = {key: UNKNOWN_FIELD for key in payload if key not in allowed}
    arrival = None
    try:
        arrival = validate(payload, notice)
    except InvalidInput as exc:
        errors.update(exc.errors)
    event_id = payload.get("event") if fair else None
    unknown_fair = False
    if fair:
        try:
            find_fair(session, event_id)
        except InvalidInput as exc:
            errors.update(exc.errors)
            unknown_fair = isinstance(exc, UnknownFair)
    if unknown_fair and set(errors) == {"event"}:
        raise UnknownFair(errors)  # everything else is right: the fair is not there
    if errors or arrival is None:
        raise InvalidInput(errors)
    return arrival, event_id


class UnknownFair(InvalidInput):
    """A well-formed fair id that names no fair (the API answers 404, not 422)."""


def find_fair(session: Session, public_id: Any) -> Event:
    if not isinstance(public_id, str) or not PUBLIC_ID_SHAPE.fullmatch(public_id):
        raise InvalidInput({"event": EVENT_MESSAGE})
    event = session.scalar(
        sa.select(Event).where(Event.public_id == public_id, Event.kind == "fair")
    )
    if event is None:
        raise UnknownFair({"event": EVENT_MESSAGE})
    return event


def apply_to_fair(
    session: Session,
    vault: Vault,
    arrival: Arrival,
    event_public_id: str,
    *,
    channel: str = "fair_application",
    applied_at: datetime | None = None,
) -> IntakeResult:
    """Find or create the person and sign them up for the fair, once per person; commits."""
    at = applied_at or utcnow()
    event = find_fair(session, event_public_id)

    def work() -> IntakeResult:
        registrant, duplicate = find_or_add(
            session,
            vault,
            arrival,
            channel=channel,
            registered_at=at,
            actor=None,
            actor_label="api",
        )
        session.flush()
        # The capacity rule: past capacity the application joins the waiting list.
        _, created = signups.sign_up(session, event, registrant, source=channel, at=at)
        return IntakeResult(registrant.public_id, duplicate, created)

    return _retrying(session, work)
