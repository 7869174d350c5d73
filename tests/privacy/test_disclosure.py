"""Disclosure (開示): the person's whole file, nothing about anyone else, audited."""

from __future__ import annotations

import json
import stat

import sqlalchemy as sa
from privacysupport import NOW

from itworks.models import AuditEvent, PrivacyRequest
from itworks.services.privacy import disclosure


def test_the_file_holds_everything_about_the_person_and_nothing_about_others(
    session, vault, world
) -> None:
    data = disclosure.disclose(session, vault, world.a.public_id, actor_label="test", now=NOW)
    text = json.dumps(data, ensure_ascii=False)
    assert data["registrant"]["name"] == "開示 花子"
    assert data["registrant"]["email"] == "hanako@example.jp"
    for secret in world.secrets_a:
        assert secret in text
    records = data["records"]
    for table in (
        "consultations",
        "contact_logs",
        "survey_responses",
        "tier_assignments",
        "event_signups",
        "introductions",
        "introduction_stages",
        "third_party_provisions",
        "outbox_messages",
    ):
        assert records.get(table), table
    assert records["third_party_provisions"][0]["items"] == ["email", "name"]
    assert records["introductions"][0]["company_id"] == "株式会社しまねソフト"
    actions = {entry["action"] for entry in data["audit"]}
    assert {"registrant.create", "contact.record", "event.signup"} <= actions
    assert "introduction.create" in actions
    # Nobody else: the other person sharing the event and the company, the company's
    # contact person.
    for other in (*world.secrets_b, "他人 次郎", "jiro@example.jp", world.b.public_id):
        assert other not in text
    assert "担当 三郎" not in text and "saburo@" not in text


def test_the_html_page_shows_the_fields_in_japanese_and_is_escaped(session, vault, world) -> None:
    data = disclosure.collect(session, vault, world.a)
    data["registrant"]["employer"] = "<script>alert(1)</script>"
    page = disclosure.render_html(data, "ja")
    assert '<html lang="ja">' in page
    assert "保有個人データの開示" in page and "氏名" in page and "開示 花子" in page
    assert "キャリア相談" in page and world.secrets_a[0] in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "他人 次郎" not in page
    assert '<html lang="en">' in disclosure.render_html(data, "en")


def test_email_finds_the_person_and_the_request_and_audit_hold_no_values(
    session, vault, world
) -> None:
    data = disclosure.disclose(
        session,
        vault,
        " Hanako@Example.JP ",
        received_on="2022-11-15",
        answered_via="post",
        actor_label="test",
        now=NOW,
    )
    assert data["registrant"]["public_id"] == world.a.public_id
    request = session.scalar(sa.select(PrivacyRequest))
    assert (request.kind, request.outcome, request.answered_via) == (
        "disclosure",
        "disclosed",
        "post",
    )
    assert request.received_on.isoformat() == "2022-11-15"
    entry = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "registrant.disclose"))
    stored = json.dumps([entry.detail, entry.entity_id, request.detail], ensure_ascii=False)
    assert entry.entity_id == world.a.public_id
    for value in ("開示 花子", "hanako", world.secrets_a[0]):
        assert value not in stored


def test_an_unknown_person_is_refused_without_repeating_the_address(runner, world) -> None:
    result = runner.invoke(["privacy", "export", "nobody@example.jp"])
    assert result.exit_code == 1
    assert "登録者が見つかりません" in result.output and "nobody" not in result.output


def test_the_cli_writes_json_and_html_readable_by_the_owner_only(runner, world, tmp_path) -> None:
    out = tmp_path / "files"
    result = runner.invoke(["privacy", "export", world.a.public_id, "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted(out.iterdir())
    assert [f.suffix for f in files] == [".html", ".json"]
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(files[1].read_text(encoding="utf-8"))
    assert data["registrant"]["name"] == "開示 花子"
    assert "開示 花子" in files[0].read_text(encoding="utf-8")
