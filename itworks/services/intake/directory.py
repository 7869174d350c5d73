"""The registrant list: search by one exact identifier or by name/kana, filters by
tier, status, U/I-turn and prefecture, and one page at a time with names decrypted
(audited).

An email or phone is found through its blind index, a public id directly. A name
or kana term is matched by a bounded, audited decrypted scan: the newest
SEARCH_SCAN_LIMIT registrants in use that pass the filters have their name and
kana decrypted and compared; the page says when more were left unsearched, and
the audit records how many were scanned and matched, never the term."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, load_only, selectinload

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
from itworks.services.intake.registrants import RegistrantView, decrypt_fields, summarize
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

    ``q`` finds one person exactly by an email or a phone number (through the
    blind index) or a public id; any other term is a name/kana term, matched as a
    part of the decrypted name or kana (see ``list_page``).
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
    "q": N_("メールアドレス・電話番号の形式が正しくありません"),
    "q_short": N_("氏名・フリガナの検索は2文字以上で入力してください"),
    "q_long": N_("検索語は254文字以内です"),
    "tier": N_("ティアは %(codes)s のいずれかです"),
    "status": N_("状態は %(codes)s のいずれかです"),
    "origin": N_("区分は %(codes)s のいずれかです"),
}
PHONE_LIKE = re.compile(r"[0-9０-９+＋()（）\-‐－ー―　 ]{10,}")
NAME_TERM_MIN = 2
SCAN_BATCH = 500  # registrants decrypted per query (their data keys loaded together)


def search_kind(q: str) -> str:
    """What a (normalised) search term is: "public_id", "email", "phone" or "name".

    A term with an @ must be an email and a run of digits and separators a phone
    number; either that does not parse is refused (InvalidInput on ``q``)."""
    if NEW_PUBLIC_ID_SHAPE.fullmatch(q):
        return "public_id"
    if "@" in q:
        if japanese.is_valid_email(japanese.normalize_email(q)):
            return "email"
        raise InvalidInput({"q": SEARCH_MESSAGES["q"]})
    if PHONE_LIKE.fullmatch(q):
        try:
            japanese.normalize_phone(q)
        except ValueError:
            raise InvalidInput({"q": SEARCH_MESSAGES["q"]}) from None
        return "phone"
    return "name"


def name_key(s: str) -> str:
    """A name or kana folded for comparison: NFKC, hiragana as katakana, case and
    every space dropped (so 「しまね たろう」 finds 「シマネ タロウ」)."""
    return "".join(japanese.to_katakana(s).casefold().split())


def parse_filter(args: Mapping[str, Any]) -> RegistrantFilter:
    """Check the list's query parameters; raise InvalidInput naming each bad one."""

    errors: dict[str, str] = {}
    values: dict[str, str | None] = {}
    for name in ("q", "tier", "status", "origin", "prefecture"):
        value = args.get(name)
        value = japanese.nfkc(value).strip() if isinstance(value, str) else None
        values[name] = value or None
    q = values["q"]
    if q is not None:
        q = values["q"] = " ".join(q.split())  # collapse runs of spaces
        if len(q) > 254:
            errors["q"] = SEARCH_MESSAGES["q_long"]
        else:
            try:
                if search_kind(q) == "name" and len(name_key(q)) < NAME_TERM_MIN:
                    errors["q"] = SEARCH_MESSAGES["q_short"]
            except InvalidInput as exc:
                errors.update(exc.errors)
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
    """The condition an exact search term stands for (public id, email or phone)."""
    kind = search_kind(q)
    if kind == "public_id":
        return Registrant.public_id == q
    if kind == "email":
        digest = vault.blind_index("email", japanese.normalize_email(q))
    elif kind == "phone":
        digest = vault.blind_index("phone", japanese.normalize_phone(q))
    else:
        raise ValueError("a name term is matched by scan_names, not in SQL")
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
    # A name/kana search: how many registrants were decrypted and compared, how
    # many passed the filters, and whether the scan limit left some unsearched.
    name_search: bool = False
    scanned: int = 0
    candidates: int = 0
    scan_limit: int = 0

    @property
    def scan_limited(self) -> bool:
        return self.name_search and self.candidates > self.scanned


def scan_names(
    session: Session, vault: Vault, candidates: sa.Select[Any], term: str, limit: int
) -> tuple[list[int], int, int]:
    """Decrypt the name and kana of the newest ``limit`` registrants ``candidates``
    (a select of Registrant.id, filters applied) names, and return the ids whose
    name or kana contains ``term`` (newest first), how many were scanned and how
    many candidates there are in all. Nothing is logged but counts."""
    wanted = name_key(term)
    ordered = candidates.order_by(Registrant.registered_at.desc(), Registrant.id.desc())
    total = session.scalar(sa.select(sa.func.count()).select_from(candidates.subquery())) or 0
    ids = list(session.scalars(ordered.limit(max(0, limit))))
    matched: list[int] = []
    for start in range(0, len(ids), SCAN_BATCH):
        batch = ids[start : start + SCAN_BATCH]
        rows = session.scalars(
            sa.select(Registrant)
            .where(Registrant.id.in_(batch))
            .options(
                load_only(
                    Registrant.id,
                    Registrant.public_id,
                    Registrant.erased_at,
                    Registrant.data_key_id,
                    Registrant.name_enc,
                    Registrant.name_kana_enc,
                ),
                selectinload(Registrant.data_key),
            )
        ).all()
        found = set()
        for registrant in rows:
            values, _ = decrypt_fields(vault, registrant, ("name", "name_kana"))
            if any(v and wanted in name_key(v) for v in values.values()):
                found.add(registrant.id)
            session.expunge(registrant)  # the page's rows are loaded again, whole
        matched.extend(i for i in batch if i in found)
    return matched, len(ids), total


def list_page(
    session: Session,
    vault: Vault,
    *,
    actor: User,
    page: int = 1,
    page_size: int = 50,
    flt: RegistrantFilter | None = None,
    scan_limit: int = 5000,
) -> RegistrantPage:
    """One page of live registrants, newest first, searched and filtered (see
    RegistrantFilter), with names decrypted (audited; the search term is not).

    A name/kana term scans at most ``scan_limit`` registrants in use (newest
    first, after the filters) and pages over the matches."""
    flt = flt or RegistrantFilter()
    by_name = flt.q is not None and search_kind(flt.q) == "name"
    live = sa.select(Registrant).where(Registrant.merged_into_id.is_(None))
    if flt.tier:
        # Only a tier filter needs every registrant's current tier; otherwise the
        # page's tiers are read for its rows alone (below).
        current = tiers.current_tier_subquery()
        live = live.join(current, current.c.registrant_id == Registrant.id).where(
            current.c.tier == flt.tier
        )
    if flt.q and not by_name:
        live = live.where(_match_q(vault, flt.q))
    if flt.origin:
        live = live.where(Registrant.origin == flt.origin)
    if flt.prefecture:
        live = live.where(Registrant.residence_prefecture == flt.prefecture)
    if flt.status:
        live = live.where(status_condition(flt.status))
    if not flt.status or by_name:
        # Stopped use (利用停止) and erased people only when asked for by status,
        # and never decrypted for a name search.
        live = live.where(scope.in_use())
    newest = (Registrant.registered_at.desc(), Registrant.id.desc())
    scanned = candidates = 0
    if by_name:
        ids = live.with_only_columns(Registrant.id)
        matched, scanned, candidates = scan_names(session, vault, ids, flt.q or "", scan_limit)
        total = len(matched)
        page = max(1, min(page, -(-total // page_size) or 1))
        shown_ids = matched[(page - 1) * page_size : page * page_size]
        found = session.execute(
            live.where(Registrant.id.in_(shown_ids))
            .options(selectinload(Registrant.data_key))
            .order_by(*newest)
        ).all()
    else:
        # The page's ids first, from the index (an OFFSET then skips index entries,
        # not whole encrypted rows), then those rows. The count of a list without a
        # search term is reused while no write could change it.
        id_rows, total, page = paging.fetch(
            session,
            live.with_only_columns(Registrant.id).order_by(*newest),
            page,
            page_size,
            count_key=None if flt.q else ("registrants", tuple(sorted(flt.as_args().items()))),
        )
        found = session.execute(
            live.where(Registrant.id.in_([i for (i,) in id_rows]))
            .options(selectinload(Registrant.data_key))
            .order_by(*newest)
        ).all()
    shown = [registrant for (registrant,) in found]
    current_tiers = tiers.current_tiers_of(session, [r.id for r in shown]) if shown else {}
    rows = [summarize(vault, registrant, ("name", "name_kana")) for registrant in shown]
    name_counts: dict[str, Any] = (
        {"search": "name", "scanned": scanned, "matched": total} if by_name else {}
    )
    audit.record(
        session,
        "registrant.list",
        actor=actor,
        entity_type="registrant",
        page=page,
        shown=len(rows),
        searched=bool(flt.q),
        filters=sorted(k for k in flt.as_args() if k != "q"),
        # A name search: counts only, never the term.
        **name_counts,
    )
    session.commit()
    return RegistrantPage(
        rows=rows,
        total=total,
        page=page,
        page_size=page_size,
        filter=flt,
        tiers={r.public_id: current_tiers[r.id][0] for r in shown if r.id in current_tiers},
        name_search=by_name,
        scanned=scanned,
        candidates=candidates,
        scan_limit=scan_limit,
    )
