"""No personal value reaches the audit trail.

Registrants with unusual, easily found values are seeded; then every action that
writes audit entries is walked through (the registrant's page, searches by email
and phone, the lists, a recorded consultation with notes, a logged contact, a
confirmed tier, the admin's export, the privacy requests — disclosure, correction,
stop-use, erasure — and failed logins with personal values typed as the user
name). Every column of every audit row, the JSON detail and the hashes included,
is then read as text and searched for each value and its normalised forms.
"""

from __future__ import annotations

import json
import unicodedata

import sqlalchemy as sa

from itworks import japanese
from testsupport import PASSWORD, csrf_token

PEOPLE = [
    {
        "name": "鰐淵 珠緒",
        "name_kana": "ワニブチ タマオ",
        "email": "Zq.Wanibuchi+Audit@Example.COM",
        "phone": "090-7357-2468",
        "employer": "株式会社鰐淵精機",
    },
    {
        "name": "𠮷野 ゑみ",
        "name_kana": "ヨシノ ヱミ",
        "email": "ｙｏｓｈｉｎｏ．ｅｍｉ@kasumi.example.jp",
        "phone": "０８０（９１４６）３０２１",
        "employer": "ゑみ商会Ｘｑ",
    },
]
NOTES = "相談メモ：霞ヶ関の秘密Qx7 転職理由は家族の介護"
OUTCOME = "結果メモ：面談日程Qx8 を調整"
CORRECTED_NAME = "鰐淵 新名乗"


def _forms(value: str) -> set[str]:
    """The value, its parts and the forms the app normalises it to."""
    forms = {value, japanese.nfkc(value), unicodedata.normalize("NFKC", value).lower()}
    forms.update(part for part in japanese.nfkc(value).split() if len(part) >= 2)
    if "@" in value:
        email = japanese.normalize_email(value)
        forms.update({email, email.split("@")[0]})
    digits = "".join(ch for ch in japanese.nfkc(value) if ch.isdigit())
    if len(digits) >= 10:
        forms.update({digits, digits[1:], japanese.normalize_phone(value)})
    return {f for f in forms if f}


def _signed_in(app, make_user, username: str, role: str):  # noqa: ANN001, ANN202
    make_user(username, role, PASSWORD)
    client = app.test_client()
    page = client.get("/login")
    reply = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert reply.status_code == 302
    return client


def _audit_text(app) -> tuple[int, str, list[str]]:  # noqa: ANN001
    """Every audit row, every column as text (the JSON as stored), and the actions."""
    from itworks.db import db

    with app.app_context():
        rows = db.session.execute(sa.text("SELECT * FROM audit_events ORDER BY seq")).mappings()
        rows = [dict(r) for r in rows]
        head = db.session.execute(sa.text("SELECT * FROM audit_chain_head")).mappings().all()
    parts = []
    for row in rows:
        for value in row.values():
            parts.append(value if isinstance(value, str) else json.dumps(value, default=str))
    parts.extend(str(v) for r in head for v in r.values())
    return len(rows), "\n".join(parts), [r["action"] for r in rows]


def test_no_personal_value_is_in_any_audit_column(
    app, make_user, make_registrant, runner, tmp_path
) -> None:
    from itworks.extensions import vault

    first, second = (make_registrant(**person) for person in PEOPLE)
    coordinator = _signed_in(app, make_user, "coord", "coordinator")

    # The registrant's page, the list, searches by email and by phone.
    page = coordinator.get(f"/registrants/{first}")
    assert page.status_code == 200 and PEOPLE[0]["name"] in page.text
    token = csrf_token(page.text)
    assert coordinator.get("/registrants/?origin=u_turn").status_code == 200
    for q in (PEOPLE[0]["email"], PEOPLE[1]["email"].upper(), PEOPLE[1]["phone"], "nobody@x.jp"):
        found = coordinator.post("/registrants/", data={"q": q, "csrf_token": token})
        assert found.status_code == 200
    assert (
        PEOPLE[1]["name"]
        in coordinator.post(
            "/registrants/", data={"q": PEOPLE[1]["phone"], "csrf_token": token}
        ).text
    )

    # A consultation with notes and an outcome, a contact, a confirmed tier.
    recorded = coordinator.post(
        f"/registrants/{first}/contacts",
        data={
            "kind": "career_consultation",
            "outcome": OUTCOME,
            "notes": NOTES,
            "csrf_token": token,
        },
    )
    assert recorded.status_code == 302, recorded.text
    assert NOTES in coordinator.get(f"/registrants/{first}").text
    assert (
        coordinator.post(
            f"/registrants/{second}/contacts",
            data={"kind": "phone", "notes": NOTES, "csrf_token": token},
        ).status_code
        == 302
    )
    assert (
        coordinator.post(
            f"/tiers/registrants/{first}/tier", data={"tier": "move_now", "csrf_token": token}
        ).status_code
        == 302
    )
    assert (
        coordinator.post(
            f"/tiers/registrants/{second}/contacts", data={"channel": "phone", "csrf_token": token}
        ).status_code
        == 302
    )
    for path in ("/today", "/tiers/registrants", "/tiers/recontact"):
        assert coordinator.get(path).status_code == 200, path

    # Logins where a personal value was typed as the user name, or as the password.
    stranger = app.test_client()
    for username, password in (
        (PEOPLE[0]["email"], "x"),
        (PEOPLE[1]["phone"], PEOPLE[1]["name"]),
        ("coord", PEOPLE[0]["email"]),
    ):
        login = stranger.get("/login")
        stranger.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf_token(login.text)},
        )

    # The admin's export and the privacy requests, named by email as a request would be.
    assert runner.invoke(["export", "registrants", str(tmp_path / "all.csv")]).exit_code == 0
    assert PEOPLE[0]["employer"] in (tmp_path / "all.csv").read_text(encoding="utf-8-sig")
    out = tmp_path / "disclosure"
    disclosed = runner.invoke(["privacy", "export", PEOPLE[0]["email"], "--out", str(out)])
    assert disclosed.exit_code == 0, disclosed.output
    assert NOTES in "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    corrected = runner.invoke(
        ["privacy", "correct", PEOPLE[0]["email"], "--field", "name"], input=CORRECTED_NAME + "\n"
    )
    assert corrected.exit_code == 0, corrected.output
    corrected = runner.invoke(
        ["privacy", "correct", first, "--field", "phone"], input="03-5219-8876\n"
    )
    assert corrected.exit_code == 0, corrected.output
    stopped = runner.invoke(["privacy", "stop-use", PEOPLE[1]["email"]])
    assert stopped.exit_code == 0, stopped.output

    # The admin reads the trail and downloads it.
    admin = _signed_in(app, make_user, "boss", "admin")
    assert admin.get("/admin/audit").status_code == 200
    assert admin.get("/admin/audit/entries.csv").status_code == 200

    erased = runner.invoke(["privacy", "erase", PEOPLE[1]["email"], "--yes"])
    assert erased.exit_code == 0, erased.output

    count, text, actions = _audit_text(app)
    # The walk really wrote the entries it is meant to check.
    for action in (
        "registrant.create",
        "registrant.view",
        "registrant.list",
        "contact.record",
        "contact.view",
        "contact.log",
        "tier.assign",
        "tier.list",
        "tier.recontact_list",
        "today.view",
        "login",
        "login.failed",
        "registrant.export",
        "registrant.disclose",
        "registrant.correct",
        "registrant.stop_use",
        "registrant.erase",
        "download",
    ):
        assert action in actions, action
    assert count == len(actions) > 20
    assert first in text and second in text  # records are named by public id

    forbidden = set()
    for person in PEOPLE:
        for value in person.values():
            forbidden |= _forms(value)
    forbidden |= _forms(NOTES) | _forms(OUTCOME) | _forms(CORRECTED_NAME) | _forms("03-5219-8876")
    forbidden |= {"霞ヶ関", "Qx7", "Qx8", "新名乗"}
    # Nor the blind indexes (a keyed digest of the email or phone is still about the person).
    with app.app_context():
        for person in PEOPLE:
            forbidden.add(vault().blind_index("email", japanese.normalize_email(person["email"])))
            forbidden.add(vault().blind_index("phone", japanese.normalize_phone(person["phone"])))
    leaks = sorted(value for value in forbidden if value in text)
    assert leaks == []
