"""Events: study sessions, meet-ups and the year's three job fairs."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.i18n import N_
from itworks.models import EVENT_KINDS, Event
from itworks.services import audit
from itworks.services.errors import InvalidInput


def create_event(
    session: Session,
    *,
    kind: str,
    name: str,
    starts_at: datetime,
    ends_at: datetime | None = None,
    venue: str | None = None,
    online: bool = False,
    fair_number: int | None = None,
    capacity: int | None = None,
    actor_label: str = "cli",
) -> Event:
    errors = {}
    if kind not in EVENT_KINDS:
        errors["kind"] = N_("種類は %(codes)s のいずれかです", codes=", ".join(EVENT_KINDS))
    if not name or not name.strip() or len(name) > 200:
        errors["name"] = N_("名前は1〜200文字です")
    if kind == "fair" and fair_number not in range(1, 10):
        errors["fair_number"] = N_("転職フェアには回数（1〜9）が必要です")
    if kind != "fair" and fair_number is not None:
        errors["fair_number"] = N_("回数は転職フェアだけに付けます")
    if starts_at.tzinfo is None:
        errors["starts_at"] = N_("タイムゾーン付きの日時が必要です")
    elif ends_at is not None and ends_at < starts_at:
        errors["ends_at"] = N_("終了は開始より後です")
    if capacity is not None and capacity < 1:
        errors["capacity"] = N_("定員は1以上です")
    if errors:
        raise InvalidInput(errors)
    event = Event(
        kind=kind,
        name=name.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        online=online,
        fair_number=fair_number,
        capacity=capacity,
    )
    session.add(event)
    session.flush()
    audit.record(
        session,
        "event.create",
        actor_label=actor_label,
        entity_type="event",
        entity_id=event.public_id,
        kind=kind,
    )
    session.commit()
    return event


def list_events(session: Session, kind: str | None = None) -> list[Event]:
    query = sa.select(Event).order_by(Event.starts_at)
    if kind:
        query = query.where(Event.kind == kind)
    return list(session.scalars(query))
