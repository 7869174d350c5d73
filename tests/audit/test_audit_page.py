"""The admin audit page (/admin/audit): admins only, filters, paging, CSV, bad
input beside its field (422, translated), and no personal value on the page."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from html import unescape

import pytest
import sqlalchemy as sa

from testsupport import PASSWORD, csrf_token


def _login(app, make_user, username: str, role: str):  # noqa: ANN001, ANN202
    """A test client of its own, signed in as a new user with ``role``."""
    make_user(username, role, PASSWORD)
    client = app.test_client()
    page = client.get("/login")
    reply = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert reply.status_code == 302, reply.text
    return client


def _rows(html: str) -> list[str]:
    """The text of each row of the entries table (tags dropped)."""
    body = html.split('<table class="audit-log">', 1)[1].split("</table>", 1)[0]
    body = body.split("<tbody>", 1)[1]
    return [
        " ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def _record(app, action: str, *, at: datetime | None = None, **fields) -> None:  # noqa: ANN001, ANN003
    from itworks.db import db
    from itworks.services import audit

    with app.app_context():
        event = audit.record(db.session, action, **fields)
        if at is not None:
            event.at = at  # before the flush, so the chain covers it
        db.session.commit()


@pytest.fixture
def admin(app, make_user):  # noqa: ANN001, ANN201
    return _login(app, make_user, "boss", "admin")


def test_admin_sees_the_entries_of_real_actions(app, make_user, make_registrant, admin) -> None:
    public_id = make_registrant()
    coordinator = _login(app, make_user, "coord", "coordinator")
    assert coordinator.get(f"/registrants/{public_id}").status_code == 200
    assert coordinator.get("/admin/audit").status_code == 403
    stranger = app.test_client()
    page = stranger.get("/login")
    stranger.post(
        "/login",
        data={"username": "coord", "password": "wrong", "csrf_token": csrf_token(page.text)},
    )

    response = admin.get("/admin/audit")
    assert response.status_code == 200
    rows = _rows(response.text)
    text = "\n".join(rows)
    assert re.search(rf"coord registrant\.view registrant {public_id} 成功", text)
    assert re.search(r"coord access\.refused endpoint audit\.index 拒否", text)
    assert re.search(r"anonymous login\.failed user coord 失敗 locked false", text)
    assert re.search(rf"system registrant\.create registrant {public_id} 成功 source", text)
    # Times are Japan time with the fiscal year, the app's one date format.
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d \(令和\d+年度（FY\d{4}）\)", rows[0])
    # The entity links to the registrant's page.
    assert f'href="/registrants/{public_id}"' in response.text
    # The page says how many entries there are.
    with app.app_context():
        from itworks.db import db
        from itworks.models import AuditEvent

        total = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    assert f"<small>{total} 件</small>" in response.text
    english = admin.get("/admin/audit?lang=en")
    assert english.status_code == 200
    assert "Refused" in english.text and "FY" in english.text


def test_filters_select_the_entries(app, admin) -> None:
    _record(app, "registrant.view", actor_label="alice", entity_type="registrant", entity_id="R-1")
    _record(app, "registrant.export", actor_label="bob", entity_type="registrant", rows=3)
    _record(app, "registrant", actor_label="carol")  # not matched by "registrant.*"
    _record(app, "login.failed", actor_label="anonymous", outcome="failed", locked=False)
    _record(app, "old.thing", actor_label="dave", at=datetime(2022, 3, 31, 15, 30, tzinfo=UTC))
    _record(app, "old.thing", actor_label="erin", at=datetime(2022, 3, 31, 14, 30, tzinfo=UTC))

    def actions(query: str) -> list[str]:
        response = admin.get(f"/admin/audit?{query}")
        assert response.status_code == 200, response.text
        return [row.split()[4] for row in _rows(response.text) if "記録" not in row]

    assert actions("action=registrant.*") == ["registrant.export", "registrant.view"]
    assert actions("action=registrant") == ["registrant"]
    assert actions("actor=bob") == ["registrant.export"]
    assert actions("entity_id=R-1") == ["registrant.view"]
    assert actions("entity_type=registrant&action=registrant.v*") == ["registrant.view"]
    assert actions("outcome=failed") == ["login.failed"]
    # Days are Japan days, both ends included: 2022-03-31T15:30Z is 1 April 00:30 JST.
    assert actions("since=2022-04-01&until=2022-04-01") == ["old.thing"]
    assert "dave" in admin.get("/admin/audit?until=2022-04-01&since=2022-04-01").text
    assert actions("until=2022-03-31") == ["old.thing"]
    assert "erin" in admin.get("/admin/audit?until=2022-03-31").text
    assert actions("since=2022-03-31&until=2022-04-01") == ["old.thing", "old.thing"]
    # "_" and "%" in a prefix are letters, not LIKE wildcards.
    _record(app, "tier.re_x", actor_label="frank")
    _record(app, "tier.rebx", actor_label="frank")
    _record(app, "tier.re%y", actor_label="frank")
    assert actions("action=tier.re_*") == ["tier.re_x"]
    assert actions("action=tier.re%25*") == ["tier.re%y"]
    empty = admin.get("/admin/audit?actor=nobody")
    assert "条件に合う記録はありません。" in empty.text
    # The filter form keeps what was chosen.
    kept = admin.get("/admin/audit?outcome=failed&action=login.*")
    assert '<option value="failed" selected>' in kept.text
    assert 'name="action" value="login.*"' in kept.text
    # The actions that occur are offered as choices.
    assert '<option value="registrant.export">' in kept.text


DATE_JA, DATE_EN = "日付は 2022-04-01 の形で入力してください", "Use a date like 2022-04-01"
LABELS = {
    "since": ("開始日", "Start date"),
    "until": ("終了日", "End date"),
    "outcome": ("結果", "Outcome"),
    "page": ("ページ", "Page"),
    "actor": ("操作者", "Actor"),
}


@pytest.mark.parametrize(
    ("query", "field", "ja", "en"),
    [
        ("since=2022-13-01", "since", DATE_JA, DATE_EN),
        ("until=yesterday", "until", DATE_JA, DATE_EN),
        ("since=1999-12-31", "since", DATE_JA, DATE_EN),
        (
            "since=2022-05-02&until=2022-05-01",
            "until",
            "終了日は開始日以降にしてください",
            "The end date must be on or after the start date",
        ),
        ("outcome=maybe", "outcome", "結果の値が正しくありません", "Unknown outcome"),
        ("page=0", "page", "ページは 1 以上の整数で指定してください", None),
        ("page=99999999999999999999", "page", "ページは 1 以上の整数で指定してください", None),
        ("actor=" + "x" * 65, "actor", "64 文字以内で入力してください", None),
    ],
)
def test_bad_filter_input_is_named_beside_its_field(admin, query, field, ja, en) -> None:  # noqa: ANN001
    def beside(html: str) -> str:
        found = re.search(rf'class="field-error" id="e-{field}">([^<]*)<', html)
        assert found, html
        return unescape(found.group(1))

    response = admin.get(f"/admin/audit?{query}")
    assert response.status_code == 422
    assert ja in beside(response.text)
    # The summary names the field by its label.
    assert f"<li>{LABELS[field][0]}: " in response.text
    if field != "page":
        assert re.search(
            rf'name="{field}"[^>]* aria-invalid="true" aria-describedby="e-{field}"', response.text
        )
    assert 'class="audit-log"' not in response.text  # nothing was shown
    csv_reply = admin.get(f"/admin/audit/entries.csv?{query}")
    assert csv_reply.status_code == 422
    assert "Content-Disposition" not in csv_reply.headers
    english = admin.get(f"/admin/audit?{query}&lang=en")
    assert english.status_code == 422
    assert f"<li>{LABELS[field][1]}: " in english.text
    if en is not None:  # the app's own messages: the catalogue has their English
        assert en in beside(english.text)
        assert ja not in english.text


def test_every_bad_field_is_named_at_once(admin) -> None:
    response = admin.get("/admin/audit?since=2022-02-30&outcome=maybe&page=x")
    assert response.status_code == 422
    for field in ("since", "outcome", "page"):
        assert f'id="e-{field}"' in response.text


def test_a_single_day_is_not_refused(admin) -> None:
    assert admin.get("/admin/audit?since=2022-05-01&until=2022-05-01").status_code == 200


def test_paging_keeps_the_filters(app, admin) -> None:
    app.config["PAGE_SIZE"] = 3
    for n in range(7):
        _record(app, "paged.event", actor_label="pager", entity_type="thing", entity_id=f"t{n}")
    _record(app, "other.event", actor_label="pager")
    first = admin.get("/admin/audit?action=paged.*&actor=pager")
    assert first.status_code == 200
    assert [r.split()[6] for r in _rows(first.text)] == ["t6", "t5", "t4"]
    assert "1 / 3" in first.text
    nxt = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert nxt
    url = unescape(nxt.group(1))
    assert "action=paged.*" in url.replace("%2A", "*") and "actor=pager" in url and "page=2" in url
    second = admin.get(url)
    assert [r.split()[6] for r in _rows(second.text)] == ["t3", "t2", "t1"]
    third = admin.get(unescape(re.search(r'<a href="([^"]+)" rel="next">', second.text).group(1)))
    assert [r.split()[6] for r in _rows(third.text)] == ["t0"]
    assert 'rel="next"' not in third.text
    prev = unescape(re.search(r'<a href="([^"]+)" rel="prev">', third.text).group(1))
    assert "actor=pager" in prev and "page=2" in prev
    shown = [r for page in (first, second, third) for r in _rows(page.text)]
    assert len(shown) == 7 and not [r for r in shown if "other.event" in r]


def test_csv_holds_every_filtered_entry_and_is_audited(app, admin) -> None:
    from itworks.web import audit as audit_page

    audit_page.CSV_BATCH, saved = 2, audit_page.CSV_BATCH  # several batches
    try:
        for n in range(5):
            _record(
                app, "csv.event", actor_label="exporter", entity_type="thing", entity_id=f"c{n}"
            )
        _record(app, "csv.other", actor_label="exporter")
        response = admin.get("/admin/audit/entries.csv?action=csv.event")
    finally:
        audit_page.CSV_BATCH = saved
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == list(audit_page.CSV_HEADER)
    assert [r[5] for r in rows[1:]] == ["c4", "c3", "c2", "c1", "c0"]
    assert {r[3] for r in rows[1:]} == {"csv.event"}
    assert all(r[0].endswith("+09:00") for r in rows[1:])
    # The download itself is in the trail, like every attachment.
    page = admin.get("/admin/audit?action=download")
    assert re.search(
        r"boss download endpoint audit\.entries_csv 成功 filename audit-log\.csv",
        "\n".join(_rows(page.text)),
    )


def test_viewing_the_page_writes_no_entry(app, admin) -> None:
    """Like the other pages without personal data (the dashboard, the funnel), the
    page is not audited; its CSV download is (above)."""
    from itworks.db import db
    from itworks.models import AuditEvent

    def count() -> int:
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))

    before = count()
    assert admin.get("/admin/audit?action=login").status_code == 200
    assert admin.get("/admin/audit?since=bad").status_code == 422
    assert count() == before


def test_only_admins_reach_the_page(app, make_user, client) -> None:
    for path in ("/admin/audit", "/admin/audit/entries.csv"):
        anonymous = client.get(path)
        assert anonymous.status_code == 302
        assert anonymous.headers["Location"].startswith("/login")
    for role in ("coordinator", "prefecture"):
        signed_in = _login(app, make_user, f"user-{role}", role)
        assert signed_in.get("/admin/audit").status_code == 403
        assert signed_in.get("/admin/audit/entries.csv?action=x").status_code == 403
        assert "/admin/audit" not in signed_in.get("/").text  # no menu entry
    boss = _login(app, make_user, "boss2", "admin")
    home = boss.get("/")
    assert 'href="/admin/audit"' in home.text and "監査ログ" in home.text


def test_no_personal_value_appears_on_the_page(app, make_user, make_registrant, admin) -> None:
    values = {
        "name": "鰐淵 珠緒",
        "name_kana": "ワニブチ タマオ",
        "email": "Wanibuchi.Tamao@Example.JP",
        "phone": "090-7357-2468",
        "employer": "株式会社鰐淵精機",
    }
    public_id = make_registrant(**values)
    coordinator = _login(app, make_user, "coord", "coordinator")
    assert coordinator.get(f"/registrants/{public_id}").status_code == 200
    listing = coordinator.get("/registrants/")
    assert (
        coordinator.post(
            "/registrants/", data={"q": values["email"], "csrf_token": csrf_token(listing.text)}
        ).status_code
        == 200
    )
    seen = []
    for query in ("", "?action=registrant.*", f"?entity_id={public_id}", "?lang=en"):
        page = admin.get(f"/admin/audit{query}")
        assert page.status_code == 200
        assert public_id in page.text
        seen.append(unescape(page.text))
    seen.append(admin.get("/admin/audit/entries.csv").data.decode("utf-8"))
    everything = "\n".join(seen)
    forms = {
        *values.values(),
        values["email"].lower(),
        "07357",
        "7357-2468",
        "09073572468",
        "+819073572468",
        "鰐淵",
        "珠緒",
        "ワニブチ",
        "タマオ",
    }
    assert [v for v in forms if v in everything] == []
