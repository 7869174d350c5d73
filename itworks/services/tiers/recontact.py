"""Re-contact by tier: each tier has an interval (config ``RECONTACT_DAYS``);
a registrant's next contact is due that many days after their last contact
(the latest logged contact or career consultation; their registration when
there is none). Coordinators log contacts here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from itworks import csvio
from itworks.config import DEFAULTS
from itworks.crypto import Vault
from itworks.fiscal import JST
from itworks.i18n import N_, message_of
from itworks.models import Consultation, ContactLog, Registrant, User, utcnow
from itworks.services import audit
from itworks.services.errors import InvalidInput
from itworks.services.intake import registrants
from itworks.services.tiers import tiers
from itworks.vocabulary import CONTACT_CHANNELS, TIERS

CHANNELS = CONTACT_CHANNELS
MESSAGES = {
    "channel": N_("連絡方法を選んでください"),
    "future": N_("未来の日時は記録できません"),
    "date": N_("日付は 2022-04-01 の形で入力してください"),
    "intervals": N_("RECONTACT_DAYS は各ティアの日数（1以上の整数）です"),
}


def intervals(setting: Mapping[str, object]) -> dict[str, int]:
    """Days between contacts per tier (a tier left out keeps its default), checked."""
    if not isinstance(setting, Mapping):
        raise InvalidInput({"RECONTACT_DAYS": MESSAGES["intervals"]})
    out = {}
    for tier in TIERS:
        value = setting.get(tier, DEFAULTS["RECONTACT_DAYS"][tier])
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidInput({"RECONTACT_DAYS": MESSAGES["intervals"]})
        out[tier] = value
    return out


def reference_date(setting: object = None) -> date:
    """The day due dates are reckoned on: the AS_OF_DATE setting, or today in Japan."""
    if isinstance(setting, date):
        return setting
    if setting:
        try:
            return date.fromisoformat(str(setting))
        except ValueError:
            raise InvalidInput({"AS_OF_DATE": MESSAGES["date"]}) from None
    return utcnow().astimezone(JST).date()


def _jst_date(moment: datetime) -> date:
    if moment.tzinfo is None:  # SQLite loses the type through an aggregate
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(JST).date()


def last_contacts(
    session: Session, registrant_ids: list[int] | None = None, *, before: datetime | None = None
) -> dict[int, datetime]:
    """registrant id → the latest logged contact or career consultation."""
    logs = sa.select(
        ContactLog.registrant_id.label("registrant_id"), ContactLog.contacted_at.label("at")
    )
    held = sa.select(Consultation.registrant_id, Consultation.held_at)
    if before is not None:
        logs = logs.where(ContactLog.contacted_at < before)
        held = held.where(Consultation.held_at < before)
    if registrant_ids is not None:
        logs = logs.where(ContactLog.registrant_id.in_(registrant_ids))
        held = held.where(Consultation.registrant_id.in_(registrant_ids))
    both = sa.union_all(logs, held).subquery()
    query = sa.select(both.c.registrant_id, sa.func.max(both.c.at)).group_by(both.c.registrant_id)
    return {r: at for r, at in session.execute(query)}


@dataclass
class ContactStatus:
    """When a registrant was last contacted and when they are next due."""

    registrant_id: int
    public_id: str
    tier: str
    method: str
    last_contact: date
    contacted: bool  # False: the date is the registration
    next_contact: date
    days_overdue: int

    @property
    def due(self) -> bool:
        return self.days_overdue >= 0

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        del out["registrant_id"]
        out["last_contact"] = self.last_contact.isoformat()
        out["next_contact"] = self.next_contact.isoformat()
        return out


def _status(
    registrant: tuple[int, str, datetime],
    tier: str,
    method: str,
    last: datetime | None,
    days: Mapping[str, int],
    today: date,
) -> ContactStatus:
    registrant_id, public_id, registered_at = registrant
    since = _jst_date(last if last is not None else registered_at)
    next_contact = since + timedelta(days=days[tier])
    return ContactStatus(
        registrant_id=registrant_id,
        public_id=public_id,
        tier=tier,
        method=method,
        last_contact=since,
        contacted=last is not None,
        next_contact=next_contact,
        days_overdue=(today - next_contact).days,
    )


def end_of(day: date) -> datetime:
    """The first instant after ``day`` in Japan."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=JST)


def statuses(
    session: Session, days: Mapping[str, int], today: date, *, tier: str | None = None
) -> list[ContactStatus]:
    """Every live, tiered registrant's contact status, most overdue first."""
    current = tiers.current_tier_subquery()
    query = (
        sa.select(
            Registrant.id,
            Registrant.public_id,
            Registrant.registered_at,
            current.c.tier,
            current.c.method,
        )
        .join(current, current.c.registrant_id == Registrant.id)
        .where(Registrant.merged_into_id.is_(None), Registrant.erased_at.is_(None))
    )
    if tier:
        query = query.where(current.c.tier == tier)
    people = session.execute(query).all()
    last = last_contacts(session, before=end_of(today))
    out = [
        _status((rid, pid, reg), t, m, last.get(rid), days, today) for rid, pid, reg, t, m in people
    ]
    out.sort(key=lambda s: (-s.days_overdue, s.public_id))
    return out


def due(
    session: Session, days: Mapping[str, int], today: date, *, tier: str | None = None
) -> list[ContactStatus]:
    """Who is due for contact on ``today`` (next contact on or before it)."""
    return [s for s in statuses(session, days, today, tier=tier) if s.due]


def status_of(
    session: Session, registrant: Registrant, days: Mapping[str, int], today: date
) -> ContactStatus | None:
    """One registrant's contact status, or None while they have no tier."""
    current = tiers.current_tiers_of(session, [registrant.id]).get(registrant.id)
    if current is None:
        return None
    last = last_contacts(session, [registrant.id], before=end_of(today)).get(registrant.id)
    row = (registrant.id, registrant.public_id, registrant.registered_at)
    return _status(row, current[0], current[1], last, days, today)


@dataclass
class DueRow:
    status: ContactStatus
    name: str | None
    name_kana: str | None
    unreadable: bool


@dataclass
class DuePage:
    rows: list[DueRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def due_page(
    session: Session,
    vault: Vault,
    days: Mapping[str, int],
    today: date,
    *,
    actor: User,
    tier: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> DuePage:
    """One page of the due list, most overdue first, names decrypted (audited)."""
    everyone = due(session, days, today, tier=tier)
    shown = everyone[(page - 1) * page_size : page * page_size]
    people = {
        r.id: r
        for r in session.scalars(
            sa.select(Registrant)
            .options(selectinload(Registrant.data_key))
            .where(Registrant.id.in_([s.registrant_id for s in shown]))
        )
    }
    rows = []
    for status in shown:
        personal, unreadable = registrants.decrypt_fields(
            vault, people[status.registrant_id], ("name", "name_kana")
        )
        rows.append(DueRow(status, personal["name"], personal["name_kana"], bool(unreadable)))
    audit.record(
        session,
        "tier.recontact_list",
        actor=actor,
        entity_type="registrant",
        tier=tier,
        page=page,
        shown=len(rows),
    )
    session.commit()
    return DuePage(rows=rows, total=len(everyone), page=page, page_size=page_size)


@dataclass
class ContactView:
    contacted_at: datetime
    channel: str
    coordinator: str | None


def contacts(session: Session, registrant: Registrant, limit: int = 20) -> list[ContactView]:
    """The latest logged contacts of one registrant, newest first."""
    rows = session.execute(
        sa.select(ContactLog.contacted_at, ContactLog.channel, User.username)
        .outerjoin(User, User.id == ContactLog.coordinator_id)
        .where(ContactLog.registrant_id == registrant.id)
        .order_by(ContactLog.contacted_at.desc(), ContactLog.id.desc())
        .limit(limit)
    ).all()
    return [ContactView(at, channel, username) for at, channel, username in rows]


def log_contact(
    session: Session,
    public_id: str,
    channel: object,
    *,
    actor: User,
    contacted_at: object = None,
    now: datetime | None = None,
) -> ContactLog:
    """Record that a coordinator contacted a registrant (now, or at a given time)."""
    now = now or utcnow()
    errors: dict[str, str] = {}
    if channel not in CHANNELS:
        errors["channel"] = MESSAGES["channel"]
    at = now
    if isinstance(contacted_at, datetime):
        at = contacted_at
    elif isinstance(contacted_at, str) and contacted_at.strip():
        try:
            at = csvio.parse_datetime(contacted_at)
        except ValueError as exc:
            errors["contacted_at"] = message_of(exc)
    if at.year < 2000:
        errors["contacted_at"] = N_("2000年以降の日時を入力してください")
    elif at > now + timedelta(minutes=5):
        errors["contacted_at"] = MESSAGES["future"]
    if errors:
        raise InvalidInput(errors)
    registrant = tiers.live_registrant(session, public_id)
    log = ContactLog(
        registrant_id=registrant.id, contacted_at=at, channel=channel, coordinator_id=actor.id
    )
    session.add(log)
    audit.record(
        session,
        "contact.log",
        actor=actor,
        entity_type="registrant",
        entity_id=registrant.public_id,
        channel=channel,
    )
    session.commit()
    return log


@dataclass
class ContactPanel(tiers.TierPanel):
    """The tier section of a registrant's page with its re-contact status."""

    contact: ContactStatus | None = None
    contacts: list[ContactView] = field(default_factory=list)


def panel(
    session: Session, registrant: Registrant, days: Mapping[str, int], today: date
) -> ContactPanel:
    """The tier section (see ``tiers.panel``), with when to contact next and the
    latest contacts. It is built here, above both, so ``tiers`` does not import
    re-contact."""
    base = tiers.panel(session, registrant)
    return ContactPanel(
        **vars(base),
        contact=status_of(session, registrant, days, today),
        contacts=contacts(session, registrant),
    )


def due_on(
    session: Session,
    recontact_days: Mapping[str, object],
    on: object = None,
    *,
    tier: str | None = None,
) -> tuple[date, list[ContactStatus]]:
    """Who is due on ``on`` (a date, ISO text, or None for today in Japan) under
    the RECONTACT_DAYS setting: the day reckoned on, and the list."""
    today = reference_date(on)
    return today, due(session, intervals(recontact_days), today, tier=tier)
