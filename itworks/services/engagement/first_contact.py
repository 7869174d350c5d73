"""The first-contact service level: a new registrant is contacted within
``FIRST_CONTACT_BUSINESS_DAYS`` business days of registering.

Business days exclude Saturdays, Sundays and Japanese public holidays (the
``holidays`` package, ``holidays.Japan``, substitute holidays included). Days
are reckoned in Japan time. A registrant registered on day D with a level of N
is due by the end of the N-th business day after D; registering on a holiday
counts from the next business day the same way. The first contact is the
earliest consultation or logged contact of any kind, the duplicates merged into
a person included.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

import holidays
import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.fiscal import JST
from itworks.models import Consultation, ContactLog, Registrant
from itworks.services.privacy import scope


@cache
def _japan(year: int) -> holidays.HolidayBase:
    return holidays.Japan(years=year)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _japan(day.year)


def add_business_days(start: date, days: int) -> date:
    """The ``days``-th business day after ``start``."""
    current = start
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if is_business_day(current):
            counted += 1
    return current


def business_days_between(start: date, end: date) -> int:
    """Business days after ``start`` up to and including ``end`` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_business_day(current):
            count += 1
    return count


def _jst_date(moment: datetime) -> date:
    if moment.tzinfo is None:  # SQLite loses the type through an aggregate
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(JST).date()


def first_contacts(session: Session) -> dict[int, datetime]:
    """Person id (the survivor of a merge) → their earliest consultation or contact."""
    person = sa.func.coalesce(Registrant.merged_into_id, Registrant.id)
    logs = sa.select(person.label("person"), ContactLog.contacted_at.label("at")).join(
        Registrant, Registrant.id == ContactLog.registrant_id
    )
    held = sa.select(person.label("person"), Consultation.held_at.label("at")).join(
        Registrant, Registrant.id == Consultation.registrant_id
    )
    both = sa.union_all(logs, held).subquery()
    query = sa.select(both.c.person, sa.func.min(both.c.at)).group_by(both.c.person)
    return {int(p): at for p, at in session.execute(query)}


@dataclass(frozen=True)
class FirstContact:
    public_id: str
    registered_on: date
    due_on: date
    contacted_on: date | None
    business_days: int | None  # registration to first contact, None when not yet

    def overdue(self, today: date) -> bool:
        return self.contacted_on is None and today > self.due_on

    def days_overdue(self, today: date) -> int:
        return business_days_between(self.due_on, today) if self.overdue(today) else 0

    def as_dict(self, today: date) -> dict[str, object]:
        return {
            "public_id": self.public_id,
            "registered_on": self.registered_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "business_days_overdue": self.days_overdue(today),
        }


def statuses(
    session: Session,
    level_days: int,
    *,
    registered_from: date | None = None,
    registered_before: date | None = None,
    in_use_only: bool = False,
) -> list[FirstContact]:
    """The first-contact status of every person (not merged, not erased); with
    ``in_use_only``, of those still in use (people who stopped use are not contacted)."""
    query = sa.select(Registrant.id, Registrant.public_id, Registrant.registered_at).where(
        scope.in_use()
        if in_use_only
        else sa.and_(Registrant.merged_into_id.is_(None), Registrant.erased_at.is_(None))
    )
    if registered_from is not None:
        start = datetime.combine(registered_from, datetime.min.time(), JST)
        query = query.where(Registrant.registered_at >= start)
    if registered_before is not None:
        stop = datetime.combine(registered_before, datetime.min.time(), JST)
        query = query.where(Registrant.registered_at < stop)
    firsts = first_contacts(session)
    out = []
    for registrant_id, public_id, registered_at in session.execute(query.order_by(Registrant.id)):
        registered_on = _jst_date(registered_at)
        first = firsts.get(registrant_id)
        contacted_on = _jst_date(first) if first is not None else None
        out.append(
            FirstContact(
                public_id=public_id,
                registered_on=registered_on,
                due_on=add_business_days(registered_on, level_days),
                contacted_on=contacted_on,
                business_days=business_days_between(registered_on, contacted_on)
                if contacted_on is not None
                else None,
            )
        )
    return out


def overdue(session: Session, level_days: int, today: date) -> list[FirstContact]:
    """People still waiting for a first contact past their due date, longest-waiting first."""
    late = [s for s in statuses(session, level_days, in_use_only=True) if s.overdue(today)]
    return sorted(late, key=lambda s: (s.due_on, s.public_id))


@dataclass(frozen=True)
class MonthFirstContact:
    month: str  # "2022-04", the month of registration (Japan time)
    registered: int
    contacted: int
    within_level: int
    median_business_days: float | None


def median_by_month(
    session: Session, level_days: int, start: date, stop: date
) -> list[MonthFirstContact]:
    """Per month of registration in [start, stop): how many were contacted, how many
    within the level, and the median business days to the first contact."""
    by_month: dict[str, list[FirstContact]] = {}
    month = date(start.year, start.month, 1)
    while month < stop:
        by_month[month.strftime("%Y-%m")] = []
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    for status in statuses(session, level_days, registered_from=start, registered_before=stop):
        by_month.setdefault(status.registered_on.strftime("%Y-%m"), []).append(status)
    out = []
    for key, rows in by_month.items():
        days = [s.business_days for s in rows if s.business_days is not None]
        out.append(
            MonthFirstContact(
                month=key,
                registered=len(rows),
                contacted=len(days),
                within_level=sum(1 for d in days if d <= level_days),
                median_business_days=float(statistics.median(days)) if days else None,
            )
        )
    return out
