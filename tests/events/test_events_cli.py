"""`itworks events`: sign-ups, cancel with promotion, attendance CSV, materials."""

from __future__ import annotations

import json

import sqlalchemy as sa

from itworks.models import EventSignup, OutboxMessage


def test_events_commands_mirror_the_page(
    runner, make_registrant, session, instance, tmp_path
) -> None:
    made = runner.invoke(
        ["events", "create", "--kind", "company_exchange", "--name", "県内IT企業との交流会",
         "--starts", "2022-07-02 13:00", "--capacity", "1"]
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    event = made.output.strip()
    first, second = make_registrant(), make_registrant()
    assert runner.invoke(["events", "signup", event, first]).output.strip() == "applied"
    assert runner.invoke(["events", "signup", event, second]).output.strip() == "waitlisted"
    cancelled = runner.invoke(["events", "cancel", event, first])
    assert cancelled.exit_code == 0 and f"promoted: {second}" in cancelled.output
    session.commit()
    assert session.scalar(sa.select(OutboxMessage.template)) == "waitlist_promoted"
    bad = tmp_path / "bad.csv"
    bad.write_text(f"public_id,attended\n{second},maybe\n{first},attended\n", encoding="utf-8")
    refused = runner.invoke(["events", "attendance", event, str(bad)])
    assert refused.exit_code == 1
    assert "line 2: attended" in refused.output and "line 3: public_id" in refused.output
    good = tmp_path / "good.csv"
    good.write_text(f"public_id,attended\n{second},attended\n", encoding="utf-8")
    marked = runner.invoke(["events", "attendance", event, str(good)])
    assert marked.exit_code == 0 and "attended: 1" in marked.output
    session.commit()
    assert set(session.scalars(sa.select(EventSignup.status))) == {"cancelled", "attended"}

    slides = tmp_path / "当日スライド.pdf"
    slides.write_bytes(b"%PDF-1.4 demo")
    added = runner.invoke(["events", "material-add", event, str(slides), "--kind", "slides"])
    assert added.exit_code == 0, added.output
    listed = json.loads(runner.invoke(["events", "materials", "--json"]).output)
    assert [(e["filename"], e["kind"], e["event"]) for e in listed] == [
        ("当日スライド.pdf", "slides", event)
    ]
    assert (instance / listed[0]["path"]).read_bytes() == b"%PDF-1.4 demo"
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    assert runner.invoke(["events", "material-add", event, str(exe)]).exit_code == 1
