"""Leak drill on a fixture audit trail: who and which fields an account could have
read in a window, the 100-people threshold, and the preliminary-report draft."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from funnelsupport import Records

from itworks.models import User
from itworks.services import audit
from itworks.services.errors import InvalidInput
from itworks.services.privacy import leak

IN = datetime(2022, 11, 10, 3, tzinfo=UTC)
OUT = datetime(2022, 12, 10, 3, tzinfo=UTC)


def _entry(session, actor, action, at, entity_id=None, **detail):  # noqa: ANN001, ANN202
    event = audit.record(
        session, action, actor=actor, entity_type="registrant", entity_id=entity_id, **detail
    )
    event.at = at
    return event


@pytest.fixture
def trail(session, world, make_user):  # noqa: ANN001, ANN201
    make_user("suspect")
    make_user("colleague")
    suspect = session.scalar(sa.select(User).where(User.username == "suspect"))
    colleague = session.scalar(sa.select(User).where(User.username == "colleague"))
    _entry(session, suspect, "registrant.view", IN, world.a.public_id)
    _entry(session, suspect, "registrant.view", IN.replace(day=11), world.a.public_id)
    _entry(session, suspect, "contact.view", IN, world.b.public_id)
    _entry(session, suspect, "registrant.list", IN, page=1, shown=2)
    _entry(session, suspect, "login", IN)
    _entry(session, suspect, "registrant.view", OUT, world.b.public_id)  # after the window
    _entry(session, colleague, "registrant.view", IN, world.b.public_id)  # someone else
    session.commit()
    return suspect


def test_the_report_names_people_fields_and_the_draft(session, world, trail) -> None:
    found = leak.report(session, since="2022-11-01", until="2022-12-01", user="suspect")
    people = {p["registrant"]: p for p in found["people"]}
    assert set(people) == {world.a.public_id, world.b.public_id}
    assert people[world.a.public_id]["reads"] == 2
    assert "email" in people[world.a.public_id]["fields"]
    assert people[world.b.public_id]["fields"] == ["contact_notes"]
    assert (found["named_people"], found["unnamed_list_rows"]) == (2, 2)
    assert found["people_upper_bound"] == 4 and found["exceeds_threshold"] is False
    assert found["by_action"]["login"] == 1
    draft = {item["item"]: item for item in found["preliminary_report"]}
    assert [i["item"] for i in found["preliminary_report"]] == [c for c, _ in leak.REPORT_ITEMS]
    assert draft["summary"]["filled"] and "suspect" in draft["summary"]["value"]
    assert draft["people"]["filled"] and "4 人" in draft["people"]["value"]
    assert "超えません" in draft["people"]["value"]
    assert "メールアドレス" in draft["items"]["value"]
    for item in ("cause", "secondary_damage", "response_to_people", "publication", "prevention"):
        assert not draft[item]["filled"] and draft[item]["value"] == leak.TO_FILL
    assert "開示 花子" not in json.dumps(found, ensure_ascii=False)


def test_an_export_over_a_hundred_people_crosses_the_threshold(session, world, trail) -> None:
    records = Records(session)
    for _ in range(100):
        records.person("2022-06-01T00:00:00Z")
    _entry(session, trail, "registrant.export", IN.replace(day=20), rows=102)
    session.commit()
    found = leak.report(session, since="2022-11-15", until="2022-12-01", user="suspect")
    assert found["named_people"] == 102 and found["exceeds_threshold"] is True
    draft = {item["item"]: item for item in found["preliminary_report"]}
    assert "超えます" in draft["people"]["value"]


def test_a_quiet_window_or_a_bad_request(session, world, trail) -> None:
    found = leak.report(session, since="2022-10-01", until="2022-10-31", user="suspect")
    assert found["people"] == [] and found["people_upper_bound"] == 0
    with pytest.raises(InvalidInput) as both:
        leak.report(session, since="2022-10-01", until="2022-10-31", user="a", token="b")
    assert set(both.value.errors) == {"who"}
    with pytest.raises(InvalidInput):
        leak.report(session, since="2022-12-01", until="2022-10-31", user="suspect")


def test_the_cli_prints_the_draft(runner, world, trail) -> None:
    result = runner.invoke(
        [
            "privacy",
            "leak-report",
            "--since",
            "2022-11-01",
            "--until",
            "2022-12-01",
            "--user",
            "suspect",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "本人への対応の実施状況" in result.output and world.a.public_id in result.output
    as_json = runner.invoke(
        [
            "privacy",
            "leak-report",
            "--since",
            "2022-11-01",
            "--until",
            "2022-12-01",
            "--token",
            "website",
            "--json",
        ]
    )
    assert as_json.exit_code == 0 and json.loads(as_json.output)["people"] == []
