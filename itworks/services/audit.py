"""The audit trail. Details name records by public id and never carry personal values.

Entries are hash-chained when they are flushed (see ``itworks.models.audit``):
``verify`` walks the chain and names every entry that was edited, removed or
put out of order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.i18n import N_
from itworks.models import AuditEvent, User
from itworks.models.audit import GENESIS_HASH, AuditChainHead, entry_hash
from itworks.services import paging
from itworks.services.errors import InvalidInput
from itworks.vocabulary import AUDIT_OUTCOMES


def record(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    outcome: str = "ok",
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the current unit of work (the caller commits)."""
    if outcome not in AUDIT_OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    event = AuditEvent(
        user_id=actor.id if actor else None,
        actor=actor.username if actor else (actor_label or "system"),
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        outcome=outcome,
        detail=detail,
    )
    session.add(event)
    return event


def record_refusal(
    session: Session, *, user_id: int | None, username: str | None, endpoint: str | None
) -> None:
    """A refused authorisation (HTTP 403), committed at once: the request ends here."""
    try:
        session.rollback()
        session.add(
            AuditEvent(
                user_id=user_id,
                actor=username or "anonymous",
                action="access.refused",
                entity_type="endpoint",
                entity_id=(endpoint or "")[:64] or None,
                outcome="refused",
                detail={},
            )
        )
        session.commit()
    except sa.exc.SQLAlchemyError:
        session.rollback()
        raise


def record_download(
    session: Session, *, user: User | None, endpoint: str | None, filename: str | None
) -> None:
    """A file handed to a browser (CSV, workbook, export), committed at once."""
    if session.in_transaction() and (session.new or session.dirty or session.deleted):
        session.flush()
    record(
        session,
        "download",
        actor=user,
        actor_label=None if user else "anonymous",
        entity_type="endpoint",
        entity_id=(endpoint or "")[:64] or None,
        filename=(filename or "")[:120],
    )
    session.commit()


# --------------------------------------------------------------------------- verification


@dataclass
class ChainProblem:
    seq: int | None
    event_id: int | None
    kind: str  # edited / missing / out_of_order / truncated / head
    message: str


@dataclass
class ChainReport:
    entries: int
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, batch: int = 5000) -> ChainReport:
    """Recompute every entry's hash in chain order; report each break and where."""
    problems: list[ChainProblem] = []
    expected_seq, prev_hash, count, last = 1, GENESIS_HASH, 0, 0
    after = 0
    while True:
        rows = session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.seq > after)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        for event in rows:
            count += 1
            if event.seq != expected_seq:
                missing = f"{expected_seq}" + (
                    f"–{event.seq - 1}" if event.seq - 1 > expected_seq else ""
                )
                problems.append(
                    ChainProblem(
                        expected_seq,
                        None,
                        "missing",
                        f"entry seq {missing} is missing (deleted) before seq {event.seq}",
                    )
                )
            elif event.prev_hash != prev_hash:
                problems.append(
                    ChainProblem(
                        event.seq,
                        event.id,
                        "link",
                        f"entry seq {event.seq} (id {event.id}) does not link to the entry "
                        "before it (that entry or this one was changed)",
                    )
                )
            if entry_hash(event.chain_fields(), event.prev_hash) != event.hash:
                problems.append(
                    ChainProblem(
                        event.seq,
                        event.id,
                        "edited",
                        f"entry seq {event.seq} (id {event.id}) was edited: its content "
                        "no longer matches its hash",
                    )
                )
            prev_hash, expected_seq, last = event.hash, event.seq + 1, event.seq
            after = event.seq
        session.expunge_all()
    head = session.get(AuditChainHead, 1)
    if head is not None and (head.seq != last or (last and head.hash != prev_hash)):
        problems.append(
            ChainProblem(
                last + 1 if head.seq > last else head.seq,
                None,
                "truncated",
                f"the chain head names entry seq {head.seq} but the last entry is seq {last}: "
                "entries at the end were deleted or the head was changed",
            )
        )
    return ChainReport(entries=count, problems=problems)


# --------------------------------------------------------------------------- browsing


@dataclass
class AuditFilter:
    action: str | None = None
    actor: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


AuditPage = paging.Page[AuditEvent]


def _where(flt: AuditFilter) -> list[Any]:
    if flt.since and flt.until and flt.since >= flt.until:
        raise InvalidInput({"until": N_("終了日は開始日以降にしてください")})
    if flt.outcome and flt.outcome not in AUDIT_OUTCOMES:
        raise InvalidInput({"outcome": N_("結果の値が正しくありません")})
    clauses: list[Any] = []
    if flt.action:
        clauses.append(
            AuditEvent.action.startswith(flt.action[:-1], autoescape=True)
            if flt.action.endswith("*")
            else AuditEvent.action == flt.action
        )
    if flt.actor:
        clauses.append(AuditEvent.actor == flt.actor)
    if flt.entity_type:
        clauses.append(AuditEvent.entity_type == flt.entity_type)
    if flt.entity_id:
        clauses.append(AuditEvent.entity_id == flt.entity_id)
    if flt.outcome:
        clauses.append(AuditEvent.outcome == flt.outcome)
    if flt.since:
        clauses.append(AuditEvent.at >= flt.since)
    if flt.until:
        clauses.append(AuditEvent.at < flt.until)
    return clauses


def browse(session: Session, flt: AuditFilter, *, page: int = 1, page_size: int = 50) -> AuditPage:
    """One page of the trail, newest first, filtered."""
    clauses = _where(flt)
    found, total, page = paging.fetch(
        session,
        sa.select(AuditEvent).where(*clauses).order_by(AuditEvent.seq.desc()),
        page,
        page_size,
    )
    return AuditPage([row[0] for row in found], total, page, page_size)


def actions(session: Session) -> list[str]:
    """Every action that occurs in the trail, for the filter's choices."""
    return list(
        session.scalars(sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    )
