"""The registrant list: search by one exact identifier, filters by tier, status,
U/I-turn and prefecture, and one page at a time with names decrypted (audited)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from itworks import japanese
from itworks.crypto import Vault
from itworks.i18n import N_, message_of
from itworks.models import (
    ORIGINS,
    Hire,
    ReasonCode,
    Registrant,
    RegistrantIdentifier,
    StageExit,
    User,
)
from itworks.models.base import NEW_PUBLIC_ID_SHAPE
from itworks.services import audit, paging
from itworks.services.errors import InvalidInput
from itworks.services.intake.registrants import RegistrantView, summarize
from itworks.services.privacy import scope
from itworks.services.tiers import tiers
from itworks.vocabulary import (
    REASON_KIND_DROPOUT,
    REASON_KIND_NURTURE,
    REGISTRANT_STATUSES,
    TIERS,
)


@dataclass(frozen=True)
class RegistrantFilter:
    """The registrant list's search and filters, checked (see ``parse_filter``).

    ``q`` finds one person exactly: an email or a phone number through the blind
    index, or a public id. Names and kana are encrypted, so there is no substring
    search on them.
    """

    q: str | None = None
    tier: str | None = None
    status: str | None = None
    origin: str | None = None
    prefecture: str | None = None

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


SEARCH_MESSAGES = {
    # One literal (no implicit concatenation), so the catalogue extractor reads it whole.
    "q": N_(
        "メールアドレス・電話番号（完全一致）か登録者IDで検索します。氏名・フリガナは暗号化のため検索できません"
    ),  # noqa: E501
    "q_long": N_("検索語は254文字以内です"),
    "tier": N_("ティアは %(codes)s のいずれかです"),
    "status": N_("状態は %(codes)s のいずれかです"),
    "origin": N_("区分は %(codes)s のいずれかです"),
}
PHONE_LIKE = re.compile(r"[0-9０-９+＋()（）\-‐－ー―　 ]{10,}")


def parse_filter(args: Mapping[str, Any]) -> RegistrantFilter:
    """Check the list's query parameters; raise InvalidInput naming each bad one."""

    errors: dict[str, str] = {}
    values: dict[str, str | None] = {}
    for name in ("q", "tier", "status", "origin", "prefecture"):
        value = args.get(name)
        value = japanese.nfkc(value).strip() if isinstance(value, str) else None
        values[name] = value or None
    q = values["q"]
    if q is not None and len(q) > 254:
        errors["q"] = SEARCH_MESSAGES["q_long"]
    for name, codes in (("tier", TIERS), ("status", REGISTRANT_STATUSES), ("origin", ORIGINS)):
        if values[name] is not None and values[name] not in codes:
            errors[name] = SEARCH_MESSAGES[name].bind(codes=" / ".join(codes))
    if values["prefecture"] is not None:
        try:
            values["prefecture"] = japanese.parse_prefecture(values["prefecture"])
        except (ValueError, TypeError) as exc:
            errors["prefecture"] = message_of(exc)
    if errors:
        raise InvalidInput(errors)
    return RegistrantFilter(**values)


def _match_q(vault: Vault, q: str) -> sa.ColumnElement[bool]:
    """The condition a search term stands for: one exact identifier, never a scan."""
    if NEW_PUBLIC_ID_SHAPE.fullmatch(q):
        return Registrant.public_id == q
    kind = digest = None
    if "@" in q:
        email = japanese.normalize_email(q)
        if japanese.is_valid_email(email):
            kind, digest = "email", vault.blind_index("email", email)
    elif PHONE_LIKE.fullmatch(q):
        try:
            kind, digest = "phone", vault.blind_index("phone", japanese.normalize_phone(q))
        except ValueError:
            pass
    if kind is None:
        raise InvalidInput({"q": SEARCH_MESSAGES["q"]})
    known = sa.select(RegistrantIdentifier.registrant_id).where(
        RegistrantIdentifier.kind == kind, RegistrantIdentifier.digest == digest
    )
    # A duplicate merged into someone is found as the person it was merged into.
    merged = sa.select(Registrant.merged_into_id).where(
        Registrant.id.in_(known), Registrant.merged_into_id.is_not(None)
    )
    return sa.or_(Registrant.id.in_(known), Registrant.id.in_(merged))


def status_condition(status: str) -> sa.ColumnElement[bool]:
    """Registrants in one of REGISTRANT_STATUSES, from their records."""

    person = sa.func.coalesce(Registrant.merged_into_id, Registrant.id)
    if status == "erased":
        return Registrant.erased_at.is_not(None)
    live = sa.and_(Registrant.erased_at.is_(None))
    if status == "use_stopped":
        return sa.and_(live, Registrant.use_stopped_at.is_not(None))
    live = sa.and_(live, Registrant.use_stopped_at.is_(None))
    hired_ids = (
        sa.select(sa.func.coalesce(Registrant.merged_into_id, Registrant.id))
        .join(Hire, Hire.registrant_id == Registrant.id)
        .scalar_subquery()
    )
    if status == "hired":
        return sa.and_(live, Registrant.id.in_(hired_ids))
    owner = sa.orm.aliased(Registrant)
    rank = (
        sa.func.row_number()
        .over(
            partition_by=sa.func.coalesce(owner.merged_into_id, owner.id),
            order_by=(StageExit.exited_at.desc(), StageExit.id.desc()),
        )
        .label("rank")
    )
    latest = (
        sa.select(
            sa.func.coalesce(owner.merged_into_id, owner.id).label("person"),
            ReasonCode.kind.label("kind"),
            rank,
        )
        .join(owner, owner.id == StageExit.registrant_id)
        .join(ReasonCode, ReasonCode.code == StageExit.reason_code)
        .where(ReasonCode.kind.in_((REASON_KIND_DROPOUT, REASON_KIND_NURTURE)))
        .subquery()
    )
    latest_kind = (
        sa.select(latest.c.kind)
        .where(latest.c.person == person, latest.c.rank == 1)
        .scalar_subquery()
    )
    not_hired = Registrant.id.not_in(hired_ids)
    if status == "dropped_out":
        return sa.and_(live, not_hired, latest_kind == REASON_KIND_DROPOUT)
    if status == "nurturing":
        return sa.and_(live, not_hired, latest_kind == REASON_KIND_NURTURE)
    # active: live, not hired, and neither dropped out nor back in nurturing
    return sa.and_(live, not_hired, sa.or_(latest_kind.is_(None)))


@dataclass
class RegistrantPage(paging.Page[RegistrantView]):
    filter: RegistrantFilter = field(default_factory=RegistrantFilter)
    tiers: dict[str, str] = field(default_factory=dict)  # public id → current tier


def list_page(
    session: Session,
    vault: Vault,
    *,
    actor: User,
    page: int = 1,
    page_size: int = 50,
    flt: RegistrantFilter | None = None,
) -> RegistrantPage:
    """One page of live registrants, newest first, searched and filtered (see
    RegistrantFilter), with names decrypted (audited; the search term is not)."""
    flt = flt or RegistrantFilter()
    current = tiers.current_tier_subquery()
    live = (
        sa.select(Registrant, current.c.tier)
        .outerjoin(current, current.c.registrant_id == Registrant.id)
        .where(Registrant.merged_into_id.is_(None))
    )
    if flt.q:
        live = live.where(_match_q(vault, flt.q))
    if flt.tier:
        live = live.where(current.c.tier == flt.tier)
    if flt.origin:
        live = live.where(Registrant.origin == flt.origin)
    if flt.prefecture:
        live = live.where(Registrant.residence_prefecture == flt.prefecture)
    if flt.status:
        live = live.where(status_condition(flt.status))
    else:  # stopped use (利用停止) and erased people only when asked for by status
        live = live.where(scope.in_use())
    found, total, page = paging.fetch(
        session,
        live.options(selectinload(Registrant.data_key)).order_by(
            Registrant.registered_at.desc(), Registrant.id.desc()
        ),
        page,
        page_size,
    )
    rows = [summarize(vault, registrant, ("name", "name_kana")) for registrant, _ in found]
    audit.record(
        session,
        "registrant.list",
        actor=actor,
        entity_type="registrant",
        page=page,
        shown=len(rows),
        searched=bool(flt.q),
        filters=sorted(k for k in flt.as_args() if k != "q"),
    )
    session.commit()
    return RegistrantPage(
        rows=rows,
        total=total,
        page=page,
        page_size=page_size,
        filter=flt,
        tiers={registrant.public_id: tier for registrant, tier in found if tier},
    )
