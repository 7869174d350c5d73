"""The dashboard and the history page: figures, definitions, charts without inline
script, CSV downloads, and who may see what."""

from __future__ import annotations

import csv
import io
import re

import pytest
from funnelsupport import Records

from testsupport import PASSWORD


@pytest.fixture
def year(app, session) -> Records:  # noqa: ANN001
    """A few facts in 令和4年度, measured on 2022-11-20."""
    app.config["AS_OF_DATE"] = "2022-11-20"
    r = Records(session)
    people = [r.person(f"2022-0{m}-10T00:00:00Z") for m in (4, 5, 6, 7, 8, 9)]
    company = r.company()
    r.hire(people[0], "2022-10-01T00:00:00Z", company)
    for p in people[:3]:
        r.consultation(p, "2022-09-01T00:00:00Z")
    fair = r.fair(1, "2022-07-09T04:00:00Z")
    for p in people[:4]:
        r.signup(fair, p, "2022-06-20T00:00:00Z", "attended")
    return r


@pytest.mark.parametrize("role", ["prefecture", "coordinator", "admin"])
def test_dashboard_shows_each_measure_with_its_definition(client, auth, year, role) -> None:  # noqa: ANN001
    auth.login(f"u-{role}", PASSWORD, role=role)
    page = client.get("/")
    assert page.status_code == 200
    text = page.text
    assert "令和4年度（FY2022）" in text
    assert "2022-11-20（令和4年11月20日）" in text  # the as-of date, wareki beside it
    for label in ("UIターンIT技術者の採用数", "新規登録者数", "キャリア相談者数"):
        assert label in text
    # The written rule beside every number, in Japanese and English.
    assert "島根県内のIT企業に採用された人の数" in text
    assert "Distinct people with at least one career consultation" in text
    hires = _card(text, "hires")
    assert re.search(r"<strong>1</strong> / 30", hires)
    assert "遅れ" in hires and "status-behind" in hires
    assert "3%" in hires  # achievement 1/30
    assert "19.8" in hires  # expected by 20 November
    assert "推計" in hires  # last year's same date is estimated from FY2021's total
    registrants = _card(text, "new_registrants")
    assert re.search(r"<strong>6</strong> / 290", registrants)


def _card(text: str, key: str) -> str:
    start = text.index(f'id="measure-{key}"')
    end = text.find('id="measure-', start + 10)
    return text[start : end if end > 0 else len(text)]


def test_pages_carry_no_inline_script_and_load_plotly_locally(client, auth, year) -> None:  # noqa: ANN001
    auth.login("coord", PASSWORD, role="coordinator")
    for path in ("/", "/history", "/funnel/", "/publicity/"):
        text = client.get(path).text
        for tag in re.findall(r"<script[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert "cdn" not in text.lower()
        sources = re.findall(r'<script src="([^"]+)"', text)
        assert any("plotly" in s for s in sources), path
        for src in sources:
            assert src.startswith("/")
    plotly = next(s for s in sources if "plotly" in s)
    response = client.get(plotly)
    assert response.status_code == 200
    assert "javascript" in response.headers["Content-Type"]
    assert b"plotly.js" in response.data[:200]
    assert "immutable" in response.headers["Cache-Control"]
    response.close()


def test_chart_data_is_json(client, auth, year) -> None:  # noqa: ANN001
    import json

    auth.login("coord", PASSWORD, role="coordinator")
    text = client.get("/").text
    blocks = re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', text, re.S)
    assert {name for name, _ in blocks} >= {"chart-hires", "chart-new_registrants"}
    spec = json.loads(dict(blocks)["chart-hires"])
    pace, actual = spec["data"]
    assert pace["y"][-1] == 30.0 and len(pace["y"]) == 12
    assert actual["y"] == [0, 0, 0, 0, 0, 0, 1, 1]  # cumulative April–November


def test_history_page_formats_year_on_year_changes(client, auth, year) -> None:  # noqa: ANN001
    auth.login("pref", PASSWORD, role="prefecture")
    text = client.get("/history").text
    assert "平成30年度（FY2018）" in text and "令和4年度（FY2022）" in text
    assert "-6 人" in text and "70%" in text  # hires 20 → 14 (令和2年度)
    assert "+19 人" in text and "158%" in text  # consultations 33 → 52 (平成31年度)
    assert "81 / 60 / 16" in text
    assert "途中経過" in text


def test_csv_downloads_are_excel_friendly(client, auth, year) -> None:  # noqa: ANN001
    auth.login("pref", PASSWORD, role="prefecture")
    for path in ("/progress.csv", "/history.csv"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert response.data.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        assert len(rows) > 2
    rows = list(csv.reader(io.StringIO(client.get("/progress.csv").data.decode("utf-8-sig"))))
    # One KPI table everywhere: the dashboard CSV has the report sheet's columns.
    assert rows[0][:7] == ["区分", "指標", "実績", "目標", "達成率", "旧目標", "旧目標達成率"]
    hires = next(r for r in rows if r[1] == "UIターンIT技術者の採用数")
    assert hires[2:7] == ["1", "30", "3%", "20", "5%"]
    history = list(csv.reader(io.StringIO(client.get("/history.csv").data.decode("utf-8-sig"))))
    assert history[1][:3] == ["平成30年度", "2018", "210"]


@pytest.mark.parametrize("path", ["/?fy=abc", "/?fy=1800", "/progress.csv?fy=x", "/?fy=%00"])
def test_bad_fiscal_year_is_a_400_page_not_a_500(client, auth, year, path) -> None:  # noqa: ANN001
    auth.login("coord", PASSWORD, role="coordinator")
    assert client.get(path).status_code == 400


def test_other_fiscal_years_render(client, auth, year) -> None:  # noqa: ANN001
    auth.login("coord", PASSWORD, role="coordinator")
    assert client.get("/?fy=2021").status_code == 200
    assert client.get("/?fy=2030").status_code == 200


def test_anonymous_visitors_are_sent_to_login(client) -> None:  # noqa: ANN001
    for path in ("/", "/history", "/progress.csv", "/funnel/", "/publicity/"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_chart_pages_allow_only_plotly_own_styles(client, auth, year) -> None:  # noqa: ANN001
    auth.login("coord", PASSWORD, role="coordinator")
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    # the empty string's hash: plotly.js's empty <style> elements, filled via the CSSOM
    assert "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='" in policy
    assert "frame-ancestors 'none'" in policy
    # pages without charts keep the app's plain policy
    assert "sha256" not in client.get("/publicity/campaigns/new").headers["Content-Security-Policy"]
