"""今日の対応, the registrant list's search and filters, and the companies pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from coordinatorsupport import field_error

from itworks.models import (
    AuditEvent,
    Company,
    DataKey,
    Introduction,
    OutboxMessage,
    Registrant,
    TierAssignment,
)
from testsupport import PASSWORD, csrf_token

NOW = datetime(2022, 11, 20, 12, 0, tzinfo=UTC)


def _row(session, public_id: str) -> Registrant:  # noqa: ANN001
    session.commit()
    return session.scalar(sa.select(Registrant).where(Registrant.public_id == public_id))


def _tier(session, public_id: str, tier: str, at: datetime) -> None:  # noqa: ANN001
    session.add(
        TierAssignment(
            registrant_id=_row(session, public_id).id, tier=tier, method="import", assigned_at=at
        )
    )
    session.commit()


# ----------------------------------------------------------------- 今日の対応


def test_today_lists_each_kind_of_work_with_a_link_to_the_registrant(
    app, client, coordinator, make_registrant, company, session, vault
) -> None:
    from itworks.services.engagement import contacts, introductions

    # Registered on Friday 2022-11-11, never contacted: due by the 3rd business day
    # (Wed 16th), overdue on the 20th.
    late = make_registrant(name="初回 未連絡", registered_at=datetime(2022, 11, 11, 1, tzinfo=UTC))
    # Contacted, tiered long ago: a re-contact is due.
    again = make_registrant(name="再連絡 予定", registered_at=datetime(2022, 6, 1, tzinfo=UTC))
    _tier(session, again, "move_now", datetime(2022, 6, 2, tzinfo=UTC))
    contacts.record_contact(session, vault, again, "phone", at="2022-06-03", now=NOW)
    # Back in nurturing with a next contact that has come.
    nurtured = make_registrant(name="育成 中", registered_at=datetime(2022, 5, 1, tzinfo=UTC))
    contacts.record_contact(session, vault, nurtured, "email", at="2022-05-02", now=NOW)
    contacts.set_disposition(
        session,
        nurtured,
        "nurturing",
        "nurture_not_ready",
        next_contact_on="2022-11-01",
        at="2022-09-01",
        now=NOW,
    )
    # An introduction whose follow-up date has come, and a hire 3 months ago.
    followed = make_registrant(name="紹介 フォロー", registered_at=datetime(2022, 5, 1, tzinfo=UTC))
    contacts.record_contact(session, vault, followed, "email", at="2022-05-02", now=NOW)
    introductions.add_introduction(
        session,
        followed,
        company,
        items="name",
        consent_at="2022-10-01",
        at="2022-10-02",
        follow_up_on=date(2022, 11, 15),
        now=NOW,
    )
    hired = make_registrant(name="定着 確認", registered_at=datetime(2022, 4, 5, tzinfo=UTC))
    contacts.record_contact(session, vault, hired, "email", at="2022-04-06", now=NOW)
    made = introductions.add_introduction(
        session, hired, company, items="name", consent_at="2022-07-01", at="2022-07-02", now=NOW
    )
    introductions.move(session, made.public_id, "hired", at="2022-08-10", now=NOW)
    # A message that failed to send.
    session.add(
        OutboxMessage(
            message_id="<failed-1@itworks.example>",
            registrant_id=_row(session, hired).id,
            template="invitation",
            status="failed",
            reason="refused",
            attempts=5,
        )
    )
    session.commit()

    page = client.get("/today")
    assert page.status_code == 200
    html = page.text
    sections = {
        "first-contact": (late, "初回 未連絡"),
        "recontact": (again, "再連絡 予定"),
        "nurture": (nurtured, "育成 中"),
        "follow-up": (followed, "紹介 フォロー"),
        "settling": (hired, "定着 確認"),
        "mail": (hired, "定着 確認"),
    }
    for anchor, (public_id, name) in sections.items():
        start = html.index(f'id="{anchor}"')
        end = html.find('<section class="card"', start + 1)
        part = html[start : end if end > 0 else None]
        assert f'href="/registrants/{public_id}"' in part, anchor
        assert name in part, anchor
    assert "2022-11-16" in html  # the first contact's due day: 3 business days after Fri 11th
    assert "<failed-1@itworks.example>" not in html  # the Message-ID is not shown
    audit = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "today.view")).all()
    assert audit and all("初回" not in str(a.detail) for a in audit)

    # The settling check is recorded from 今日の対応 and leaves the list.
    hire_id = html.split(f"/registrants/{hired}/hires/")[1].split("/")[0]
    response = client.post(
        f"/registrants/{hired}/hires/{hire_id}/settling",
        data={
            "csrf_token": csrf_token(html),
            "months": "3",
            "outcome": "changed_employer_shimane",
            "back": "today",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/today#settling")
    again_html = client.get("/today").text
    settling = again_html[again_html.index('id="settling"') : again_html.index('id="mail"')]
    assert "定着 確認" not in settling


def test_people_who_stopped_use_leave_every_list_of_today(
    app, client, coordinator, make_registrant, company, session, vault
) -> None:
    """利用停止: nobody contacts them again, whichever list would have named them."""
    from itworks.services.engagement import contacts, introductions
    from itworks.services.privacy import stop_use

    late = make_registrant(name="停止 初回", registered_at=datetime(2022, 11, 11, 1, tzinfo=UTC))
    nurtured = make_registrant(name="停止 育成", registered_at=datetime(2022, 5, 1, tzinfo=UTC))
    contacts.record_contact(session, vault, nurtured, "email", at="2022-05-02", now=NOW)
    contacts.set_disposition(
        session,
        nurtured,
        "nurturing",
        "nurture_not_ready",
        next_contact_on="2022-11-01",
        at="2022-09-01",
        now=NOW,
    )
    followed = make_registrant(name="停止 紹介", registered_at=datetime(2022, 5, 1, tzinfo=UTC))
    introductions.add_introduction(
        session,
        followed,
        company,
        items="name",
        consent_at="2022-10-01",
        at="2022-10-02",
        follow_up_on=date(2022, 11, 15),
        now=NOW,
    )
    hired = make_registrant(name="停止 定着", registered_at=datetime(2022, 4, 5, tzinfo=UTC))
    made = introductions.add_introduction(
        session, hired, company, items="name", consent_at="2022-07-01", at="2022-07-02", now=NOW
    )
    introductions.move(session, made.public_id, "hired", at="2022-08-10", now=NOW)
    people = {"first-contact": late, "nurture": nurtured, "follow-up": followed, "settling": hired}

    def section(html: str, anchor: str) -> str:
        start = html.index(f'id="{anchor}"')
        end = html.find('<section class="card"', start + 1)
        return html[start : end if end > 0 else None]

    before = client.get("/today").text
    for anchor, public_id in people.items():
        assert f'href="/registrants/{public_id}"' in section(before, anchor), anchor
    for public_id in people.values():
        stop_use.stop_use(session, vault, public_id, now=NOW)
    after = client.get("/today").text
    for anchor, public_id in people.items():
        assert f'href="/registrants/{public_id}"' not in section(after, anchor), anchor


@pytest.mark.parametrize("path", ["/today", "/companies/", "/companies/{company}"])
def test_prefecture_staff_get_403(client, auth, company, path) -> None:
    auth.login("pref", PASSWORD, role="prefecture")
    assert client.get(path.format(company=company)).status_code == 403


def test_coordinators_land_on_today_after_login(client, auth) -> None:
    response = auth.login("coord2", PASSWORD, role="coordinator")
    assert response.status_code == 302 and response.headers["Location"] == "/today"
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/today").text)})
    staff = auth.login("pref2", PASSWORD, role="prefecture")
    assert staff.headers["Location"] == "/"


# ----------------------------------------------------------------- the registrant list


def _search(client, **data):  # noqa: ANN001, ANN202
    token = csrf_token(client.get("/registrants/").text)
    return client.post("/registrants/", data={"csrf_token": token, **data})


def test_search_by_email_phone_and_public_id_is_exact(client, coordinator, make_registrant) -> None:
    wanted = make_registrant(
        name="検索 花子", email="Hanako.Search@Example.jp", phone="090-2222-3333"
    )
    make_registrant(name="別の 人")
    for q in (
        "hanako.search@example.jp",
        "ＨＡＮＡＫＯ.search@example.jp",
        "09022223333",
        "090-2222-3333",
        "+81 90 2222 3333",
        wanted,
    ):
        html = _search(client, q=q).text
        assert "検索 花子" in html and "別の 人" not in html, q
    assert "検索 花子" not in _search(client, q="nobody@example.jp").text


def test_a_name_search_finds_part_of_a_name_but_not_one_character(
    client, coordinator, make_registrant
) -> None:
    make_registrant(name="検索 花子")
    make_registrant(name="別の 人")
    found = _search(client, q="花子")
    assert found.status_code == 200
    assert "検索 花子" in found.text and "別の 人" not in found.text
    response = _search(client, q="花")
    assert response.status_code == 422
    assert "2文字以上" in field_error(response.text, "q")
    assert "検索 花子" not in response.text


def test_the_search_term_never_reaches_a_url_or_the_audit(
    client, coordinator, make_registrant, session
) -> None:
    make_registrant(email="private.person@example.jp")
    html = _search(client, q="private.person@example.jp").text
    assert "q=private" not in html  # no pager or link carries it
    details = " ".join(str(a.detail) for a in session.scalars(sa.select(AuditEvent)))
    assert "private.person" not in details


def row_of_text(html: str, name: str) -> str:
    """The one table row of the page that holds ``name``."""
    rows = [r for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if name in r]
    assert len(rows) == 1, (name, len(rows))
    return rows[0]


def test_each_row_shows_its_current_tier_a_confirmation_over_a_proposal(
    client, coordinator, make_registrant, session
) -> None:
    """The page reads the tiers of its own rows: a later model proposal does not
    replace a confirmed tier, a proposal alone shows, no tier shows a dash."""
    confirmed = make_registrant(name="確定 済み")
    proposed = make_registrant(name="提案 のみ")
    make_registrant(name="未分類 さん")
    _tier(session, confirmed, "one_option", datetime(2022, 6, 2, tzinfo=UTC))
    for public_id, tier in ((confirmed, "move_now"), (proposed, "region_undecided")):
        session.add(
            TierAssignment(
                registrant_id=_row(session, public_id).id,
                tier=tier,
                method="model",
                assigned_at=datetime(2022, 7, 1, tzinfo=UTC),
            )
        )
    session.commit()
    html = client.get("/registrants/").text
    assert "UIターンも選択肢の一つ" in row_of_text(html, "確定 済み")
    assert "直ぐに島根へ" not in row_of_text(html, "確定 済み")
    assert "Iターンしたいが地域は未確定" in row_of_text(html, "提案 のみ")
    assert "—" in row_of_text(html, "未分類 さん")


def test_the_residence_reads_in_the_pages_language(client, coordinator, make_registrant) -> None:  # noqa: ANN001
    make_registrant(name="居住 確認", residence_prefecture="大阪府")
    assert "大阪府" in row_of_text(client.get("/registrants/").text, "居住 確認")
    client.get("/?lang=en")
    row = row_of_text(client.get("/registrants/").text, "居住 確認")
    assert "Osaka" in row and "大阪府" not in row


def test_the_reused_count_follows_every_write(client, coordinator, make_registrant, session, vault):  # noqa: ANN001
    """The list's total is reused between requests, never past a write that changes it."""
    from itworks.services.privacy import stop_use

    def total(query: str = "") -> int:
        html = client.get(f"/registrants/?{query}").text
        return int(re.search(r"<small>([\d,]+) 人</small>", html).group(1).replace(",", ""))

    first = make_registrant(origin="u_turn")
    assert (total(), total("origin=u_turn"), total("origin=i_turn")) == (1, 1, 0)
    assert total() == 1  # served again, unchanged
    make_registrant(origin="i_turn")
    assert (total(), total("origin=u_turn"), total("origin=i_turn")) == (2, 1, 1)
    stop_use.stop_use(session, vault, first, actor_label="test")
    assert (total(), total("origin=u_turn"), total("status=use_stopped")) == (1, 0, 1)


def test_filters_by_tier_status_origin_and_prefecture(
    client, coordinator, make_registrant, session, vault
) -> None:
    from itworks.services.engagement import contacts

    tokyo = make_registrant(name="東京 U", origin="u_turn", residence_prefecture="東京都")
    osaka = make_registrant(name="大阪 I", origin="i_turn", residence_prefecture="大阪府")
    _tier(session, osaka, "few_years", datetime(2022, 6, 2, tzinfo=UTC))
    contacts.set_disposition(session, tokyo, "dropped_out", "dropout_family", now=NOW)

    def names(query: str) -> set[str]:
        html = client.get(f"/registrants/?{query}").text
        return {n for n in ("東京 U", "大阪 I") if n in html}

    assert names("") == {"東京 U", "大阪 I"}
    assert names("tier=few_years") == {"大阪 I"}
    assert names("origin=u_turn") == {"東京 U"}
    assert names("prefecture=27") == {"大阪 I"}
    assert names("prefecture=大阪府") == {"大阪 I"}
    assert names("status=dropped_out") == {"東京 U"}
    assert names("status=active") == {"大阪 I"}
    contacts.set_disposition(
        session, tokyo, "nurturing", "nurture_not_ready", next_contact_on="2023-01-01", now=NOW
    )
    assert names("status=nurturing") == {"東京 U"}
    assert names("status=dropped_out") == set()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("tier=nope", "tier"),
        ("status=gone", "status"),
        ("origin=x", "origin"),
        ("prefecture=Atlantis", "prefecture"),
        ("prefecture=99", "prefecture"),
    ],
)
def test_a_bad_filter_names_the_field(client, coordinator, query, field) -> None:
    response = client.get(f"/registrants/?{query}")
    assert response.status_code == 422
    assert field_error(response.text, field)


def test_filters_survive_paging(app, client, coordinator, make_registrant) -> None:
    app.config["PAGE_SIZE"] = 2
    for _ in range(3):
        make_registrant(origin="i_turn")
    make_registrant(origin="u_turn")
    html = client.get("/registrants/?origin=i_turn").text
    assert "1 / 2" in html and "origin=i_turn" in html and "page=2" in html


# ----------------------------------------------------------------- companies


def test_companies_list_stages_and_the_detail_decrypts_the_contact(
    client, coordinator, company, make_registrant, session
) -> None:
    from itworks.services.engagement import introductions

    person = make_registrant(name="紹介 太郎")
    made = introductions.add_introduction(
        session,
        person,
        company,
        items="name,email",
        consent_at="2022-10-01",
        at="2022-10-02",
        now=NOW,
    )
    introductions.move(session, made.public_id, "interviewing", at="2022-10-10", now=NOW)
    html = client.get("/companies/").text
    assert "株式会社しまねテック" in html and f"/companies/{company}" in html
    assert "出雲 担当" not in html  # the list decrypts nothing
    detail = client.get(f"/companies/{company}").text
    assert "出雲 担当" in detail and "tanto@shimane-it.example.jp" in detail
    assert "0852-00-1234" in detail  # national format
    assert "紹介 太郎" in detail and "面接" in detail
    assert "第三者提供の記録" in detail and person in detail
    session.commit()
    viewed = session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "company.view", AuditEvent.entity_id == company
        )
    )
    assert viewed is not None  # committed by the service


def test_adding_a_company_from_the_page(client, coordinator, session) -> None:
    token = csrf_token(client.get("/companies/").text)
    good = client.post(
        "/companies/",
        data={
            "csrf_token": token,
            "name": "有限会社いずもソフト",
            "city": "出雲市",
            "contact_name": "松江 一郎",
            "contact_email": "ichiro@izumo.example.jp",
            "contact_phone": "0853-00-0000",
            "shimane_it": "1",
        },
    )
    assert good.status_code == 302
    session.commit()
    row = session.scalar(sa.select(Company).where(Company.name == "有限会社いずもソフト"))
    assert row.city == "出雲市" and row.contact_name_enc and b"ichiro" not in row.contact_email_enc


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "株式会社しまねテック"}, "name"),  # already there
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"contact_phone": "12"}, "contact_phone"),
        ({"city": "市" * 65}, "city"),
    ],
)
def test_a_bad_company_is_a_field_error_and_nothing_is_written(
    client, coordinator, company, session, count, data, field
) -> None:
    token = csrf_token(client.get("/companies/").text)
    body = {"csrf_token": token, "name": "合同会社テスト", "contact_name": "入力 保持", **data}
    response = client.post("/companies/", data=body)
    assert response.status_code == 422
    assert field_error(response.text, field)
    assert "入力 保持" in response.text  # what was typed is kept
    assert count(Company) == 1


def test_a_shredded_company_key_shows_no_contact_and_no_error(
    client, coordinator, company, session
) -> None:
    session.commit()
    row = session.scalar(sa.select(Company).where(Company.public_id == company))
    key = session.get(DataKey, row.data_key_id)
    key.wrapped = None
    session.commit()
    page = client.get(f"/companies/{company}")
    assert page.status_code == 200
    assert "出雲 担当" not in page.text and "削除されています" in page.text


def test_an_unknown_company_is_404(client, coordinator) -> None:
    assert client.get("/companies/nope").status_code == 404


def test_the_company_list_counts_only_its_introductions(
    client, coordinator, company, make_registrant, session
) -> None:
    from itworks.services.engagement import introductions

    for _ in range(2):
        introductions.add_introduction(
            session,
            make_registrant(),
            company,
            items="name",
            consent_at="2022-10-01",
            at="2022-10-02",
            now=NOW,
        )
    session.commit()
    assert session.scalar(sa.select(sa.func.count(Introduction.id))) == 2
    html = client.get("/companies/").text
    row = html[html.index("株式会社しまねテック") :].split("</tr>")[0]
    assert row.count(">2<") == 2  # 紹介 2, 計 2
