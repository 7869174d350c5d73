"""Registrant lists by readiness tier: filtered by current tier, persona (of
the latest run) and the model's confidence, and the "low confidence, needs
interview" queue. Names are decrypted for the page shown, and every list is
audited (filters and counts only, never a name)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from itworks.crypto import Vault
from itworks.japanese import nfkc
from itworks.models import Registrant, User
from itworks.services import audit, paging
from itworks.services.errors import InvalidInput
from itworks.services.intake import registrants
from itworks.services.privacy import scope
from itworks.services.tiers import segment
from itworks.services.tiers.tiers import (
    CONFIRMING,
    MESSAGES,
    current_tier_subquery,
    latest_proposal_subquery,
    parse_tier,
)


@dataclass(frozen=True)
class TierFilter:
    tier: str | None = None
    persona: str | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    method: str | None = None  # "model" (not yet confirmed) or "confirmed"
    page: int = 1

    def as_args(self) -> dict[str, Any]:
        """The filter as query arguments (for pager links)."""
        values = {
            "tier": self.tier,
            "persona": self.persona,
            "min_confidence": self.min_confidence,
            "max_confidence": self.max_confidence,
            "method": self.method,
        }
        return {k: v for k, v in values.items() if v is not None}


def _confidence(value: str, errors: dict[str, str], name: str) -> float | None:
    try:
        number = float(nfkc(value))
    except ValueError:
        errors[name] = MESSAGES["confidence"]
        return None
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        errors[name] = MESSAGES["confidence"]
        return None
    return number


def parse_filter(args: Mapping[str, str], personas: Mapping[str, Any]) -> TierFilter:
    """Read list filters from query arguments; InvalidInput names each bad one.

    ``personas`` are the persona ids a filter may name (the latest run's).
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    tier = (args.get("tier") or "").strip()
    if tier:
        try:
            values["tier"] = parse_tier(tier)
        except InvalidInput as exc:
            errors.update(exc.errors)
    persona = (args.get("persona") or "").strip()
    if persona:
        if persona in personas:
            values["persona"] = persona
        else:
            errors["persona"] = MESSAGES["persona"]
    for name in ("min_confidence", "max_confidence"):
        raw = (args.get(name) or "").strip()
        if raw:
            values[name] = _confidence(raw, errors, name)
    method = (args.get("method") or "").strip()
    if method:
        if method in ("model", "confirmed"):
            values["method"] = method
        else:
            errors["method"] = MESSAGES["method"]
    page = (args.get("page") or "1").strip()
    if page.isdigit() and 1 <= int(page) <= 1_000_000:
        values["page"] = int(page)
    else:
        errors["page"] = MESSAGES["page"]
    if errors:
        raise InvalidInput(errors)
    return TierFilter(**values)


def persona_options(session: Session) -> dict[str, dict[str, Any]]:
    """persona id → {tier, size, description} of the latest run."""
    run = segment.latest_run(session)
    if run is None:
        return {}
    return {p["id"]: p for p in (run.metrics or {}).get("personas", [])}


@dataclass
class TierRow:
    public_id: str
    name: str | None
    name_kana: str | None
    unreadable: bool
    erased: bool
    origin: str
    registered_at: datetime
    tier: str | None
    method: str | None
    assigned_at: datetime | None
    proposed_tier: str | None
    confidence: float | None
    persona: str | None


@dataclass
class TierPage(paging.Page[TierRow]):
    filter: TierFilter


def list_page(
    session: Session,
    vault: Vault,
    flt: TierFilter,
    *,
    actor: User,
    page_size: int = 50,
    queue: bool = False,
) -> TierPage:
    """Live registrants by current tier, persona and model confidence, names decrypted
    (audited). ``queue`` orders by confidence, least sure first (the interview queue)."""
    current = current_tier_subquery()
    proposal = latest_proposal_subquery()
    query = (
        sa.select(
            Registrant,
            current.c.tier,
            current.c.method,
            current.c.assigned_at,
            proposal.c.tier,
            proposal.c.confidence,
            proposal.c.persona,
        )
        .join(current, current.c.registrant_id == Registrant.id)
        .outerjoin(proposal, proposal.c.registrant_id == Registrant.id)
        .where(scope.in_use())
    )
    if flt.tier:
        query = query.where(current.c.tier == flt.tier)
    if flt.method == "model":
        query = query.where(current.c.method == "model")
    elif flt.method == "confirmed":
        query = query.where(current.c.method.in_(CONFIRMING))
    if flt.min_confidence is not None:
        query = query.where(proposal.c.confidence >= flt.min_confidence)
    if flt.max_confidence is not None:
        query = query.where(proposal.c.confidence <= flt.max_confidence)
    if flt.persona:
        chosen = persona_options(session).get(flt.persona, {})
        run = segment.latest_run(session)
        query = query.where(
            proposal.c.persona == str(chosen.get("description", ""))[:200],
            proposal.c.tier == chosen.get("tier"),
            proposal.c.run_id == (run.id if run else None),
        )
    order: tuple[Any, ...]
    if queue:
        order = (proposal.c.confidence.asc(), Registrant.registered_at.asc(), Registrant.id)
    else:
        order = (Registrant.registered_at.desc(), Registrant.id.desc())
    found, total, _ = paging.fetch(
        session,
        query.options(selectinload(Registrant.data_key)).order_by(*order),
        flt.page,
        page_size,
    )
    rows = []
    for registrant, tier, method, assigned_at, proposed, confidence, persona in found:
        personal, unreadable = registrants.decrypt_fields(vault, registrant, ("name", "name_kana"))
        rows.append(
            TierRow(
                public_id=registrant.public_id,
                name=personal["name"],
                name_kana=personal["name_kana"],
                unreadable=bool(unreadable),
                erased=registrant.erased_at is not None,
                origin=registrant.origin,
                registered_at=registrant.registered_at,
                tier=tier,
                method=method,
                assigned_at=assigned_at,
                proposed_tier=proposed,
                confidence=confidence,
                persona=persona,
            )
        )
    audit.record(
        session,
        "tier.list",
        actor=actor,
        entity_type="registrant",
        queue=queue,
        shown=len(rows),
        **flt.as_args(),
        page=flt.page,
    )
    session.commit()
    return TierPage(rows=rows, total=total, page=flt.page, page_size=page_size, filter=flt)
