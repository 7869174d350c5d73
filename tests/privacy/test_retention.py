"""Retention: `purge` with a frozen clock lists, then applies, then finds nothing
more; it is safe from cron (lock, exit codes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa

from itworks.models import OutboxMessage, Registrant, ThirdPartyProvision
from itworks.services.engagement import contacts, mail, outbox
from itworks.services.privacy import retention

RULES = retention.Rules(inactive_years=5, outbox_body_days=90)


def test_purge_with_a_frozen_clock(session, vault, registrant, world, tmp_path) -> None:
    old = registrant(registered_at=datetime(2015, 4, 1, tzinfo=UTC), phone="090-5555-0001")
    kept = registrant(registered_at=datetime(2015, 4, 2, tzinfo=UTC), phone="090-5555-0002")
    contacts.record_contact(
        session,
        vault,
        kept.public_id,
        "phone",
        at="2021-06-01 10:00",
        now=datetime(2022, 1, 1, tzinfo=UTC),
    )
    directory = tmp_path / "outbox"
    transport = mail.EmlTransport(directory)
    sent_at = datetime(2022, 11, 20, 3, tzinfo=UTC)
    assert outbox.deliver(session, transport, vault, clock=lambda: sent_at).sent == 2

    frozen = datetime(2022, 11, 20, 3, tzinfo=UTC)
    listed = retention.purge(session, RULES, now=frozen, dry_run=True, outbox_dir=directory)
    assert [(i.kind, i.id) for i in listed.items] == [("registrant", old.public_id)]
    session.rollback()
    assert session.get(Registrant, old.id).erased_at is None  # a dry run changes nothing

    done = retention.purge(session, RULES, now=frozen, outbox_dir=directory)
    assert done.done == {"registrant": 1, "provision": 0, "outbox_body": 0}
    session.rollback()
    assert session.get(Registrant, old.id).erased_at is not None
    assert session.get(Registrant, kept.id).erased_at is None
    assert retention.purge(session, RULES, now=frozen, outbox_dir=directory).items == []

    # Four years on: the provision records (kept three years) and the mail bodies go;
    # the people in the world are still active enough to stay.
    later = datetime(2026, 1, 1, tzinfo=UTC)
    plan = retention.purge(session, RULES, now=later, dry_run=True, outbox_dir=directory)
    assert sorted(i.kind for i in plan.items) == ["outbox_body"] * 2 + ["provision"] * 2
    result = retention.purge(session, RULES, now=later, outbox_dir=directory)
    assert result.done == {"registrant": 0, "provision": 2, "outbox_body": 2}
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(ThirdPartyProvision.id))) == 0
    for message in session.scalars(sa.select(OutboxMessage)):
        assert message.params == {}
        assert b"@example.jp" not in transport.path(message.message_id).read_bytes()
    assert retention.purge(session, RULES, now=later, outbox_dir=directory).items == []


def test_the_cli_refuses_while_another_purge_runs_and_lists_as_json(
    runner, instance, world
) -> None:
    with retention.purge_lock(instance):
        locked = runner.invoke(["privacy", "purge"])
    assert locked.exit_code == 3
    result = runner.invoke(["privacy", "purge", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert listed["dry_run"] is True
    assert {i["kind"] for i in listed["items"]} == {"provision"}  # kept until 2025
    applied = runner.invoke(["privacy", "purge", "--json"])
    assert applied.exit_code == 0 and json.loads(applied.output)["done"]["provision"] == 2
    assert json.loads(runner.invoke(["privacy", "purge", "--json"]).output)["items"] == []
