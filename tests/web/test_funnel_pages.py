"""Funnel, publicity, half-year notes and the report download: small cells hidden from
prefecture staff, forms for coordinators only, no 500 on bad input."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from funnelsupport import Records

from testsupport import PASSWORD, csrf_token

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture
def year(app, session) -> Records:  # noqa: ANN001
    """Twelve registrants in 令和4年度: 9 from Google, 3 from Twitter (a small cell)."""
    app.config["AS_OF_DATE"] = "2022-11-20"
    r = Records(session)
    google = [
        r.person("2022-05-10T00:00:00Z", utm_source="google", utm_campaign="fy2022_search")
        for _ in range(9)
    ]
    twitter = [
        r.person("2022-06-10T00:00:00Z", utm_source="twitter", utm_campaign="fy2022_sns")
        for _ in range(3)
    ]
    company = r.company()
    for p in google[:6]:
        r.consultation(p, "2022-07-01T00:00:00Z")
    r.consultation(twitter[0], "2022-07-01T00:00:00Z")
    r.hire(google[0], "2022-10-01T00:00:00Z", company)
    r.exit(twitter[1], "registered", "dropout_no_contact", "2022-08-01T00:00:00Z")
    from itworks.services.publicity import campaigns as publicity

    publicity.create_campaign(
        session,
        {
            "name": "検索広告",
            "channel": "web_ad",
            "utm_campaign": "fy2022_search",
            "starts_on": "2022-04-01",
            "cost_yen": "180000",
            "reach_target": "10000",
            "reach_actual": "12000",
        },
        actor_label="test",
    )
    return r


def test_coordinator_sees_every_count(client, auth, year) -> None:  # noqa: ANN001
    auth.login("coord", PASSWORD, role="coordinator")
    page = client.get("/funnel/?by=utm_source")
    assert page.status_code == 200
    row = _row(page.text, "twitter")
    # 3 registered, none surveyed, 1 consulted (a skipped stage is not counted)
    assert re.findall(r'<td class="num">(\d+)', row)[:3] == ["3", "0", "1"]
    assert "<5" not in page.text


def test_prefecture_sees_small_cells_hidden(client, auth, year) -> None:  # noqa: ANN001
    auth.login("pref", PASSWORD, role="prefecture")
    page = client.get("/funnel/?by=utm_source")
    assert page.status_code == 200
    row = _row(page.text, "twitter")
    assert "&lt;5" in row
    # The stage tables: no count of 1 to 4 anywhere.
    stage_part = page.text[: page.text.index('id="first_contact"')]
    for number in re.findall(r'<td class="num">(\d+)', stage_part):
        assert not 1 <= int(number) < 5
    # The first-contact breakdown (of each month's new registrants, which the
    # dashboard publishes exactly) hides its small cells too.
    for row in _csv(client.get("/funnel/first_contact.csv"))[1:]:
        for value in row[2:5]:
            assert not (value.isdigit() and 1 <= int(value) < 5), row
    csv_rows = _csv(client.get("/funnel/stages.csv?by=utm_source"))
    twitter = next(r for r in csv_rows if r[0] == "twitter")
    assert twitter[1] == "<5"
    for line in csv_rows[1:]:
        for value in line[1:8]:
            assert not (value.isdigit() and 1 <= int(value) < 5)


def _row(text: str, label: str) -> str:
    start = text.index(f'<th scope="row">{label}</th>')
    return text[start : text.index("</tr>", start)]


def _csv(response) -> list[list[str]]:  # noqa: ANN001
    assert response.status_code == 200
    assert response.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


@pytest.mark.parametrize("split", ["tier", "origin", "utm_source", "month"])
@pytest.mark.parametrize("role", ["prefecture", "coordinator"])
def test_every_split_renders(client, auth, year, split, role) -> None:  # noqa: ANN001
    auth.login(f"u-{role}", PASSWORD, role=role)
    assert client.get(f"/funnel/?by={split}").status_code == 200
    for table in ("stages", "exits", "timing"):
        assert client.get(f"/funnel/{table}.csv?by={split}").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/funnel/?by=name",
        "/funnel/?fy=abc",
        "/funnel/stages.csv?fy=1800",
        "/publicity/?model=everything",
        "/publicity/?fy=２０２２",
        "/reports/implementation.xlsx?fy=x",
    ],
)
def test_bad_input_is_400_not_500(client, auth, year, path) -> None:  # noqa: ANN001
    auth.login("coord", PASSWORD, role="coordinator")
    assert client.get(path).status_code == 400


def test_unknown_csv_is_404(client, auth, year) -> None:  # noqa: ANN001
    auth.login("coord", PASSWORD, role="coordinator")
    assert client.get("/funnel/people.csv").status_code == 404


def test_publicity_attribution_and_cost(client, auth, year) -> None:  # noqa: ANN001
    auth.login("coord", PASSWORD, role="coordinator")
    text = client.get("/publicity/").text
    row = text[text.index("検索広告") : text.index("</tr>", text.index("検索広告"))]
    assert "120%" in row  # reach 12,000 of 10,000
    assert "￥20,000" in row  # 180,000 yen / 9 registrants
    assert "￥30,000" in row  # per consultation (6)
    assert "￥180,000" in row  # per hire (1)
    rows = _csv(client.get("/publicity/campaigns.csv"))
    assert rows[1][0] == "検索広告" and rows[1][10] == "9"


def test_prefecture_publicity_hides_small_attributions(client, auth, year) -> None:  # noqa: ANN001
    auth.login("pref", PASSWORD, role="prefecture")
    text = client.get("/publicity/").text
    row = text[text.index("検索広告") : text.index("</tr>", text.index("検索広告"))]
    assert "&lt;5" in row  # one hire
    assert row.count("￥180,000") == 1  # the cost itself; cost per hire would reveal the hire
    rows = _csv(client.get("/publicity/campaigns.csv"))
    assert rows[1][14] == "<5"
    mix = _csv(client.get("/publicity/channels.csv"))
    for line in mix[1:]:
        for value in line[1:-1]:
            assert not (value.isdigit() and 1 <= int(value) < 5)
    # A month's total is the month's new registrants, published exactly on the
    # dashboard: the channel mix shows the same figure (June: the 3 from Twitter), and
    # the channels within it stay hidden.
    monthly = _csv(client.get("/monthly.csv"))
    column = monthly[0].index("新規登録者数（月）")
    registered = {row[0][5:]: row[column] for row in monthly[1:] if row[column]}
    assert {line[0]: line[-1] for line in mix[1:-1]} == registered
    june = next(line for line in mix if line[0] == "6月")
    assert june[-1] == "3" and "3" not in june[1:-1]


def test_coordinator_creates_and_edits_a_campaign(client, auth, year, session) -> None:  # noqa: ANN001
    from itworks.models import AuditEvent, Campaign

    auth.login("coord", PASSWORD, role="coordinator")
    form = client.get("/publicity/campaigns/new")
    assert form.status_code == 200
    data = {
        "csrf_token": csrf_token(form.text),
        "name": "SNS広告 秋",
        "channel": "sns",
        "utm_campaign": "fy2022_sns",
        "starts_on": "2022-09-01",
        "ends_on": "2022-10-31",
        "cost_yen": "50,000",
        "reach_target": "5000",
        "reach_actual": "",
        "clicks": "",
        "evaluation": "",
    }
    response = client.post("/publicity/campaigns/new", data=data)
    assert response.status_code == 302
    campaign = session.scalar(sa.select(Campaign).where(Campaign.utm_campaign == "fy2022_sns"))
    assert campaign.cost_yen == 50000 and campaign.reach_actual is None
    edit = client.get(f"/publicity/campaigns/{campaign.public_id}/edit")
    data.update(csrf_token=csrf_token(edit.text), reach_actual="6100", evaluation="反応良好")
    assert (
        client.post(f"/publicity/campaigns/{campaign.public_id}/edit", data=data).status_code == 302
    )
    session.rollback()  # end the test session's read snapshot
    session.refresh(campaign)
    assert campaign.reach_actual == 6100 and campaign.evaluation == "反応良好"
    actions = set(session.scalars(sa.select(AuditEvent.action)))
    assert {"campaign.create", "campaign.update"} <= actions


def test_campaign_form_errors_are_bilingual_per_field(client, auth, year) -> None:  # noqa: ANN001
    auth.login("coord", PASSWORD, role="coordinator")
    form = client.get("/publicity/campaigns/new")
    response = client.post(
        "/publicity/campaigns/new",
        data={
            "csrf_token": csrf_token(form.text),
            "name": "",
            "channel": "billboard",
            "utm_campaign": "fy2022_search",
            "starts_on": "2022-13-01",
            "cost_yen": "-1",
        },
    )
    assert response.status_code == 422
    errors = re.findall(r'<p class="field-error"[^>]*>([^<]+)</p>', response.text)
    assert len(errors) >= 4
    assert all(JAPANESE.search(e) for e in errors)  # the page's language
    taken = client.post(
        "/publicity/campaigns/new",
        data={
            "csrf_token": csrf_token(form.text),
            "name": "重複",
            "channel": "sns",
            "utm_campaign": "fy2022_search",
            "starts_on": "2022-04-01",
            "cost_yen": "0",
        },
    )
    assert taken.status_code == 422 and "この utm_campaign は使われています" in taken.text


def test_campaign_form_needs_csrf(client, auth, year) -> None:  # noqa: ANN001
    auth.login("coord", PASSWORD, role="coordinator")
    response = client.post("/publicity/campaigns/new", data={"name": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    ["/publicity/campaigns/new", "/notes/2022/hires/first"],
)
def test_prefecture_cannot_edit(client, auth, year, path) -> None:  # noqa: ANN001
    auth.login("pref", PASSWORD, role="prefecture")
    assert client.get(path).status_code == 403
    assert client.post(path, data={}).status_code in (400, 403)


def test_half_year_note_is_saved_and_shown(client, auth, year) -> None:  # noqa: ANN001
    auth.login("coord", PASSWORD, role="coordinator")
    form = client.get("/notes/2022/hires/first")
    assert form.status_code == 200
    response = client.post(
        "/notes/2022/hires/first",
        data={
            "csrf_token": csrf_token(form.text),
            "done": "東京・大阪でフェアを開催",
            "countermeasures": "下期は企業訪問を増やす",
        },
    )
    assert response.status_code == 302
    auth.logout()
    auth.login("pref", PASSWORD, role="prefecture")
    page = client.get("/").text
    hires = page[page.index('id="measure-hires"') : page.index('id="measure-new_registrants"')]
    assert "東京・大阪でフェアを開催" in hires and "下期は企業訪問を増やす" in hires
    assert "/notes/2022" not in page  # no edit link for prefecture staff


@pytest.mark.parametrize(
    "path", ["/notes/2022/profit/first", "/notes/2022/hires/third", "/notes/1800/hires/first"]
)
def test_unknown_note_is_404(client, auth, year, path) -> None:  # noqa: ANN001
    auth.login("coord", PASSWORD, role="coordinator")
    assert client.get(path).status_code == 404


def test_note_too_long_is_a_bilingual_error(client, auth, year) -> None:  # noqa: ANN001
    auth.login("coord", PASSWORD, role="coordinator")
    form = client.get("/notes/2022/consultations/second")
    response = client.post(
        "/notes/2022/consultations/second",
        data={"csrf_token": csrf_token(form.text), "done": "あ" * 4001, "countermeasures": ""},
    )
    assert response.status_code == 422
    assert "4000文字以内で入力してください" in response.text
    client.get("/?lang=en")
    english = client.post(
        "/notes/2022/consultations/second",
        data={"csrf_token": csrf_token(form.text), "done": "あ" * 4001, "countermeasures": ""},
    )
    assert english.status_code == 422
    assert "At most 4000 characters" in english.text


@pytest.mark.parametrize("role", ["prefecture", "coordinator"])
def test_report_download_opens_with_openpyxl(client, auth, year, role) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    auth.login(f"u-{role}", PASSWORD, role=role)
    response = client.get("/reports/implementation.xlsx?fy=2022")
    assert response.status_code == 200
    assert "spreadsheetml" in response.mimetype
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[0] == "表紙"
    kpi = book["KGI・KPI"]
    values = {row[1]: row[2] for row in kpi.iter_rows(min_row=3, values_only=True) if row[1]}
    assert values["UIターンIT技術者の採用数"] == 1
    assert values["新規登録者数"] == 12
    assert values["キャリア相談者数"] == 7
