"""Re-contact by tier: each tier has an interval (config ``RECONTACT_DAYS``);
a registrant's next contact is due that many days after their last contact
(the latest logged contact or career consultation; their registration when
there is none). Coordinators log contacts here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from itworks import csvio
from itworks.config import DEFAULTS
from itworks.crypto import Vault
from itworks.fiscal import JST
from itworks.i18n import N_, message_of
from itworks.models import Consultation, ContactLog, Registrant, User, utcnow
from itworks.models.base import UTCDateTime
from itworks.services import audit, paging
from itworks.services.errors import InvalidInput
from itworks.services.intake import registrants
from itworks.services.privacy import scope
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


# On an instance pinned to AS_OF_DATE, the pinned day's story runs until this
# time (Japan); what is recorded "now" after the day is stamped from here on.
PINNED_DAY_EVENING = time(23, 0)


def pinned_evening(day: date) -> datetime:
    """The evening of a pinned day: the latest moment its seeded story uses."""
    return datetime.combine(day, PINNED_DAY_EVENING, tzinfo=JST)


def service_now(setting: object = None, real: datetime | None = None) -> datetime:
    """Now, on the service's clock.

    Without AS_OF_DATE it is the real time. On an instance pinned to a day (the
    demo) and used after that day, it is the pinned day's evening, or the current
    time of day when that is later, so a record made now is never older than what
    the pinned day already holds, and it still falls on the day the due lists are
    reckoned on.
    """
    real = real or utcnow()
    if not setting:
        return real
    day = reference_date(setting)
    local = real.astimezone(JST)
    if local.date() <= day:
        return real
    at = max(local.time().replace(microsecond=0), PINNED_DAY_EVENING)
    return datetime.combine(day, at, tzinfo=JST)


def _jst_date(moment: datetime) -> date:
    if moment.tzinfo is None:  # SQLite loses the type through an aggregate
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(JST).date()


def _person() -> sa.ColumnElement[int]:
    """The person a fact belongs to: the survivor of a merge, else the registrant."""
    return sa.func.coalesce(Registrant.merged_into_id, Registrant.id)


def last_contact_subquery(
    *, before: datetime | None = None, people: list[int] | None = None
) -> sa.Subquery:
    """person, at: each person's latest logged contact or consultation, the contacts of
    the duplicates merged into them included (read through the (registrant, time)
    indexes)."""
    logs = sa.select(
        ContactLog.registrant_id.label("registrant_id"), ContactLog.contacted_at.label("at")
    )
    held = sa.select(Consultation.registrant_id, Consultation.held_at)
    if before is not None:
        logs = logs.where(ContactLog.contacted_at < before)
        held = held.where(Consultation.held_at < before)
    both = sa.union_all(logs, held).subquery()
    person = _person()
    query = (
        sa.select(person.label("person"), sa.func.max(both.c.at, type_=UTCDateTime()).label("at"))
        .select_from(both)
        .join(Registrant, Registrant.id == both.c.registrant_id)
        .group_by(person)
    )
    if people is not None:
        query = query.where(person.in_(people))
    return query.subquery("last_contact")


def last_contacts(
    session: Session, registrant_ids: list[int] | None = None, *, before: datetime | None = None
) -> dict[int, datetime]:
    """person id → their latest logged contact or career consultation (a merged
    duplicate's contacts count for the person it was merged into)."""
    last = last_contact_subquery(before=before, people=registrant_ids)
    return {person: at for person, at in session.execute(sa.select(last.c.person, last.c.at))}


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


def _next_contact(session: Session, since: sa.ColumnElement, days: sa.ColumnElement):  # noqa: ANN202
    """The day (Japan) ``days`` after the Japan date of ``since``, computed in SQL."""
    if session.get_bind().dialect.name == "sqlite":
        # stored as naive UTC text; Japan is UTC+9 all year
        return sa.func.date(since, "+9 hours", "+" + sa.cast(days, sa.String) + " days")
    local = sa.func.timezone("Asia/Tokyo", since)
    return sa.cast(local, sa.Date) + days


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _status_query(
    session: Session,
    days: Mapping[str, int],
    *,
    tier: str | None = None,
    before: datetime,
    people: list[int] | None = None,
) -> tuple[sa.Select, sa.ColumnElement]:
    """Every live, tiered person with their last contact and next due day, in SQL (the
    due day and the order are computed by the database, so a page reads one page)."""
    current = tiers.current_tier_subquery()
    last = last_contact_subquery(before=before, people=people)
    since = sa.func.coalesce(last.c.at, Registrant.registered_at, type_=UTCDateTime())
    interval = sa.case(*[(current.c.tier == t, n) for t, n in days.items()], else_=None)
    next_contact = _next_contact(session, since, interval).label("next_contact")
    query = (
        sa.select(
            Registrant.id,
            Registrant.public_id,
            Registrant.registered_at,
            current.c.tier,
            current.c.method,
            last.c.at,
            next_contact,
        )
        .join(current, current.c.registrant_id == Registrant.id)
        .outerjoin(last, last.c.person == Registrant.id)
        .where(scope.in_use())
    )
    if tier:
        query = query.where(current.c.tier == tier)
    if people is not None:
        query = query.where(Registrant.id.in_(people))
    return query, next_contact


def _from_row(row: sa.Row, today: date) -> ContactStatus:
    registrant_id, public_id, registered_at, tier, method, last, next_contact = row
    next_day = _as_date(next_contact)
    return ContactStatus(
        registrant_id=registrant_id,
        public_id=public_id,
        tier=tier,
        method=method,
        last_contact=_jst_date(last if last is not None else registered_at),
        contacted=last is not None,
        next_contact=next_day,
        days_overdue=(today - next_day).days,
    )


def _today_param(session: Session, today: date) -> object:
    return today.isoformat() if session.get_bind().dialect.name == "sqlite" else today


def statuses(
    session: Session, days: Mapping[str, int], today: date, *, tier: str | None = None
) -> list[ContactStatus]:
    """Every live, tiered person's contact status, most overdue first."""
    query, next_contact = _status_query(session, days, tier=tier, before=end_of(today))
    rows = session.execute(query.order_by(next_contact, Registrant.public_id))
    return [_from_row(row, today) for row in rows]


def _due_query(
    session: Session, days: Mapping[str, int], today: date, *, tier: str | None
) -> tuple[sa.Select, sa.ColumnElement]:
    query, next_contact = _status_query(session, days, tier=tier, before=end_of(today))
    return query.where(next_contact <= _today_param(session, today)), next_contact


def due(
    session: Session, days: Mapping[str, int], today: date, *, tier: str | None = None
) -> list[ContactStatus]:
    """Who is due for contact on ``today`` (next contact on or before it), most overdue
    first; filtered and ordered in SQL."""
    query, next_contact = _due_query(session, days, today, tier=tier)
    rows = session.execute(query.order_by(next_contact, Registrant.public_id))
    return [_from_row(row, today) for row in rows]


def status_of(
    session: Session, registrant: Registrant, days: Mapping[str, int], today: date
) -> ContactStatus | None:
    """One registrant's contact status, or None while they have no tier (or are not
    in use: merged, erased, stopped)."""
    query, _ = _status_query(session, days, before=end_of(today), people=[registrant.id])
    row = session.execute(query).first()
    return None if row is None else _from_row(row, today)


def end_of(day: date) -> datetime:
    """The first instant after ``day`` in Japan."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=JST)


@dataclass
class DueRow:
    status: ContactStatus
    name: str | None
    name_kana: str | None
    unreadable: bool


DuePage = paging.Page[DueRow]


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
    """One page of the due list, most overdue first, names decrypted (audited). The
    database counts, orders and pages; only the page's people are read and decrypted."""
    query, next_contact = _due_query(session, days, today, tier=tier)
    found, total, page = paging.fetch(
        session, query.order_by(next_contact, Registrant.public_id), page, page_size
    )
    shown = [_from_row(row, today) for row in found]
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
    return DuePage(rows=rows, total=total, page=page, page_size=page_size)


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
