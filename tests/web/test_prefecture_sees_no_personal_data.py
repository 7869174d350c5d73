"""Prefecture staff see aggregates only: every page and download they can open,
with seeded known personal values in the database, holds none of them."""

from __future__ import annotations

import re

import sqlalchemy as sa

from testsupport import PASSWORD

NAME, KANA, EMAIL, PHONE, EMPLOYER = (
    "秘密 花子",
    "ヒミツ ハナコ",
    "himitsu@example.jp",
    "090-9999-8888",
    "極秘商事",
)


def test_every_get_page_hides_personal_values_from_the_prefecture(
    app, client, auth, make_registrant, session
) -> None:
    from itworks.models import Event, Registrant

    public_id = make_registrant(
        name=NAME, name_kana=KANA, email=EMAIL, phone=PHONE, employer=EMPLOYER
    )
    registrant = session.scalar(sa.select(Registrant).where(Registrant.public_id == public_id))
    event_id = session.scalar(sa.select(Event.public_id).limit(1)) or "none"
    auth.login("pref", PASSWORD, role="prefecture")
    values = {
        "public_id": public_id,
        "id": str(registrant.id),
        "event": event_id,
        "token": "x",
        "fy": "2022",
        "measure": "hires",
        "half": "first",
        "kind": "registrants",
        "name": "x",
        "filename": "style.css",
    }
    opened = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = re.sub(rf"<(?:[a-z]+:)?{arg}>", values.get(arg, "x"), path)
        response = client.get(path)
        assert response.status_code != 500, path
        body = response.get_data().decode("utf-8", errors="replace")
        response.close()
        for secret in (NAME, KANA, EMAIL, "9999-8888", "+819099998888", EMPLOYER):
            assert secret not in body, f"{path} shows a personal value"
        opened += response.status_code == 200
    assert opened >= 5  # the dashboard, history, funnel, publicity, tallies at least
