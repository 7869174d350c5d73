"""Shimane IT companies and their contact person.

Key design: a company is not a registrant, but its contact person's name,
email and phone are personal data. Each company that has a contact gets its
own random data key, a ``data_keys`` row wrapped by the master key exactly as
a registrant's is, so key rotation re-wraps it with the rest and destroying
it shreds the contact. The associated data binds each ciphertext to the
``companies`` table, its column, the company's public id and the key id.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import japanese
from itworks.crypto import DecryptionError, Vault
from itworks.database import begin_write
from itworks.i18n import N_
from itworks.models import Company, DataKey, User, new_public_id
from itworks.services import audit
from itworks.services.errors import Conflict, InvalidInput, NotFound

TABLE = "companies"
CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")


@dataclass(frozen=True)
class CompanyContact:
    public_id: str
    name: str
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None


def _clean(
    name: str, contact_name: str | None, contact_email: str | None, contact_phone: str | None
) -> dict[str, str | None]:
    errors = {}
    name = japanese.nfkc(name or "").strip()
    if not name or len(name) > 200:
        errors["name"] = N_("名前は1〜200文字です")
    values: dict[str, str | None] = {"name": name}
    values["contact_name"] = (contact_name or "").strip() or None
    if values["contact_name"] and len(values["contact_name"]) > 200:
        errors["contact_name"] = N_("担当者名は200文字以内です")
    email = (contact_email or "").strip() or None
    if email is not None:
        email = japanese.normalize_email(email)
        if not japanese.is_valid_email(email):
            errors["contact_email"] = N_("メールアドレスの形式が正しくありません")
    values["contact_email"] = email
    phone = (contact_phone or "").strip() or None
    if phone is not None:
        try:
            phone = japanese.normalize_phone(phone)
        except ValueError as exc:
            errors["contact_phone"] = exc.args[0]
    values["contact_phone"] = phone
    if errors:
        raise InvalidInput(errors)
    return values


def add_company(
    session: Session,
    vault: Vault,
    name: str,
    *,
    contact_name: str | None = None,
    contact_email: str | None = None,
    contact_phone: str | None = None,
    city: str | None = None,
    shimane_it: bool = True,
    actor: User | None = None,
    actor_label: str | None = None,
) -> Company:
    """Add a company with its (encrypted) contact person; commits."""
    values = _clean(name, contact_name, contact_email, contact_phone)
    begin_write(session)
    if session.scalar(sa.select(Company.id).where(Company.name == values["name"])):
        raise Conflict(N_("同じ名前の企業が既にあります"))
    company = Company(
        public_id=new_public_id(), name=values["name"], city=city, shimane_it=shimane_it
    )
    session.add(company)
    _seal_contact(session, vault, company, values)
    session.flush()
    audit.record(
        session,
        "company.create",
        actor=actor,
        actor_label=actor_label,
        entity_type="company",
        entity_id=company.public_id,
    )
    session.commit()
    return company


def _seal_contact(
    session: Session, vault: Vault, company: Company, values: dict[str, str | None]
) -> None:
    if not any(values.get(f) for f in CONTACT_FIELDS):
        return
    if company.data_key_id is None:
        new_key = vault.new_data_key()
        key_row = DataKey(uid=new_key.uid, kek_id=new_key.kek_id, wrapped=new_key.wrapped)
        session.add(key_row)
        session.flush()
        company.data_key_id = key_row.id
        key, uid = new_key.key, new_key.uid
    else:
        key_row = session.get(DataKey, company.data_key_id)
        key, uid = vault.unwrap(key_row.uid, key_row.kek_id, key_row.wrapped), key_row.uid
    for field in CONTACT_FIELDS:
        sealed = vault.encrypt(
            key,
            key_uid=uid,
            table=TABLE,
            column=field,
            row=company.public_id,
            value=values.get(field),
        )
        setattr(company, f"{field}_enc", sealed)


def get_company(session: Session, name_or_public_id: str) -> Company:
    company = session.scalar(
        sa.select(Company).where(
            sa.or_(Company.public_id == name_or_public_id, Company.name == name_or_public_id)
        )
    )
    if company is None:
        raise NotFound(N_("企業が見つかりません"))
    return company


def list_companies(session: Session) -> list[Company]:
    return list(session.scalars(sa.select(Company).order_by(Company.name)))


def contact(
    session: Session,
    vault: Vault,
    company: Company,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
) -> CompanyContact:
    """The company's contact person, decrypted; the view is audited (caller commits)."""
    values: dict[str, str | None] = dict.fromkeys(CONTACT_FIELDS)
    if company.data_key_id is not None:
        key_row = session.get(DataKey, company.data_key_id)
        try:
            key = vault.unwrap(key_row.uid, key_row.kek_id, key_row.wrapped)
            for field in CONTACT_FIELDS:
                values[field] = vault.decrypt(
                    key,
                    key_uid=key_row.uid,
                    table=TABLE,
                    column=field,
                    row=company.public_id,
                    blob=getattr(company, f"{field}_enc"),
                )
        except DecryptionError:
            values = dict.fromkeys(CONTACT_FIELDS)
    audit.record(
        session,
        "company.view",
        actor=actor,
        actor_label=actor_label,
        entity_type="company",
        entity_id=company.public_id,
    )
    return CompanyContact(company.public_id, company.name, **values)
