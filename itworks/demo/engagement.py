"""The demo's events besides the fairs, and its targeted invitations: two study
sessions and a meet-up, invitation batches by tier (sent once the first
segmentation has proposed tiers), the invitees' replies through their personal
links, and attendance after each event. Everything goes through the services the
events and invitations pages call, dated inside the demo's year."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.crypto import LinkSigner
from itworks.demo import funnel as funnel_demo
from itworks.fiscal import JST
from itworks.models import Event, Invitation, InvitationBatch
from itworks.services.engagement import audience, events, invitations
from itworks.services.errors import Conflict
from itworks.services.instance import get_setting, put_setting
from itworks.services.surveys.links import LinkProblem

MARKER = "engagement_demo_seeded"
BASE_URL = "http://127.0.0.1:8000"

# key, kind, name, starts (JST), venue (None: online), capacity
EVENTS = (
    (
        "study1",
        "study_session",
        "島根IT勉強会 第1回：クラウドとリモートワーク（オンライン）",
        datetime(2022, 6, 18, 14, 0, tzinfo=JST),
        None,
        40,
    ),
    (
        "study2",
        "study_session",
        "島根IT勉強会 第2回：県内Web系企業の開発現場（松江）",
        datetime(2022, 11, 12, 14, 0, tzinfo=JST),
        "松江テルサ",
        30,
    ),
    (
        "meetup",
        "meetup",
        "UIターンエンジニア交流会：先輩移住者と話そう（東京）",
        datetime(2022, 12, 10, 18, 30, tzinfo=JST),
        "東京・有楽町 ふるさと回帰支援センター",
        20,
    ),
)
# event key (a fair's number or an EVENTS key), day sent, filter (as the form sends it)
BATCHES: tuple[tuple[Any, date, dict[str, Any]], ...] = (
    ("study1", date(2022, 6, 1), {"interests": ["study_session"]}),
    (2, date(2022, 10, 3), {"tier": "move_now"}),
    (2, date(2022, 10, 4), {"tier": "region_undecided", "not_attended_this_fy": True}),
    ("study2", date(2022, 10, 24), {"tier": "few_years", "interests": ["study_session"]}),
    ("study2", date(2022, 10, 25), {"tier": "one_option", "not_attended_this_fy": True}),
    ("meetup", date(2022, 11, 14), {"tier": "move_now"}),
    ("meetup", date(2022, 11, 14), {"tier": "region_undecided"}),
    (3, date(2022, 11, 18), {"tier": "few_years"}),
)
# Chance of accepting, and of declining, by the tier an invitation was sent under.
REPLIES = {
    "move_now": (0.45, 0.15),
    "region_undecided": (0.35, 0.2),
    "few_years": (0.2, 0.25),
    "one_option": (0.12, 0.25),
    None: (0.25, 0.2),
}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=JST).astimezone(UTC)


def _events(session: Session) -> dict[Any, Event]:
    found: dict[Any, Event] = {e.fair_number: e for e in events.list_events(session, "fair")}
    by_name = {e.name: e for e in events.list_events(session)}
    for key, kind, name, starts, venue, capacity in EVENTS:
        event = by_name.get(name)
        if event is None:
            event = events.create_event(
                session,
                kind=kind,
                name=name,
                starts_at=starts.astimezone(UTC),
                ends_at=starts.astimezone(UTC) + timedelta(hours=3),
                venue=venue,
                online=venue is None,
                capacity=capacity,
                actor_label="demo",
            )
        found[key] = event
    return found


def _replies(
    session: Session,
    signer: LinkSigner,
    rng: random.Random,
    batch: InvitationBatch,
    sent: date,
    now: datetime,
) -> tuple[int, int]:
    """The invitees answer through their own reply links, over the following days."""
    accepted = declined = 0
    rows = session.scalars(
        sa.select(Invitation).where(Invitation.batch_id == batch.id).order_by(Invitation.id)
    ).all()
    plan = []
    for invitation in rows:
        p_accept, p_decline = REPLIES.get(invitation.tier, REPLIES[None])
        draw = rng.random()
        answer = (
            "accepted" if draw < p_accept else "declined" if draw < p_accept + p_decline else None
        )
        if answer is None:
            continue
        at = _at(sent + timedelta(days=rng.randint(0, 9)), rng.randint(8, 23), rng.randrange(60))
        if at >= invitation.expires_at or at >= now:
            continue
        plan.append((at, invitation.token_id, answer))
    for at, token_id, answer in sorted(plan):
        token = signer.sign(invitations.TOKEN_PREFIX + token_id)
        try:
            invitations.reply(session, signer, token, answer, now=at)
        except LinkProblem:
            continue
        accepted += answer == "accepted"
        declined += answer == "declined"
    return accepted, declined


def seed(session: Session, signer: LinkSigner, rng: random.Random, as_of: date) -> dict[str, int]:
    """Add the events, invitation batches, replies and attendance once; returns counts."""
    if get_setting(session, MARKER):
        return {}
    now = funnel_demo.end_of(as_of)
    counts = dict.fromkeys(("events", "batches", "invited", "accepted", "declined"), 0)
    before = {e.id for e in events.list_events(session)}
    found = _events(session)
    counts["events"] = len({e.id for e in found.values()} - before)
    for key, sent, raw in BATCHES:
        event = found.get(key)
        if event is None or sent > as_of:
            continue
        flt = audience.parse_filter(raw, session)
        sent_at = _at(sent, 10, rng.randrange(60))
        try:
            batch = invitations.send_invitations(
                session,
                signer,
                event.public_id,
                flt,
                base_url=BASE_URL,
                actor_label=funnel_demo.COORDINATOR,
                now=sent_at,
            )
        except Conflict:
            continue  # nobody left to invite with this filter
        counts["batches"] += 1
        counts["invited"] += batch.audience_size
        accepted, declined = _replies(session, signer, rng, batch, sent, now)
        counts["accepted"] += accepted
        counts["declined"] += declined
    counts["attended"] = funnel_demo.mark_held(session, rng, now)
    put_setting(session, MARKER, as_of.isoformat())
    session.commit()
    return counts
