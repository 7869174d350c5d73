"""Retention: what the configured periods say must go, and ``purge`` to apply it.

Rules (settings, see config.example.toml):

* ``RETENTION_INACTIVE_YEARS`` — a registrant (with the duplicates merged into
  them) whose last activity is older is erased by crypto-shredding (erasure.py);
* third-party provision records are deleted after their ``keep_until`` day
  (``PROVISION_RETENTION_YEARS`` after the provision, set when recorded);
* ``RETENTION_OUTBOX_BODY_DAYS`` — a sent message older than this loses its body
  (parameters and .eml file; the row stays for the lists).

``purge`` is safe from cron: a lock file makes a second run refuse while one is
working, each registrant is erased in its own transaction, and everything it does
is idempotent (a run killed midway is finished by the next one).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.config import DEFAULTS
from itworks.database import begin_write
from itworks.fiscal import JST
from itworks.i18n import N_
from itworks.models import (
    Consultation,
    ContactLog,
    EventSignup,
    Hire,
    Introduction,
    Invitation,
    OutboxMessage,
    Registrant,
    SurveyResponse,
    ThirdPartyProvision,
    UtmTouch,
    utcnow,
)
from itworks.services import audit
from itworks.services.engagement.mail import EmlTransport
from itworks.services.errors import Conflict
from itworks.services.privacy import erasure

log = logging.getLogger("itworks.privacy")
LOCK_FILE = "privacy-purge.lock"

# (table column holding the registrant, activity time) for "last activity".
ACTIVITY = (
    (Registrant.id, Registrant.registered_at),
    (UtmTouch.registrant_id, UtmTouch.at),
    (SurveyResponse.registrant_id, SurveyResponse.submitted_at),
    (Consultation.registrant_id, Consultation.held_at),
    (ContactLog.registrant_id, ContactLog.contacted_at),
    (EventSignup.registrant_id, EventSignup.signed_up_at),
    (EventSignup.registrant_id, EventSignup.attended_at),
    (Invitation.registrant_id, Invitation.answered_at),
    (Introduction.registrant_id, Introduction.introduced_at),
    (Introduction.registrant_id, Introduction.stage_changed_at),
    (Hire.registrant_id, Hire.hired_at),
)


@dataclass(frozen=True)
class Rules:
    inactive_years: int = DEFAULTS["RETENTION_INACTIVE_YEARS"]
    outbox_body_days: int = DEFAULTS["RETENTION_OUTBOX_BODY_DAYS"]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Rules:
        return cls(
            inactive_years=int(config.get("RETENTION_INACTIVE_YEARS", cls.inactive_years)),
            outbox_body_days=int(config.get("RETENTION_OUTBOX_BODY_DAYS", cls.outbox_body_days)),
        )


@dataclass(frozen=True)
class Item:
    kind: str  # "registrant", "provision" or "outbox_body"
    id: str  # a public id
    since: str  # the date the rule reckons from (last activity, keep-until, sent)


@dataclass
class PurgeResult:
    dry_run: bool
    items: list[Item] = field(default_factory=list)
    done: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "items": [asdict(item) for item in self.items],
            "done": dict(self.done),
            "failed": list(self.failed),
        }


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=JST)


def last_activity(session: Session) -> dict[int, datetime]:
    """Person row id (merged duplicates folded in) → the time of their last activity."""
    parts = [
        sa.select(column.label("rid"), at.label("at")).where(at.is_not(None))
        for column, at in ACTIVITY
    ]
    union = sa.union_all(*parts).subquery()
    # rid is a registrant id (never NULL); at is a datetime, or text on SQLite (below).
    latest: dict[int, Any] = dict(
        session.execute(sa.select(union.c.rid, sa.func.max(union.c.at)).group_by(union.c.rid)).all()
    )
    # merged_into_id is never None here: the query keeps only merged rows.
    roots = cast(
        dict[int, int],
        dict(
            session.execute(
                sa.select(Registrant.id, Registrant.merged_into_id).where(
                    Registrant.merged_into_id.is_not(None)
                )
            ).all()
        ),
    )
    out: dict[int, datetime] = {}
    for rid, at in latest.items():
        if at is None:
            continue
        if isinstance(at, str):  # SQLite hands a bare max() back as text
            at = datetime.fromisoformat(at)
        if at.tzinfo is None:  # stored in UTC (models.base.UTCDateTime)
            at = at.replace(tzinfo=UTC)
        root = roots.get(rid, rid)
        if root not in out or at > out[root]:
            out[root] = at
    return out


def _eml_has_body(outbox_dir: Path | None, message_id: str) -> bool:
    if outbox_dir is None:
        return False
    path = EmlTransport(outbox_dir).path(message_id)
    if not path.exists():
        return False
    with open(path, "rb") as handle:  # noqa: PTH123
        return b"X-ITWORKS-Erased:" not in handle.read(512)


def plan(
    session: Session, rules: Rules, *, now: datetime, outbox_dir: Path | None = None
) -> list[Item]:
    """What the rules say must go at ``now`` (nothing is changed)."""
    today = now.astimezone(JST).date()
    items: list[Item] = []
    if rules.inactive_years > 0:
        cutoff = _start_of(_years_before(today, rules.inactive_years))
        candidates = dict(
            session.execute(
                sa.select(Registrant.id, Registrant.public_id).where(
                    Registrant.merged_into_id.is_(None), Registrant.erased_at.is_(None)
                )
            ).all()
        )
        for rid, at in sorted(last_activity(session).items()):
            if rid in candidates and at < cutoff:
                since = at.astimezone(JST).date().isoformat()
                items.append(Item("registrant", candidates[rid], since))
    for public_id, keep_until in session.execute(
        sa.select(ThirdPartyProvision.public_id, ThirdPartyProvision.keep_until)
        .where(ThirdPartyProvision.keep_until < today)
        .order_by(ThirdPartyProvision.keep_until, ThirdPartyProvision.id)
    ):
        items.append(Item("provision", public_id, keep_until.isoformat()))
    if rules.outbox_body_days > 0:
        cutoff = now - timedelta(days=rules.outbox_body_days)
        for message in session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.status == "sent", OutboxMessage.sent_at < cutoff)
            .order_by(OutboxMessage.sent_at, OutboxMessage.id)
        ):
            if message.params or _eml_has_body(outbox_dir, message.message_id):
                # sent_at is set: the query keeps sent messages before the cutoff.
                sent_at = cast(datetime, message.sent_at)
                items.append(Item("outbox_body", message.public_id, sent_at.date().isoformat()))
    return items


@contextlib.contextmanager
def purge_lock(instance: Path) -> Iterator[None]:
    """Hold the purge lock file, or refuse at once when another purge holds it."""
    instance.mkdir(parents=True, exist_ok=True)
    fd = os.open(instance / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PurgeRunning(N_("別の削除処理（purge）が実行中です")) from None
        yield
    finally:
        os.close(fd)


class PurgeRunning(Conflict):
    """Another purge holds the lock."""


def purge(
    session: Session,
    rules: Rules,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    outbox_dir: Path | None = None,
    actor_label: str = "retention",
) -> PurgeResult:
    """List (``dry_run``) or apply what the retention rules say must go at ``now``."""
    now = now or utcnow()
    items = plan(session, rules, now=now, outbox_dir=outbox_dir)
    session.commit()
    result = PurgeResult(dry_run=dry_run, items=items)
    if dry_run:
        return result
    done: dict[str, Any] = {"registrant": 0, "provision": 0, "outbox_body": 0}
    for item in items:
        try:
            begin_write(session)
            if item.kind == "registrant":
                person = session.scalar(
                    sa.select(Registrant).where(Registrant.public_id == item.id)
                )
                if person is None or person.erased_at is not None:
                    session.rollback()
                    continue
                shredded = erasure.shred_person(session, person, now, outbox_dir)
                audit.record(
                    session,
                    "registrant.erase",
                    actor_label=actor_label,
                    entity_type="registrant",
                    entity_id=item.id,
                    reason="retention",
                    rows=len(shredded.erased),
                    records=shredded.records,
                )
            elif item.kind == "provision":
                provision = session.scalar(
                    sa.select(ThirdPartyProvision).where(ThirdPartyProvision.public_id == item.id)
                )
                if provision is None:
                    session.rollback()
                    continue
                session.execute(
                    sa.update(Introduction)
                    .where(Introduction.provision_id == provision.id)
                    .values(provision_id=None)
                )
                session.delete(provision)
                audit.record(
                    session,
                    "provision.delete",
                    actor_label=actor_label,
                    entity_type="provision",
                    entity_id=item.id,
                    reason="retention",
                )
            else:
                message = session.scalar(
                    sa.select(OutboxMessage).where(OutboxMessage.public_id == item.id)
                )
                if message is None:
                    session.rollback()
                    continue
                message.params = {}
                erasure.stub_eml(outbox_dir, message.message_id, now)
            session.commit()
            done[item.kind] += 1
        except Exception:  # noqa: BLE001  (one bad item must not stop the run)
            session.rollback()
            log.exception("purge of %s %s failed", item.kind, item.id)
            result.failed.append(item.id)
    if any(done.values()):
        begin_write(session)
        audit.record(session, "privacy.purge", actor_label=actor_label, **done)
        session.commit()
        erasure.checkpoint(session)
    result.done = done
    return result
