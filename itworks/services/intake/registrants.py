"""Registrants: validation of personal input, encrypted storage, decrypted views,
and crypto-shredding erasure."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import japanese
from itworks.crypto import DecryptionError, Vault
from itworks.i18n import N_, message_of
from itworks.models import (
    ORIGINS,
    PERSONAL_FIELDS,
    DataKey,
    Registrant,
    RegistrantIdentifier,
    User,
    UtmTouch,
    utcnow,
)
from itworks.models.base import new_public_id
from itworks.services import audit
from itworks.services.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

TABLE = "registrants"
TOUCH_REPEAT_WINDOW = timedelta(days=1)
UTM_KEYS = ("source", "medium", "campaign", "term", "content")
MAX_LENGTHS = {"name": 100, "name_kana": 100, "email": 254, "employer": 200}

MESSAGES = {
    "required": N_("必須項目です"),
    "too_long": N_("%(n)s文字以内で入力してください"),
    "not_text": N_("文字列で入力してください"),
    "kana": N_("カタカナまたはひらがなで入力してください"),
    "email": N_("メールアドレスの形式が正しくありません"),
    "birth_year": (N_("生年は%(lo)s〜%(hi)sの西暦で入力してください")),
    "origin": N_("u_turn, i_turn, unknown のいずれかです"),
    "utm": N_("UTMは source, medium, campaign, term, content の文字列です"),
}


@dataclass(frozen=True)
class Consent:
    notice_version: str
    notice_sha256: str | None
    agreed_at: datetime


@dataclass
class RegistrantView:
    """A registrant with personal fields decrypted, for coordinators' pages."""

    public_id: str
    registered_at: datetime
    origin: str
    residence_prefecture: str | None
    birth_year: int | None
    age_band: str | None
    utm: dict[str, str | None]
    referrer: str | None
    consent_notice_version: str | None
    consent_at: datetime | None
    erased: bool
    personal: dict[str, str | None] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)


def _text(errors: dict[str, str], data: Mapping[str, Any], name: str, required: bool = False):
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[name] = MESSAGES["required"]
        return None
    if not isinstance(value, str):
        errors[name] = MESSAGES["not_text"]
        return None
    value = japanese.nfkc(value)
    if japanese.has_control_characters(value):
        errors[name] = japanese.CONTROL_CHARACTERS_MESSAGE
        return None
    limit = MAX_LENGTHS.get(name)
    if limit and len(value) > limit:
        errors[name] = MESSAGES["too_long"].bind(n=limit)
        return None
    return value


OLDEST_AGE, YOUNGEST_AGE = 80, 15


def birth_year_range(today: date) -> tuple[int, int]:
    """The birth years accepted on ``today`` (ages 15 to 80), oldest first."""
    return today.year - OLDEST_AGE, today.year - YOUNGEST_AGE


def clean_person(data: Mapping[str, Any], today: date | None = None) -> dict[str, Any]:
    """Validate and normalise the person fields; raise InvalidInput naming each bad field.

    Accepts what the website, CSV import and staff forms send; error messages
    are bilingual and never repeat the submitted value.
    """
    errors: dict[str, str] = {}
    out: dict[str, Any] = {
        "name": _text(errors, data, "name", required=True),
        "employer": _text(errors, data, "employer"),
    }
    kana = _text(errors, data, "name_kana")
    if kana is not None:
        folded = japanese.to_katakana(kana)
        if japanese.is_kana_reading(folded):
            out["name_kana"] = folded
        else:
            errors["name_kana"] = MESSAGES["kana"]
    email = _text(errors, data, "email", required=True)
    if email is not None:
        if japanese.is_valid_email(email):
            out["email"] = japanese.normalize_email(email)
        else:
            errors["email"] = MESSAGES["email"]
    phone = data.get("phone")
    if phone not in (None, ""):
        try:
            out["phone"] = japanese.normalize_phone(phone if isinstance(phone, str) else "")
        except ValueError as exc:
            errors["phone"] = message_of(exc)
    pref = data.get("residence_prefecture")
    if pref not in (None, ""):
        try:
            out["residence_prefecture"] = japanese.parse_prefecture(pref)
        except (ValueError, TypeError) as exc:
            errors["residence_prefecture"] = message_of(exc)
    birth_year = data.get("birth_year")
    if birth_year not in (None, ""):
        lo, hi = birth_year_range(today or utcnow().date())
        try:
            if isinstance(birth_year, bool):
                raise ValueError
            value = int(japanese.nfkc(birth_year) if isinstance(birth_year, str) else birth_year)
            if value != birth_year and not isinstance(birth_year, str):
                raise ValueError
            if not lo <= value <= hi:
                raise ValueError
            out["birth_year"] = value
        except (ValueError, TypeError):
            errors["birth_year"] = MESSAGES["birth_year"].bind(lo=lo, hi=hi)
    origin = data.get("origin") or "unknown"
    if origin in ORIGINS:
        out["origin"] = origin
    else:
        errors["origin"] = MESSAGES["origin"]
    if errors:
        raise InvalidInput(errors)
    return out


def clean_utm(utm: Any) -> dict[str, str | None]:
    """Keep every UTM value as given (trimmed), unknown sources included."""
    if utm in (None, ""):
        return {k: None for k in UTM_KEYS}
    if (
        not isinstance(utm, Mapping)
        or any(not isinstance(v, str | None) for v in utm.values())
        or set(utm) - set(UTM_KEYS)
    ):
        raise InvalidInput({"utm": MESSAGES["utm"]})
    return {k: (utm.get(k) or "").strip()[:200] or None for k in UTM_KEYS}


def identifier_digests(vault: Vault, email: str | None, phone: str | None) -> list[tuple[str, str]]:
    """(kind, keyed digest) pairs for the normalised email and phone."""
    pairs = []
    if email:
        pairs.append(("email", vault.blind_index("email", email)))
    if phone:
        pairs.append(("phone", vault.blind_index("phone", phone)))
    return pairs


def find_existing(
    session: Session, vault: Vault, email: str | None, phone: str | None
) -> Registrant | None:
    """The live registrant known by this normalised email or phone, if any (email first)."""
    for kind, digest in identifier_digests(vault, email, phone):
        registrant = session.scalar(
            sa.select(Registrant)
            .join(RegistrantIdentifier)
            .where(
                RegistrantIdentifier.kind == kind,
                RegistrantIdentifier.digest == digest,
                Registrant.merged_into_id.is_(None),
            )
            .limit(1)
        )
        if registrant is not None:
            return registrant
    return None


def add_registrant(
    session: Session,
    vault: Vault,
    person: Mapping[str, Any],
    *,
    consent: Consent,
    registered_at: datetime | None = None,
    utm: Mapping[str, str | None] | None = None,
    referrer: str | None = None,
    source: str = "coordinator",
    age_band: str | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
) -> Registrant:
    """Add a registrant from cleaned person fields (see clean_person); does not commit.

    The caller decides the unit of work, so an import can add a row and its
    related records atomically.
    """
    new_key = vault.new_data_key()
    data_key = DataKey(uid=new_key.uid, kek_id=new_key.kek_id, wrapped=new_key.wrapped)
    public_id = new_public_id()
    utm = dict(utm or {})
    registrant = Registrant(
        public_id=public_id,
        data_key=data_key,
        residence_prefecture=person.get("residence_prefecture"),
        birth_year=person.get("birth_year"),
        age_band=age_band,
        origin=person.get("origin") or "unknown",
        registered_at=registered_at or utcnow(),
        referrer=(referrer or None) and referrer[:2000],
        consent_notice_version=consent.notice_version,
        consent_notice_sha256=consent.notice_sha256,
        consent_at=consent.agreed_at,
        source=source,
        **{f"utm_{k}": utm.get(k) for k in UTM_KEYS},
    )
    cipher = vault.cipher(new_key.key)
    for name in PERSONAL_FIELDS:
        setattr(
            registrant,
            f"{name}_enc",
            vault.encrypt(
                cipher,
                key_uid=new_key.uid,
                table=TABLE,
                column=name,
                row=public_id,
                value=person.get(name),
            ),
        )
    for kind, digest in identifier_digests(vault, person.get("email"), person.get("phone")):
        registrant.identifiers.append(RegistrantIdentifier(kind=kind, digest=digest))
    session.add(registrant)
    add_touch(session, registrant, source, utm, registrant.referrer, registrant.registered_at)
    session.flush()
    audit.record(
        session,
        "registrant.create",
        actor=actor,
        actor_label=actor_label,
        entity_type="registrant",
        entity_id=public_id,
        source=source,
    )
    return registrant


def add_touch(
    session: Session,
    registrant: Registrant,
    channel: str,
    utm: Mapping[str, str | None],
    referrer: str | None,
    at: datetime,
) -> bool:
    """Record one arrival with its attribution; an identical one within a day is
    the same arrival repeated (a retried request, a re-run import) and is skipped."""
    values = {f"utm_{k}": utm.get(k) for k in UTM_KEYS}
    if registrant.id is not None:
        same = session.scalar(
            sa.select(UtmTouch.id)
            .where(
                UtmTouch.registrant_id == registrant.id,
                UtmTouch.channel == channel,
                UtmTouch.referrer.is_(None) if referrer is None else UtmTouch.referrer == referrer,
                UtmTouch.at > at - TOUCH_REPEAT_WINDOW,
                UtmTouch.at < at + TOUCH_REPEAT_WINDOW,
                *[
                    getattr(UtmTouch, k).is_(None) if v is None else getattr(UtmTouch, k) == v
                    for k, v in values.items()
                ],
            )
            .limit(1)
        )
        if same is not None:
            return False
    session.add(
        UtmTouch(registrant=registrant, at=at, channel=channel, referrer=referrer, **values)
    )
    return True


def get(session: Session, public_id: str) -> Registrant:
    registrant = session.scalar(sa.select(Registrant).where(Registrant.public_id == public_id))
    if registrant is None:
        raise NotFound(N_("登録者が見つかりません"))
    return registrant


def data_key(vault: Vault, registrant: Registrant) -> bytes:
    """The registrant's own data key, unwrapped (raises DecryptionError once erased)."""
    key_row = registrant.data_key
    return vault.unwrap(key_row.uid, key_row.kek_id, key_row.wrapped)


def seal_for(
    vault: Vault, registrant: Registrant, *, table: str, column: str, row: str, value: str | None
) -> bytes | None:
    """Encrypt a personal value kept in another table under the registrant's key,
    so erasing the registrant makes it unreadable too."""
    return vault.encrypt(
        data_key(vault, registrant),
        key_uid=registrant.data_key.uid,
        table=table,
        column=column,
        row=row,
        value=value,
    )


def open_for(
    vault: Vault,
    registrant: Registrant,
    *,
    table: str,
    column: str,
    row: str,
    blob: bytes | None,
) -> str | None:
    if blob is None or registrant.erased_at is not None:
        return None
    return vault.decrypt(
        data_key(vault, registrant),
        key_uid=registrant.data_key.uid,
        table=table,
        column=column,
        row=row,
        blob=blob,
    )


class WrappedKey(Protocol):
    """A data key as stored: a DataKey row, or a plain row with these columns."""

    uid: str
    kek_id: str
    wrapped: bytes | None


def decrypt_values(
    vault: Vault, public_id: str, key_row: WrappedKey, blobs: Mapping[str, bytes | None]
) -> tuple[dict[str, str | None], list[str]]:
    """Decrypt one registrant's field ciphertexts (field name → blob) under their
    data key; a field that fails authentication is reported, not guessed."""
    values: dict[str, str | None] = {name: None for name in blobs}
    unreadable: list[str] = []
    try:
        key = vault.unwrap(key_row.uid, key_row.kek_id, key_row.wrapped)
    except DecryptionError:
        log.warning("data key of registrant %s failed to unwrap", public_id)
        return values, list(blobs)
    cipher = vault.cipher(key)
    for name, blob in blobs.items():
        try:
            values[name] = vault.decrypt(
                cipher, key_uid=key_row.uid, table=TABLE, column=name, row=public_id, blob=blob
            )
        except DecryptionError as exc:
            log.warning("%s", exc)
            unreadable.append(name)
    return values, unreadable


def decrypt_fields(
    vault: Vault, registrant: Registrant, fields: tuple[str, ...] = PERSONAL_FIELDS
) -> tuple[dict[str, str | None], list[str]]:
    """Decrypt personal fields; a field that fails authentication is reported, not guessed."""
    if registrant.erased_at is not None:
        return {name: None for name in fields}, []
    blobs = {name: getattr(registrant, f"{name}_enc") for name in fields}
    return decrypt_values(vault, registrant.public_id, registrant.data_key, blobs)


def summarize(
    vault: Vault, registrant: Registrant, fields: tuple[str, ...] = PERSONAL_FIELDS
) -> RegistrantView:
    """A registrant's facts with ``fields`` decrypted (the referrer only with every field)."""
    personal, unreadable = decrypt_fields(vault, registrant, fields)
    return RegistrantView(
        public_id=registrant.public_id,
        registered_at=registrant.registered_at,
        origin=registrant.origin,
        residence_prefecture=registrant.residence_prefecture,
        birth_year=registrant.birth_year,
        age_band=registrant.age_band,
        utm={k: getattr(registrant, f"utm_{k}") for k in UTM_KEYS},
        referrer=registrant.referrer if fields == PERSONAL_FIELDS else None,
        consent_notice_version=registrant.consent_notice_version,
        consent_at=registrant.consent_at,
        erased=registrant.erased_at is not None,
        personal=personal,
        unreadable=unreadable,
    )


def view(
    session: Session, vault: Vault, registrant: Registrant | str, *, actor: User
) -> RegistrantView:
    """Decrypt one registrant (or the one a public id names) for a coordinator;
    every such view is audited."""
    if isinstance(registrant, str):
        registrant = get(session, registrant)
    result = summarize(vault, registrant)
    audit.record(
        session,
        "registrant.view",
        actor=actor,
        entity_type="registrant",
        entity_id=registrant.public_id,
        unreadable=result.unreadable,
    )
    session.commit()
    return result


def shred(registrant: Registrant, now: datetime) -> None:
    """Destroy the registrant's data key and drop the row's ciphertexts, blind indexes,
    referrer and birth year (no commit). The codes and dates stay, so counts do not
    change. The whole person (notes, outbox, history) is itworks.services.privacy.erasure."""
    registrant.data_key.wrapped = None
    registrant.data_key.destroyed_at = now
    for name in PERSONAL_FIELDS:
        setattr(registrant, f"{name}_enc", None)
    # Forgotten means not recognised either: a later registration is a new person.
    registrant.identifiers.clear()
    registrant.referrer = None
    registrant.birth_year = None
    registrant.erased_at = now


def erase(
    session: Session, public_id: str, *, actor: User | None = None, actor_label: str | None = None
) -> None:
    """Crypto-shred a registrant's own row (see ``shred``); the ``itworks privacy erase``
    service (itworks.services.privacy.erasure) also clears every related record.

    Every copy of their ciphertexts becomes unreadable once no copy of the data key
    is left (a backup of the key table is one: see the README); the non-personal
    facts stay, so past KPI counts do not change.
    """
    registrant = get(session, public_id)
    if registrant.erased_at is not None:
        return
    shred(registrant, utcnow())
    audit.record(
        session,
        "registrant.erase",
        actor=actor,
        actor_label=actor_label,
        entity_type="registrant",
        entity_id=public_id,
    )
    session.commit()
