"""The SQL that counts the four measures month by month (and fair attendance).

Shaped for speed with 100,000 registrants: every count is an aggregate that an index
can answer (range counts on covering indexes, per-registrant minimums read in index
order), and the merge of duplicates is applied as a small correction. Most people were
never merged, so facts are first counted by ``registrant_id`` in SQL; then the facts of
the few rows that took part in a merge (a duplicate or the row it was merged into, a
few per cent of the people) are read and their registrant-level count is replaced by
the person-level one. The result is exactly what grouping every fact by person would
give, without a join over every registrant.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute, Session

from itworks.fiscal import Period
from itworks.models import Consultation, Event, EventSignup, Hire, Registrant
from itworks.services.kpi import measures

# A column argument: a Core expression or a mapped attribute such as Registrant.registered_at.
ColumnArg = sa.ColumnElement[Any] | QueryableAttribute[Any]


def _unindexed(session: Session, column: ColumnArg) -> ColumnArg:
    """``column`` for a range filter that must not pick the column's own index.

    SQLite's planner prefers the single-column held_at index and then sorts every
    consultation by registrant; with a unary plus on the column (SQLite's documented
    way to turn an index off for one term) it reads the covering index
    ix_consultations_funnel in registrant order instead. Other engines plan well.
    """
    if session.get_bind().dialect.name != "sqlite":
        return column
    return sa.literal_column(f"+{column.table.name}.{column.name}", type_=column.type)


def person_key() -> sa.ColumnElement[int]:
    """The registrant a fact counts for: the survivor of a merge, else the row itself."""
    return sa.func.coalesce(Registrant.merged_into_id, Registrant.id)


def month_bucket(column: ColumnArg, period: Period) -> sa.ColumnElement[int]:
    """0 for April … 11 for March (Japan time), computed in SQL on any engine.

    Times before the year fall in April and after it in March.
    """
    bounds = period.month_starts_utc[1:12]
    return sa.case(*[(column < b, i) for i, b in enumerate(bounds)], else_=11)


@dataclass(frozen=True)
class Merges:
    """Registrant id → person id for every row that took part in a merge (the
    duplicates and the rows they were merged into); empty when there are none."""

    person: dict[int, int]

    def __bool__(self) -> bool:
        return bool(self.person)


def load_merges(session: Session) -> Merges:
    """The merge pairs: one small query (only merged rows), read once per request."""
    # merged_into_id is never None here: the query keeps only merged rows.
    pairs = cast(
        Sequence[tuple[int, int]],
        session.execute(
            sa.select(Registrant.id, Registrant.merged_into_id).where(
                Registrant.merged_into_id.is_not(None)
            )
        ).all(),
    )
    person = {int(survivor): int(survivor) for _, survivor in pairs}
    person.update({int(duplicate): int(survivor) for duplicate, survivor in pairs})
    return Merges(person)


def _merge_facts(
    session: Session,
    merges: Merges,
    entity: type[Any],
    column: ColumnArg,
    where: Sequence[Any],
    join: Sequence[tuple[Any, Any]] = (),
    *,
    event: bool = False,
) -> list[tuple]:
    """(event, registrant, time) of the facts of the people involved in a merge only."""
    query = sa.select(
        entity.event_id if event else sa.literal(0), entity.registrant_id, column
    ).select_from(entity)
    for target, on in join:
        query = query.join(target, on)
    query = query.where(*where, _one_of(session, entity.registrant_id, sorted(merges.person)))
    return [tuple(row) for row in session.execute(query)]


def _one_of(session: Session, column: sa.ColumnElement, ids: list[int]) -> sa.ColumnElement:
    """``column IN ids`` with the ids bound as one parameter, however many there are:
    a thousand separate parameters cost more to send and plan than the query itself."""
    if session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam("merged_ids", ids, type_=ARRAY(sa.Integer)))
    listed = sa.func.json_each(sa.bindparam("merged_ids", json.dumps(ids))).table_valued("value")
    return column.in_(sa.select(listed.c.value))


def _firsts(facts: list[tuple], key) -> list[datetime]:  # noqa: ANN001
    firsts: dict[tuple, datetime] = {}
    for event_id, registrant_id, at in facts:
        k = (event_id, key(registrant_id))
        if k not in firsts or at < firsts[k]:
            firsts[k] = at
    return list(firsts.values())


def _correction(facts: list[tuple], merges: Merges, bounds: Sequence[datetime]) -> list[int]:
    """Person-level minus row-level cumulative counts over the merged people's facts."""

    def cumulative(values: list[datetime]) -> list[int]:
        return [sum(1 for v in values if v < b) for b in bounds] + [len(values)]

    by_row = cumulative(_firsts(facts, lambda rid: rid))
    by_person = cumulative(_firsts(facts, merges.person.__getitem__))
    return [p - r for p, r in zip(by_person, by_row, strict=True)]


def _inner_bounds(period: Period, stop: datetime) -> list[datetime]:
    """Month starts after April that fall before ``stop``: later ones cannot split."""
    return [b for b in period.month_starts_utc[1:12] if b < stop]


def _cumulative(session: Session, firsts: sa.Subquery, bounds: Sequence[datetime]) -> list[int]:
    """People counted before each bound, then in all (one pass over ``firsts``)."""
    columns = [sa.func.count().filter(firsts.c.first < b) for b in bounds]
    row = session.execute(sa.select(*columns, sa.func.count()).select_from(firsts)).one()
    return [int(v or 0) for v in row]


def _to_monthly(cumulative: list[int], bounds: Sequence[datetime]) -> list[int]:
    counts = [0] * 12
    previous = 0
    for month, value in enumerate(cumulative):
        index = month if month < len(bounds) else len(bounds)
        counts[index] += value - previous
        previous = value
    return counts


def _range_counts(
    session: Session, column: ColumnArg, edges: Sequence[datetime], *where
) -> list[int]:
    """Rows with ``column`` in each [edges[i], edges[i+1]): one index range count each."""
    if len(edges) < 2:
        return []
    parts = [
        sa.select(sa.literal(i).label("n"), sa.func.count().label("c")).where(
            column >= lo, column < hi, *where
        )
        for i, (lo, hi) in enumerate(zip(edges, edges[1:], strict=False))
    ]
    result = [0] * (len(edges) - 1)
    for n, c in session.execute(sa.union_all(*parts)):
        result[int(n)] = int(c)
    return result


def _people_monthly(
    session: Session,
    period: Period,
    stop: datetime,
    entity: type[Any],
    column: ColumnArg,
    where: Sequence[sa.ColumnElement[Any]],
    *,
    join: Sequence[tuple] = (),
    merges: Merges,
) -> list[int]:
    """New people per fiscal month, each in the month of their first fact in the year."""
    bounds = _inner_bounds(period, stop)

    def firsts(key: sa.ColumnElement) -> sa.Subquery:
        query = sa.select(key.label("key"), sa.func.min(column).label("first"))
        query = query.select_from(entity)
        for target, on in join:
            query = query.join(target, on)
        return query.where(*where).group_by(key).subquery()

    counts = _cumulative(session, firsts(entity.registrant_id), bounds)
    if merges:
        facts = _merge_facts(session, merges, entity, column, where, join)
        correction = _correction(facts, merges, bounds)
        counts = [a + b for a, b in zip(counts, correction, strict=True)]
    return _to_monthly(counts, bounds)


def _fairs(period: Period) -> sa.Select:
    return sa.select(Event.id).where(
        measures.is_fair(), Event.starts_at >= period.start_utc, Event.starts_at < period.end_utc
    )


def monthly_counts(
    session: Session,
    measure: str,
    period: Period,
    *,
    merges: Merges | None = None,
) -> list[int]:
    """New counts per fiscal month of one measure, counting facts before the period's
    cutoff.

    ``merges`` is the result of load_merges (read once per request); None reads it.
    """
    start, stop = period.start_utc, period.cutoff_utc
    if stop <= start and measure != "fair_signups":
        return [0] * 12
    if merges is None:
        merges = load_merges(session)
    if measure == "new_registrants":
        edges = [start, *_inner_bounds(period, stop), stop]
        counts = _range_counts(
            session, Registrant.registered_at, edges, Registrant.merged_into_id.is_(None)
        )
        return counts + [0] * (12 - len(counts))
    if measure == "consultations":
        held_at = _unindexed(session, Consultation.held_at)
        return _people_monthly(
            session,
            period,
            stop,
            Consultation,
            Consultation.held_at,
            [measures.career_consultation(), held_at >= start, held_at < stop],
            merges=merges,
        )
    if measure == "hires":
        return _people_monthly(
            session,
            period,
            stop,
            Hire,
            Hire.hired_at,
            [Hire.hired_at >= start, Hire.hired_at < stop, measures.shimane_it_hire()],
            join=(measures.HIRE_EMPLOYER,),
            merges=merges,
        )
    if measure == "fair_signups":
        return _fair_signups_monthly(session, period, merges=merges)
    raise ValueError(f"unknown measure {measure!r}")


def _fair_signups_monthly(session: Session, period: Period, *, merges: Merges) -> list[int]:
    """Applications to the year's fairs by month applied (before the year: April).

    A person applies to a fair once: the table allows one row per registrant and fair,
    and a merged duplicate's application to the same fair is the person's one.
    """
    fairs = list(session.scalars(_fairs(period)))
    if not fairs:
        return [0] * 12
    live = (EventSignup.event_id.in_(fairs), measures.applied())
    stop = period.cutoff_utc
    bounds = _inner_bounds(period, stop)
    early = datetime(1900, 1, 1, tzinfo=UTC)
    edges = [early, *bounds, stop]
    counts = _range_counts(session, EventSignup.signed_up_at, edges, *live)
    counts = counts + [0] * (12 - len(counts))
    if not merges:
        return counts
    facts = _merge_facts(
        session,
        merges,
        EventSignup,
        EventSignup.signed_up_at,
        [*live, EventSignup.signed_up_at < stop],
        event=True,
    )
    correction = _to_monthly(_correction(facts, merges, bounds), bounds)
    return [a + b for a, b in zip(counts, correction, strict=True)]


def fair_attendance(
    session: Session, period: Period, *, merges: Merges | None = None
) -> list[int | None]:
    """People at each of the year's fairs by fair number; None for a fair not yet held."""
    cutoff = period.cutoff_utc
    fairs = session.execute(
        sa.select(Event.id, Event.fair_number, Event.starts_at)
        .where(
            measures.is_fair(),
            Event.starts_at >= period.start_utc,
            Event.starts_at < period.end_utc,
        )
        .order_by(Event.fair_number, Event.starts_at)
    ).all()
    held = [event_id for event_id, _, starts_at in fairs if starts_at < cutoff]
    attended = measures.attended()
    counts: dict[int, int] = dict.fromkeys(held, 0)
    if held:
        rows = session.execute(
            sa.select(EventSignup.event_id, sa.func.count())
            .where(EventSignup.event_id.in_(held), attended)
            .group_by(EventSignup.event_id)
        ).all()
        counts.update({event_id: int(n) for event_id, n in rows})
        if merges is None:
            merges = load_merges(session)
        if merges:
            facts = _merge_facts(
                session,
                merges,
                EventSignup,
                EventSignup.signed_up_at,
                [EventSignup.event_id.in_(held), attended],
                event=True,
            )
            merged = {(event_id, rid) for event_id, rid, _ in facts}
            people = {(event_id, merges.person[rid]) for event_id, rid, _ in facts}
            for event_id, _ in merged:
                counts[event_id] -= 1
            for event_id, _ in people:
                counts[event_id] += 1
    by_number: dict[int, int | None] = {}
    for event_id, fair_number, _ in fairs:
        number = cast(int, fair_number)  # every fair has a number (services.engagement.events)
        value = counts.get(event_id)
        previous = by_number.get(number)
        by_number[number] = value if previous is None else previous + (value or 0)
    return [by_number[n] for n in sorted(by_number)]
