"""The year's events and fairs with the people who applied and attended."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import fiscal, i18n, vocabulary
from itworks.fiscal import Period
from itworks.models import Event, EventSignup, Registrant
from itworks.services.engagement.signups import SEAT_HOLDING
from itworks.services.kpi import measures
from itworks.services.kpi.counts import person_key
from itworks.tables import suppression
from itworks.tables.audience import Audience
from itworks.tables.table import Column, Table, frame

NOT_HELD = "未開催"
COLUMNS = [
    Column("kind", "種類", "text"),
    Column("fair_number", "回", "text"),
    Column("name", "名称", "text"),
    Column("held_on", "開催日", "text"),
    Column("applied", "申込数"),
    Column("attended", "参加者数"),
]


def events(session: Session, period: Period, audience: Audience) -> Table:
    """Each event of the fiscal year, earliest first: people who applied (not cancelled)
    and who attended, as of the period's cutoff. Fair figures are the specification's
    own measures and always shown; for the prefecture, other events' counts between
    1 and k−1 are hidden (no total is published, so nothing else needs hiding)."""
    cutoff = period.cutoff_utc
    # Count people, not rows: a merged duplicate's sign-up is the same person's.
    person = person_key()
    applied = sa.func.count(sa.distinct(person)).filter(measures.applied())
    attended = sa.func.count(sa.distinct(person)).filter(measures.attended())
    rows = session.execute(
        sa.select(
            Event.id, Event.kind, Event.name, Event.starts_at, Event.fair_number, applied, attended
        )
        .outerjoin(
            EventSignup,
            sa.and_(EventSignup.event_id == Event.id, EventSignup.signed_up_at < cutoff),
        )
        .outerjoin(Registrant, Registrant.id == EventSignup.registrant_id)
        .where(Event.starts_at >= period.start_utc, Event.starts_at < period.end_utc)
        .group_by(Event.id, Event.kind, Event.name, Event.starts_at, Event.fair_number)
        .order_by(Event.starts_at)
    ).all()
    k = audience.k

    def shown(n: int, official: bool) -> object:
        return suppression.primary_marker(k) if k and not official and 0 < n < k else n

    out, index = [], []
    for event_id, kind, name, starts_at, number, n_applied, n_attended in rows:
        held = starts_at < cutoff
        out.append(
            {
                "kind": i18n.label(vocabulary.EVENT_KIND_LABELS, kind),
                "fair_number": number,
                "name": name,
                "held_on": f"{starts_at.astimezone(fiscal.JST):%Y-%m-%d}"
                f"（{fiscal.wareki_date(starts_at)}）",
                "applied": shown(int(n_applied), kind == "fair"),
                "attended": shown(int(n_attended), kind == "fair") if held else NOT_HELD,
                "kind_code": kind,
            }
        )
        index.append(event_id)
    return Table(
        "events",
        "イベント・転職フェア",
        COLUMNS,
        frame(out, index, [c.key for c in COLUMNS]),
        audience,
    )


# ------------------------------------------------------------------ the events page

LIST_COLUMNS = [
    Column("kind", "種類", "text"),
    Column("fair_number", "回", "text"),
    Column("name", "名称", "text"),
    Column("starts_at", "日時", "text"),
    Column("place", "場所", "text"),
    Column("capacity", "定員"),
    Column("seats", "申込（席あり）"),
    Column("waitlisted", "キャンセル待ち"),
    Column("attended", "参加"),
    Column("no_show", "欠席"),
    Column("materials", "資料"),
]
ONLINE = "オンライン"


def _status_counts(session: Session, event_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    if not event_ids:
        return counts
    for event_id, status, n in session.execute(
        sa.select(EventSignup.event_id, EventSignup.status, sa.func.count(EventSignup.id))
        .where(EventSignup.event_id.in_(event_ids))
        .group_by(EventSignup.event_id, EventSignup.status)
    ):
        counts.setdefault(event_id, {})[status] = int(n)
    return counts


def event_list(session: Session, period: Period, audience: Audience) -> Table:
    """Every event of the fiscal year for coordinators: kind, fair round, time, place,
    capacity, seats taken (申込・参加・欠席), waiting list, attendance and materials.
    Counts are sign-ups (coordinators only: nothing is suppressed)."""
    from itworks.models import EventMaterial

    if audience.suppressed:
        raise ValueError("the events list is for coordinators and admins")
    found = list(
        session.scalars(
            sa.select(Event)
            .where(Event.starts_at >= period.start_utc, Event.starts_at < period.end_utc)
            .order_by(Event.starts_at, Event.id)
        )
    )
    counts = _status_counts(session, [e.id for e in found])
    materials = dict(
        session.execute(
            sa.select(EventMaterial.event_id, sa.func.count(EventMaterial.id))
            .where(EventMaterial.event_id.in_([e.id for e in found]))
            .group_by(EventMaterial.event_id)
        ).all()
    )
    out = []
    for event in found:
        c = counts.get(event.id, {})
        out.append(
            {
                "kind": i18n.label(vocabulary.EVENT_KIND_LABELS, event.kind),
                "fair_number": event.fair_number,
                "name": event.name,
                "starts_at": f"{event.starts_at.astimezone(fiscal.JST):%Y-%m-%d %H:%M}",
                "place": ONLINE if event.online else (event.venue or ""),
                "capacity": event.capacity,
                "seats": sum(c.get(status, 0) for status in SEAT_HOLDING),
                "waitlisted": c.get("waitlisted", 0),
                "attended": c.get("attended", 0),
                "no_show": c.get("no_show", 0),
                "materials": int(materials.get(event.id, 0)),
                "kind_code": event.kind,
                "public_id": event.public_id,
                "held": event.starts_at < period.cutoff_utc,
                "online": event.online,
            }
        )
    return Table(
        "event_list",
        "イベント一覧",
        LIST_COLUMNS,
        frame(out, [e.public_id for e in found], [c.key for c in LIST_COLUMNS]),
        audience,
    )


# ------------------------------------------------------------------ materials (成果物)

MATERIAL_COLUMNS = [
    Column("event", "イベント", "text"),
    Column("held_on", "開催日", "text"),
    Column("kind", "種類", "text"),
    Column("filename", "ファイル名", "text"),
    Column("size_kb", "サイズ（KB）", "number"),
    Column("sha256", "SHA-256", "text"),
    Column("path", "保存場所（インスタンス内）", "text"),
]


def materials(session: Session, period: Period, audience: Audience) -> Table:
    """Each event's materials (成果物) of the fiscal year, per event in event order:
    what the implementation report attaches. Files, not people: nothing to suppress."""
    from itworks.services.engagement import materials as material_service

    out, index = [], []
    for row in material_service.list_materials(session):
        event = row.event
        if not (period.start_utc <= event.starts_at < period.end_utc):
            continue
        out.append(
            {
                "event": event.name,
                "held_on": f"{event.starts_at.astimezone(fiscal.JST):%Y-%m-%d}",
                "kind": i18n.label(vocabulary.MATERIAL_KIND_LABELS, row.kind),
                "filename": row.filename,
                "size_kb": round(row.size_bytes / 1024, 1),
                "sha256": row.sha256,
                "path": material_service.relative_path(row),
                "event_public_id": event.public_id,
                "kind_code": row.kind,
                "size_bytes": row.size_bytes,
            }
        )
        index.append(row.public_id)
    return Table(
        "materials",
        "イベントの成果物",
        MATERIAL_COLUMNS,
        frame(out, index, [c.key for c in MATERIAL_COLUMNS]),
        audience,
        empty="成果物なし",
    )


# ------------------------------------------------------------------ invitation conversion

CONVERSION_COLUMNS = [
    Column("event", "イベント", "text"),
    Column("tier", "ティア", "text"),
    Column("invited", "招待"),
    Column("signed_up", "申込"),
    Column("attended", "参加"),
    Column("signup_rate", "申込率", "ratio"),
    Column("attendance_rate", "参加率（招待比）", "ratio"),
]
ALL_EVENTS = "全イベント"
ALL_TIERS = "全ティア"


def conversion(
    session: Session,
    audience: Audience,
    event_public_ids: list[str] | None = None,
    *,
    cutoff: datetime | None = None,
) -> Table:
    """Invited → signed up → attended per event (all tiers, then each tier) and over
    every event, from services/engagement/invitations.py. An event not held by
    ``cutoff`` has no attendance yet (None, shown "—"). For the prefecture, counts
    between 1 and k−1 are hidden and their rates with them."""
    from itworks.services.engagement import invitations as invitation_service

    k = audience.k
    out, index = [], []
    starts = dict(session.execute(sa.select(Event.public_id, Event.starts_at)).all())
    for row in invitation_service.conversion(session, event_public_ids):
        held = cutoff is None or row.event is None or starts.get(row.event, cutoff) < cutoff
        small = (
            k is not None
            and bool(k)
            and any(0 < n < k for n in (row.invited, row.signed_up, row.attended))
        )

        def shown(n: int, small: bool = small) -> object:
            return suppression.primary_marker(k) if small and k and 0 < n < k else n

        out.append(
            {
                "event": row.event_name or ALL_EVENTS,
                "tier": i18n.label(vocabulary.TIER_LABELS, row.tier) if row.tier else ALL_TIERS,
                "invited": shown(row.invited),
                "signed_up": shown(row.signed_up),
                "attended": shown(row.attended) if held else None,
                "signup_rate": None if small else row.signed_up / row.invited,
                "attendance_rate": None if small or not held else row.attended / row.invited,
                "event_public_id": row.event,
                "tier_code": row.tier,
                "held": held,
            }
        )
        index.append(f"{row.event or '*'}:{row.tier or '*'}")
    return Table(
        "invitation_conversion",
        "招待の転換（招待→申込→参加）",
        CONVERSION_COLUMNS,
        frame(out, index, [c.key for c in CONVERSION_COLUMNS]),
        audience,
        empty="招待なし",
    )


# ------------------------------------------------------------------ invitation batches

BATCH_COLUMNS = [
    Column("sent_at", "送信日時", "text"),
    Column("event", "イベント", "text"),
    Column("filter", "条件", "text"),
    Column("invited", "招待"),
    Column("accepted", "参加の返信"),
    Column("declined", "辞退の返信"),
    Column("unanswered", "未返信"),
]


def filter_text(flt: dict) -> str:
    """A saved audience filter as codes (the page shows labels)."""
    return "; ".join(
        f"{key}={','.join(value) if isinstance(value, list) else value}"
        for key, value in flt.items()
    )


def invitation_batches(
    session: Session, audience: Audience, batch_public_id: str | None = None
) -> Table:
    """Each invitation batch, newest first: when, which event, the filter it used,
    how many were invited and how they replied (coordinators and admins)."""
    from itworks.services.engagement import invitations as invitation_service

    if audience.suppressed:
        raise ValueError("invitation batches are for coordinators and admins")
    out, index = [], []
    for row in invitation_service.batches(session, batch_public_id):
        out.append(
            {
                "sent_at": f"{row.created_at.astimezone(fiscal.JST):%Y-%m-%d %H:%M}",
                "event": row.event_name,
                "filter": filter_text(row.filter),
                "invited": row.audience_size,
                "accepted": row.accepted,
                "declined": row.declined,
                "unanswered": row.unanswered,
                "event_public_id": row.event,
                "filter_codes": row.filter,
                "created_at": row.created_at,
                "actor": row.actor,
            }
        )
        index.append(row.public_id)
    return Table(
        "invitation_batches",
        "招待の送信",
        BATCH_COLUMNS,
        frame(out, index, [c.key for c in BATCH_COLUMNS]),
        audience,
        empty="招待なし",
    )
