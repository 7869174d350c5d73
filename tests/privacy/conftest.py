"""Fixtures for the privacy requests: the vault, and two people who share an event,
a company and a survey round, each with notes, answers, tiers and mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from privacysupport import NOW


@pytest.fixture
def vault(app):  # noqa: ANN001, ANN201
    return app.extensions["itworks.vault"]


@pytest.fixture
def registrant(session, make_registrant):  # noqa: ANN001, ANN201
    import sqlalchemy as sa

    from itworks.models import Registrant

    def make(**overrides):  # noqa: ANN202
        public_id = make_registrant(**overrides)
        session.commit()
        return session.scalar(sa.select(Registrant).where(Registrant.public_id == public_id))

    return make


@dataclass
class World:
    a: object
    b: object
    event: object
    company: object
    secrets_a: tuple[str, ...]
    secrets_b: tuple[str, ...]


def add_life(session, vault, person, tag: str, event, company) -> tuple[str, ...]:  # noqa: ANN001
    """A consultation, a contact, a survey answer with free text, a tier, a sign-up,
    an introduction (with its provision record) and a queued mail; returns the
    secret strings written for this person."""
    from itworks.models import TierAssignment
    from itworks.services.engagement import contacts, introductions, outbox, signups
    from itworks.services.surveys import responses

    notes, outcome, comment = f"相談メモ{tag}（秘）", f"結果{tag}（秘）", f"自由記述{tag}（秘）"
    contacts.record_contact(
        session,
        vault,
        person.public_id,
        "career_consultation",
        at="2022-10-05 15:00",
        notes=notes,
        outcome=outcome,
        actor_label="test",
        now=NOW,
    )
    contacts.record_contact(
        session,
        vault,
        person.public_id,
        "phone",
        at="2022-10-06 10:00",
        notes=f"電話メモ{tag}（秘）",
        actor_label="test",
        now=NOW,
    )
    instrument = responses.current_instrument()
    cleaned = responses.clean({"comment": comment}, instrument, partial=True)
    responses.record(
        session,
        vault,
        person,
        cleaned,
        instrument=instrument,
        channel="interview",
        submitted_at=datetime(2022, 10, 5, 6, tzinfo=UTC),
        actor_label="test",
    )
    session.add(
        TierAssignment(
            registrant_id=person.id,
            tier="move_now",
            method="coordinator",
            assigned_at=datetime(2022, 10, 5, 7, tzinfo=UTC),
        )
    )
    session.commit()
    signups.coordinator_sign_up(session, event.public_id, person.public_id, actor_label="test")
    introductions.add_introduction(
        session,
        person.public_id,
        company.name,
        items="name,email",
        consent_at="2022-10-07 09:00",
        at="2022-10-08 10:00",
        actor_label="test",
        now=NOW,
    )
    outbox.enqueue(session, person, "contact_follow_up", {}, now=NOW)
    session.commit()
    return notes, outcome, comment, f"電話メモ{tag}（秘）"


@pytest.fixture
def world(session, vault, registrant) -> World:  # noqa: ANN001
    from itworks.services.engagement import companies, events

    a = registrant(name="開示 花子", email="hanako@example.jp", phone="090-1111-2222")
    b = registrant(name="他人 次郎", email="jiro@example.jp", phone="090-3333-4444")
    event = events.create_event(
        session,
        kind="fair",
        name="GO 島根！ITエンジニア転職フェア 第2回",
        starts_at=datetime(2022, 10, 1, 4, tzinfo=UTC),
        fair_number=2,
        actor_label="test",
    )
    company = companies.add_company(
        session,
        vault,
        "株式会社しまねソフト",
        contact_name="担当 三郎",
        contact_email="saburo@shimane-soft.example.jp",
        actor_label="test",
    )
    secrets_a = add_life(session, vault, a, "A", event, company)
    secrets_b = add_life(session, vault, b, "B", event, company)
    return World(a, b, event, company, secrets_a, secrets_b)
