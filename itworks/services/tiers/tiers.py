"""Readiness tiers in use: the current tier, coordinators confirming or
overriding the model, and the tier section of a registrant's page (lists are
in ``tiers_lists``, re-contact in ``tiers_recontact``, movement in
``tiers_movement``).

The current tier is the latest coordinator or import assignment if there is
one, else the latest model proposal: a confirmation wins over any later
proposal until a coordinator changes it (as ``services.exports.current_tiers``).
Nothing is ever updated or deleted, so the assignments are the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.i18n import N_
from itworks.japanese import nfkc
from itworks.models import ReasonCode, Registrant, TierAssignment, User, utcnow
from itworks.services import audit
from itworks.services.errors import Conflict, InvalidInput
from itworks.services.intake import registrants
from itworks.vocabulary import TIER_LABELS, TIERS

CONFIRMING = ("coordinator", "import")
REASON_KIND = "tier_override"

MESSAGES = {
    "tier": N_("ティアを選んでください（move_now, few_years, region_undecided, one_option）"),
    "reason": N_("理由コードが正しくありません"),
    "confidence": N_("確信度は0〜1の数値です"),
    "persona": N_("ペルソナが見つかりません"),
    "method": N_("確認状態は model, confirmed のいずれかです"),
    "page": N_("ページ番号は1以上の整数です"),
    "erased": N_("削除済みの登録者のティアは変更できません"),
    "merged": N_("統合済みの登録者です。統合先で操作してください"),
}

_TIER_WORDS = {nfkc(label): code for code, label in TIER_LABELS.items()}


def parse_tier(value: object) -> str:
    """A tier from its code or its Japanese label (NFKC-folded); InvalidInput otherwise."""
    if isinstance(value, str):
        text = nfkc(value).strip()
        if text.lower() in TIERS:
            return text.lower()
        if text in _TIER_WORDS:
            return _TIER_WORDS[text]
    raise InvalidInput({"tier": MESSAGES["tier"]})


# ----------------------------------------------------------------- current tier


def current_tier_subquery(
    before: datetime | None = None,
    name: str = "current_tier",
    registrant_ids: list[int] | None = None,
) -> sa.Subquery:
    """registrant_id, tier, method, assigned_at: each registrant's current tier.

    The one definition of "current": the latest coordinator or import assignment,
    else the latest model proposal. Only assignments made before ``before`` count
    when it is given; only the ``registrant_ids`` when they are given.
    """
    rank = (
        sa.func.row_number()
        .over(
            partition_by=TierAssignment.registrant_id,
            order_by=(
                sa.case((TierAssignment.method == "model", 0), else_=1).desc(),
                TierAssignment.assigned_at.desc(),
                TierAssignment.id.desc(),
            ),
        )
        .label("rank")
    )
    query = sa.select(
        TierAssignment.registrant_id,
        TierAssignment.tier,
        TierAssignment.method,
        TierAssignment.assigned_at,
        rank,
    )
    if before is not None:
        query = query.where(TierAssignment.assigned_at < before)
    if registrant_ids is not None:
        query = query.where(TierAssignment.registrant_id.in_(registrant_ids))
    ranked = query.subquery()
    return (
        sa.select(ranked.c.registrant_id, ranked.c.tier, ranked.c.method, ranked.c.assigned_at)
        .where(ranked.c.rank == 1)
        .subquery(name)
    )


def latest_proposal_subquery() -> sa.Subquery:
    """registrant_id, tier, confidence, persona, run_id of each latest model proposal."""
    rank = (
        sa.func.row_number()
        .over(
            partition_by=TierAssignment.registrant_id,
            order_by=(TierAssignment.assigned_at.desc(), TierAssignment.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        sa.select(
            TierAssignment.registrant_id,
            TierAssignment.tier,
            TierAssignment.confidence,
            TierAssignment.persona,
            TierAssignment.run_id,
            rank,
        )
        .where(TierAssignment.method == "model")
        .subquery()
    )
    return (
        sa.select(
            ranked.c.registrant_id,
            ranked.c.tier,
            ranked.c.confidence,
            ranked.c.persona,
            ranked.c.run_id,
        )
        .where(ranked.c.rank == 1)
        .subquery("proposal")
    )


def current_tiers(
    session: Session,
    before: datetime | None = None,
    registrant_ids: list[int] | None = None,
) -> dict[int, tuple[str, str]]:
    """registrant id → (tier, method): a coordinator's word wins over the model's."""
    current = current_tier_subquery(before, registrant_ids=registrant_ids)
    query = sa.select(current.c.registrant_id, current.c.tier, current.c.method)
    return {r: (tier, method) for r, tier, method in session.execute(query)}


def current_tiers_of(session: Session, registrant_ids: list[int]) -> dict[int, tuple[str, str]]:
    """registrant id → (tier, method) for a few registrants."""
    return current_tiers(session, registrant_ids=registrant_ids)


# ----------------------------------------------------------------- confirmation


def reason_choices(session: Session) -> list[ReasonCode]:
    """The active reason codes a coordinator may give for a tier decision."""
    return list(
        session.scalars(
            sa.select(ReasonCode)
            .where(ReasonCode.kind == REASON_KIND, ReasonCode.active.is_(True))
            .order_by(ReasonCode.code)
        )
    )


def parse_reason(session: Session, value: object) -> str | None:
    """A tier-override reason from its code or its label; None when blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        text = nfkc(value).strip()
        for reason in reason_choices(session):
            if text in (reason.code, nfkc(reason.label_ja), reason.label_en):
                return reason.code
    raise InvalidInput({"reason": MESSAGES["reason"]})


def live_registrant(session: Session, public_id: str) -> Registrant:
    """The registrant whose tier or contacts may change (not merged, not erased)."""
    registrant = registrants.get(session, public_id)
    if registrant.merged_into_id is not None:
        raise Conflict(MESSAGES["merged"])
    if registrant.erased_at is not None:
        raise Conflict(MESSAGES["erased"])
    return registrant


def add_confirmation(
    session: Session,
    registrant: Registrant,
    tier: str,
    *,
    method: str,
    reason_code: str | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
    at: datetime | None = None,
) -> TierAssignment:
    """Add a coordinator or import assignment to the unit of work (audited; no commit)."""
    if method not in CONFIRMING:
        raise ValueError(f"not a confirming method: {method}")
    assignment = TierAssignment(
        registrant_id=registrant.id,
        tier=tier,
        method=method,
        assigned_at=at or utcnow(),
        assigned_by_id=actor.id if actor else None,
        reason_code=reason_code,
    )
    session.add(assignment)
    audit.record(
        session,
        "tier.assign",
        actor=actor,
        actor_label=actor_label,
        entity_type="registrant",
        entity_id=registrant.public_id,
        tier=tier,
        method=method,
        reason=reason_code,
    )
    return assignment


def confirm(
    session: Session,
    public_id: str,
    tier: object,
    *,
    actor: User,
    reason: object = None,
    at: datetime | None = None,
) -> TierAssignment:
    """A coordinator confirms the proposed tier or sets another one.

    The assignment (method ``coordinator``) is the current tier from now on,
    whatever later model runs propose, until a coordinator changes it.
    """
    errors: dict[str, str] = {}
    code = ""  # set below unless InvalidInput is raised
    reason_code: str | None = None
    try:
        code = parse_tier(tier)
    except InvalidInput as exc:
        errors.update(exc.errors)
    try:
        reason_code = parse_reason(session, reason)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)
    registrant = live_registrant(session, public_id)
    assignment = add_confirmation(
        session,
        registrant,
        code,
        method="coordinator",
        reason_code=reason_code,
        actor=actor,
        at=at,
    )
    session.commit()
    return assignment


# ----------------------------------------------------------------- the panel


@dataclass
class AssignmentView:
    tier: str
    method: str
    assigned_at: datetime
    assigned_by: str | None
    reason_code: str | None
    confidence: float | None
    persona: str | None
    explanation: list[dict[str, Any]]
    run_id: int | None


@dataclass
class TierPanel:
    """What the registrant page shows about tiers (no personal values)."""

    public_id: str
    editable: bool
    current: AssignmentView | None
    proposal: AssignmentView | None
    history: list[AssignmentView]
    reasons: list[ReasonCode]
    reason_labels: dict[str, tuple[str, str]]


HISTORY_LIMIT = 50


def panel(session: Session, registrant: Registrant) -> TierPanel:
    """The tier section of one registrant's page: current, proposal, history."""
    rows = session.execute(
        sa.select(TierAssignment, User.username)
        .outerjoin(User, User.id == TierAssignment.assigned_by_id)
        .where(TierAssignment.registrant_id == registrant.id)
        .order_by(TierAssignment.assigned_at.desc(), TierAssignment.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    history = [
        AssignmentView(
            tier=a.tier,
            method=a.method,
            assigned_at=a.assigned_at,
            assigned_by=username,
            reason_code=a.reason_code,
            confidence=a.confidence,
            persona=a.persona,
            explanation=list(a.explanation or []),
            run_id=a.run_id,
        )
        for a, username in rows
    ]
    confirmed = next((h for h in history if h.method in CONFIRMING), None)
    proposal = next((h for h in history if h.method == "model"), None)
    all_reasons = session.scalars(sa.select(ReasonCode).where(ReasonCode.kind == REASON_KIND))
    return TierPanel(
        public_id=registrant.public_id,
        editable=registrant.erased_at is None and registrant.merged_into_id is None,
        current=confirmed or proposal,
        proposal=proposal,
        history=history,
        reasons=reason_choices(session),
        reason_labels={r.code: (r.label_ja, r.label_en) for r in all_reasons},
    )
