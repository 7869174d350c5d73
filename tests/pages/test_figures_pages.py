"""What the figure pages render: formats from one module, charts that read right in
both languages, a named refusal for a bad fy/by, labels instead of codes."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from funnelsupport import Records

from testsupport import PASSWORD

YEN_FRACTION = re.compile(r"[¥￥][\d,]*\.\d")


def _chart(html: str, chart_id: str) -> dict:
    match = re.search(
        rf'<script type="application/json" id="{chart_id}">(.*?)</script>', html, re.S
    )
    assert match, chart_id
    return json.loads(match.group(1))


# ----------------------------------------------------------------------------- formats


@pytest.fixture
def formats(app):  # noqa: ANN001, ANN201
    from itworks.web import figures

    with app.test_request_context("/"):
        yield figures


def test_yen_is_whole_and_missing_is_a_dash(formats) -> None:  # noqa: ANN001
    with force_locale("ja"):
        assert formats.yen(21052.6) == "￥21,053"
        assert formats.yen(0) == "￥0"
        assert formats.yen(None) == "—"
        assert formats.yen(float("nan")) == "—"
    with force_locale("en"):
        assert formats.yen(21052.6) == "¥21,053"


def test_shares_points_and_markers(formats) -> None:  # noqa: ANN001
    with force_locale("en"):
        assert formats.share(0.125, 1) == "12.5%"
        assert formats.share(float("nan")) == "—"
        assert formats.share("<5") == "<5"
        assert formats.points(0.034) == "+3.4 pt"
        assert formats.points(-0.2) == "-20.0 pt"
        assert formats.points(None) == "—"
        assert formats.count(float("nan")) == "—"


def test_month_and_year_labels_follow_the_language(formats) -> None:  # noqa: ANN001
    with force_locale("en"):
        assert formats.month_labels(2022)[:3] == ["Apr", "May", "Jun"]
        assert formats.fy_labels([2018, 2022]) == ["FY2018", "FY2022"]
        assert formats.day(date(2022, 4, 1)) == "2022-04-01"
    with force_locale("ja"):
        assert formats.month_labels(2022)[0] == "4月"
        assert formats.month_labels(2022)[-1] == "3月"
        assert formats.fy_labels([2018, 2022]) == ["平成30年度", "令和4年度"]
        assert formats.day(date(2022, 4, 1)) == "2022-04-01（令和4年4月1日）"


@pytest.mark.parametrize(("top", "step"), [(0, 1), (3, 1), (7, 2), (29, 5), (300, 50)])
def test_count_axes_step_by_whole_numbers_and_leave_room(formats, top, step) -> None:  # noqa: ANN001
    axis = formats.count_axis([top, None, "<5"])
    assert axis["dtick"] == step and isinstance(axis["dtick"], int)
    assert axis["range"][1] > top and axis["automargin"] is True
    assert axis["tickformat"] == ",d"


# The figure pages' templates (events/, registrants/… are checked by their own tests).
OWN_TEMPLATES = ("main", "funnel", "publicity", "surveys", "tiers")


def test_no_template_does_arithmetic_on_a_figure() -> None:
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "itworks" / "templates"
    arithmetic = re.compile(r"\(\s*(100\s*\*|[\w.]+\s*/\s*[\w.]+)[^)]*\)\s*\|\s*(pct|fixed|num)")
    found = [
        str(p.relative_to(templates))
        for folder in OWN_TEMPLATES
        for p in (templates / folder).rglob("*.html")
        if arithmetic.search(p.read_text(encoding="utf-8"))
    ]
    assert found == []


# ----------------------------------------------------------------------------- bad parameters


@pytest.mark.parametrize(
    ("path", "name", "value", "back"),
    [
        ("/funnel/?fy=abc&by=origin", "fy", "abc", "/funnel/?by=origin"),
        ("/funnel/?by=shoe_size", "by", "shoe_size", "/funnel/"),
        ("/?fy=1800", "fy", "1800", "/"),
        ("/surveys/tallies?fy=20x2", "fy", "20x2", "/surveys/tallies"),
        ("/surveys/tallies?by=height", "by", "height", "/surveys/tallies"),
        ("/publicity/?model=everything", "model", "everything", "/publicity/"),
    ],
)
def test_a_bad_parameter_page_names_the_value_and_links_back(
    client, auth, path, name, value, back
) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    page = client.get(path)
    assert page.status_code == 400
    assert f"{name} の値「{value}」は使えません" in page.text
    assert f'href="{back}"' in page.text


def test_a_refused_value_is_escaped_and_shortened(client, auth) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    page = client.get("/funnel/?fy=<script>" + "9" * 80)
    assert page.status_code == 400
    assert "<script>9" not in page.text and "&lt;script&gt;" in page.text
    assert "9" * 60 not in page.text


def test_the_api_names_the_parameter_in_json(client, auth) -> None:
    auth.login("pref", PASSWORD, role="prefecture")
    response = client.get("/api/v1/funnel?fy=abc")
    assert response.status_code == 422
    assert "fy" in response.get_json()["errors"]


# ----------------------------------------------------------------------------- charts


@pytest.fixture
def year(app, session) -> Records:  # noqa: ANN001
    app.config["AS_OF_DATE"] = "2022-11-20"
    r = Records(session)
    people = [r.person("2022-05-10T00:00:00Z", utm_campaign="fy2022_search") for _ in range(9)]
    r.consultation(people[0], "2022-07-01T00:00:00Z")
    r.hire(people[0], "2022-10-01T00:00:00Z", r.company())
    from itworks.services.publicity import campaigns as publicity

    publicity.create_campaign(
        session,
        {
            "name": "検索広告",
            "channel": "web_ad",
            "utm_campaign": "fy2022_search",
            "starts_on": "2022-04-01",
            "cost_yen": "190000",
        },
        actor_label="test",
    )
    return r


def test_history_chart_in_english_has_fy_labels_and_whole_steps(client, auth, year) -> None:
    auth.login("pref", PASSWORD, role="prefecture")
    page = client.get("/history?lang=en")
    chart = _chart(page.text, "chart-history")
    labels = chart["data"][0]["x"]
    assert labels[0] == "FY2018" and "FY2022" in labels
    assert not any("年度" in x for x in labels)
    for axis in ("yaxis", "yaxis2"):
        assert isinstance(chart["layout"][axis]["dtick"], int)
        assert chart["layout"][axis]["automargin"] is True
    japanese = _chart(client.get("/history?lang=ja").text, "chart-history")
    assert japanese["data"][0]["x"][0] == "平成30年度"


def test_dashboard_sparklines_label_every_third_month_in_the_language(client, auth, year) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    page = client.get("/?lang=en")
    chart = _chart(page.text, "chart-hires")
    assert chart["layout"]["xaxis"]["tickvals"] == ["Apr", "Jul", "Oct", "Jan"]
    assert "Month" not in json.dumps(chart)
    ja = _chart(client.get("/?lang=ja").text, "chart-hires")
    assert ja["layout"]["xaxis"]["tickvals"] == ["4月", "7月", "10月", "1月"]


def test_publicity_shows_the_columns_that_matter_and_the_rest_behind_a_toggle(
    client, auth, year
) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    page = client.get("/publicity/")
    text = page.text
    summary = text[
        text.index('class="publicity summary"') : text.index(
            "</table>", text.index('class="publicity summary"')
        )
    ]
    row = summary[summary.index("検索広告") : summary.index("</tr>", summary.index("検索広告"))]
    assert "￥190,000" in row and "￥21,111" in row  # 190,000 / 9, whole yen
    assert "—" in row  # no reach target: a dash, not nan
    assert "nan" not in text and not YEN_FRACTION.search(text)
    assert '<details class="more">' in text and 'class="publicity detail"' in text
    assert "utm_campaign" not in summary  # the code is in the details


# ----------------------------------------------------------------------------- survey tallies


@pytest.fixture
def answered(app, make_registrant):  # noqa: ANN001, ANN201
    """Eight answers: six want Shimane, two are not sure."""
    from datetime import UTC, datetime

    from itworks.db import db
    from itworks.extensions import vault
    from itworks.services.intake import registrants
    from itworks.services.surveys import responses as survey_responses

    people = [make_registrant(email=f"s{n}@example.jp", phone=None) for n in range(8)]
    with app.app_context():
        instrument = survey_responses.current_instrument()
        for n, public_id in enumerate(people):
            cleaned = survey_responses.clean(
                {"destination": "shimane" if n < 6 else "not_sure"}, instrument, partial=True
            )
            survey_responses.record(
                db.session,
                vault(),
                registrants.get(db.session, public_id),
                cleaned,
                instrument=instrument,
                channel="import",
                submitted_at=datetime(2022, 6, 1, tzinfo=UTC),
            )
        db.session.commit()


def test_every_tally_question_has_a_bar_chart_and_shares_come_from_the_table(
    client, auth, answered
) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    page = client.get("/surveys/tallies?fy=2022")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "/vendor/plotly-" in page.text
    sections = page.text.count('<section class="card tally')
    assert sections > 3 and page.text.count('data-chart="chart-') == sections
    chart = _chart(page.text, "chart-destination")
    bar = chart["data"][0]
    assert bar["type"] == "bar" and bar["orientation"] == "h"
    assert dict(zip(bar["y"], bar["x"], strict=True))["島根県に決めている"] == 6
    assert isinstance(chart["layout"]["xaxis"]["dtick"], int)
    section = page.text[
        page.text.index("chart-destination") - 3000 : page.text.index("chart-destination")
    ]
    assert "75.0%" in section and "25.0%" in section  # 6 and 2 of 8


def test_prefecture_charts_leave_suppressed_cells_out(client, auth, answered) -> None:
    auth.login("pref", PASSWORD, role="prefecture")
    page = client.get("/surveys/tallies?fy=2022")
    chart = _chart(page.text, "chart-destination")
    bar = chart["data"][0]
    by_answer = dict(zip(bar["y"], zip(bar["x"], bar["text"], strict=True), strict=True))
    assert by_answer["移住するか自体が未定"] == (None, "<5")
    assert "1〜4人の区分は「<5」" in page.text


# ----------------------------------------------------------------------------- experiment arms


def test_round_pages_show_arm_labels_not_codes(app, client, auth, make_registrant) -> None:
    from itworks.db import db
    from itworks.extensions import link_signer
    from itworks.models import SurveyLink, utcnow
    from itworks.services.surveys import links as survey_links

    for n in range(20):
        make_registrant(email=f"a{n}@example.jp", phone=None)
    with app.app_context():
        round_ = survey_links.create_round(
            db.session, link_signer(), "秋", ["none", "giftcard_500"], seed=1, actor_label="t"
        )
        ids = db.session.scalars(sa.select(SurveyLink.id).limit(5)).all()
        db.session.execute(
            sa.update(SurveyLink).where(SurveyLink.id.in_(ids)).values(used_at=utcnow())
        )
        db.session.commit()
        public_id = round_.public_id
    auth.login("coord", PASSWORD, role="coordinator")
    listing = client.get("/surveys/rounds").text
    assert "謝礼なし、ギフトカード500円" in listing and "25.0%" in listing
    detail = client.get(f"/surveys/rounds/{public_id}").text
    assert "ギフトカード500円 − 謝礼なし" in detail
    assert re.search(r"[+-]\d+\.\d pt", detail)
    english = client.get(f"/surveys/rounds/{public_id}?lang=en").text
    assert "<code>giftcard_500</code>" in english  # the code stays beside its label
