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
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import japanese
from itworks.crypto import DecryptionError, Vault
from itworks.database import begin_write
from itworks.i18n import N_
from itworks.models import (
    Company,
    DataKey,
    Introduction,
    Registrant,
    ThirdPartyProvision,
    User,
    new_public_id,
)
from itworks.services import audit
from itworks.services.errors import Conflict, InvalidInput, NotFound
from itworks.services.intake import registrants
from itworks.vocabulary import INTRODUCTION_OPEN_STATUSES, INTRODUCTION_STATUSES

TABLE = "companies"
CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")


@dataclass(frozen=True)
class CompanyContact:
    public_id: str
    name: str
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    unreadable: tuple[str, ...] = ()
    shredded: bool = False


def _clean(
    name: str,
    contact_name: str | None,
    contact_email: str | None,
    contact_phone: str | None,
    city: str | None = None,
) -> dict[str, str | None]:
    errors = {}
    values_city = japanese.nfkc(city or "").strip() or None
    if values_city is not None and len(values_city) > 64:
        errors["city"] = N_("所在地は64文字以内です")
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
    values["city"] = values_city
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
    values = _clean(name, contact_name, contact_email, contact_phone, city)
    begin_write(session)
    if session.scalar(sa.select(Company.id).where(Company.name == values["name"])):
        raise Conflict(N_("同じ名前の企業が既にあります"))
    company = Company(
        public_id=new_public_id(), name=values["name"], city=values["city"], shimane_it=shimane_it
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
        key_row = session.get_one(DataKey, company.data_key_id)  # the company's key (FK)
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
    """The company's contact person, decrypted; the view is audited and committed.

    A shredded key (the contact erased) or a field that fails authentication gives
    ``None`` for those fields and names them in ``unreadable``; it never raises.
    """
    values: dict[str, str | None] = dict.fromkeys(CONTACT_FIELDS)
    unreadable: list[str] = []
    shredded = False
    key_row = session.get(DataKey, company.data_key_id) if company.data_key_id else None
    if key_row is not None:
        try:
            key = vault.unwrap(key_row.uid, key_row.kek_id, key_row.wrapped)
        except DecryptionError:
            key = None
            shredded = key_row.wrapped is None
            if not shredded:
                unreadable = list(CONTACT_FIELDS)
        if key is not None:
            for field in CONTACT_FIELDS:
                try:
                    values[field] = vault.decrypt(
                        key,
                        key_uid=key_row.uid,
                        table=TABLE,
                        column=field,
                        row=company.public_id,
                        blob=getattr(company, f"{field}_enc"),
                    )
                except DecryptionError:
                    unreadable.append(field)
    audit.record(
        session,
        "company.view",
        actor=actor,
        actor_label=actor_label,
        entity_type="company",
        entity_id=company.public_id,
        unreadable=unreadable,
        shredded=shredded,
    )
    session.commit()
    return CompanyContact(
        company.public_id, company.name, **values, unreadable=tuple(unreadable), shredded=shredded
    )


@dataclass(frozen=True)
class CompanySummary:
    """A company with how many of its introductions are at each stage."""

    public_id: str
    name: str
    city: str | None
    shimane_it: bool
    stages: dict[str, int]
    total: int
    follow_ups_due: int


def overview(session: Session, today: date) -> list[CompanySummary]:
    """Every company, by name, with its introductions per stage (INTRODUCTION_STATUSES)."""
    counts: dict[int, dict[str, int]] = {}
    for company_id, status, n in session.execute(
        sa.select(Introduction.company_id, Introduction.status, sa.func.count(Introduction.id))
        .join(Registrant, Registrant.id == Introduction.registrant_id)
        .where(Registrant.erased_at.is_(None))
        .group_by(Introduction.company_id, Introduction.status)
    ):
        counts.setdefault(company_id, {})[status] = int(n)
    due = dict(
        session.execute(
            sa.select(Introduction.company_id, sa.func.count(Introduction.id))
            .where(
                Introduction.status.in_(INTRODUCTION_OPEN_STATUSES),
                Introduction.follow_up_on.is_not(None),
                Introduction.follow_up_on <= today,
            )
            .group_by(Introduction.company_id)
        ).all()
    )
    out = []
    for company in list_companies(session):
        mine = counts.get(company.id, {})
        stages = {stage: mine.get(stage, 0) for stage in INTRODUCTION_STATUSES}
        out.append(
            CompanySummary(
                company.public_id,
                company.name,
                company.city,
                company.shimane_it,
                stages,
                sum(stages.values()),
                int(due.get(company.id, 0)),
            )
        )
    return out


@dataclass(frozen=True)
class CompanyIntroduction:
    public_id: str
    registrant: str  # public id
    registrant_name: str | None
    status: str
    introduced_at: datetime
    stage_changed_at: datetime | None
    reason_code: str | None
    follow_up_on: date | None
    fair_follow_up: bool


@dataclass(frozen=True)
class CompanyProvision:
    public_id: str
    registrant: str
    registrant_name: str | None
    items: list[str]
    provided_on: date
    basis: str
    consent_at: datetime
    keep_until: date


@dataclass(frozen=True)
class CompanyDetail:
    company: Company
    contact: CompanyContact
    introductions: list[CompanyIntroduction]
    provisions: list[CompanyProvision]


def detail(
    session: Session,
    vault: Vault,
    public_id: str,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
) -> CompanyDetail:
    """One company for a coordinator: the contact person decrypted, its introductions
    (with the registrants' names) and its third-party provision records (audited)."""
    company = session.scalar(sa.select(Company).where(Company.public_id == public_id))
    if company is None:
        raise NotFound(N_("企業が見つかりません"))
    shown = contact(session, vault, company, actor=actor, actor_label=actor_label)
    rows = session.execute(
        sa.select(Introduction, Registrant)
        .join(Registrant, Registrant.id == Introduction.registrant_id)
        .where(Introduction.company_id == company.id)
        .order_by(Introduction.introduced_at.desc(), Introduction.id.desc())
    ).all()
    introductions = []
    names_by_person: dict[str, str | None] = {}
    for introduction, person in rows:
        names, _ = registrants.decrypt_fields(vault, person, ("name",))
        names_by_person[person.public_id] = names["name"]
        introductions.append(
            CompanyIntroduction(
                introduction.public_id,
                person.public_id,
                names["name"],
                introduction.status,
                introduction.introduced_at,
                introduction.stage_changed_at,
                introduction.reason_code,
                introduction.follow_up_on,
                introduction.fair_follow_up,
            )
        )
    provisions = [
        CompanyProvision(
            provision.public_id,
            person_id,
            names_by_person.get(person_id),
            list(provision.items or []),
            provision.provided_on,
            provision.basis,
            provision.consent_at,
            provision.keep_until,
        )
        for provision, person_id in session.execute(
            sa.select(ThirdPartyProvision, Registrant.public_id)
            .join(Registrant, Registrant.id == ThirdPartyProvision.registrant_id)
            .where(ThirdPartyProvision.company_id == company.id)
            .order_by(ThirdPartyProvision.provided_on.desc(), ThirdPartyProvision.id.desc())
        )
    ]
    if introductions:
        audit.record(
            session,
            "registrant.list",
            actor=actor,
            actor_label=actor_label,
            entity_type="registrant",
            company=company.public_id,
            shown=len(introductions),
        )
        session.commit()
    return CompanyDetail(company, shown, introductions, provisions)
