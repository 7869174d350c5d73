"""The engagement commands: contacts, companies, introductions, outbox."""

from __future__ import annotations

import json

import sqlalchemy as sa

from itworks.models import Hire, OutboxMessage
from itworks.services.engagement import outbox


def test_contacts_companies_and_introductions_from_the_cli(
    runner, make_registrant, session
) -> None:
    public_id = make_registrant()
    added = runner.invoke(
        ["contacts", "add", public_id, "--kind", "career_consultation", "--at", "2022-10-05"]
    )
    assert added.exit_code == 0, added.output
    assert runner.invoke(["contacts", "add", public_id, "--kind", "visit"]).exit_code == 2
    company = runner.invoke(
        ["companies", "add", "株式会社しまねテック", "--contact-name", "出雲 担当"]
    )
    assert company.exit_code == 0, company.output
    refused = runner.invoke(
        ["introductions", "add", public_id, "--company", "株式会社しまねテック"]
    )
    assert refused.exit_code == 1
    assert "items" in refused.output and "consent_at" in refused.output
    made = runner.invoke(
        [
            "introductions",
            "add",
            public_id,
            "--company",
            "株式会社しまねテック",
            "--items",
            "name,email,phone",
            "--consent-at",
            "2022-10-01",
            "--at",
            "2022-10-02",
        ]
    )
    assert made.exit_code == 0, made.output
    introduction_id = made.output.strip()
    moved = runner.invoke(
        ["introductions", "move", introduction_id, "--stage", "hired", "--at", "2022-10-15"]
    )
    assert moved.exit_code == 0, moved.output
    assert "hired" in moved.output
    session.commit()
    assert session.scalar(sa.select(sa.func.count(Hire.id))) == 1


def test_outbox_send_once_writes_eml_files_and_list_shows_them(
    runner, registrant, session, instance
) -> None:
    person = registrant()
    outbox.enqueue(
        session,
        person,
        "event_invitation",
        {"event": "勉強会", "when": "7/9", "place": "松江", "expires": "7/8", "url": "u"},
    )
    session.commit()
    queued = json.loads(runner.invoke(["outbox", "list", "--status", "queued", "--json"]).output)
    assert [row["registrant"] for row in queued] == [person.public_id]
    sent = runner.invoke(["outbox", "send", "--once"])
    assert sent.exit_code == 0, sent.output
    assert "sent: 1" in sent.output
    assert len(list((instance / "outbox").glob("*.eml"))) == 1
    session.commit()  # end the test session's snapshot
    assert session.scalar(sa.select(OutboxMessage.status)) == "sent"
    listed = runner.invoke(["outbox", "list", "--status", "sent"])
    assert person.public_id in listed.output
