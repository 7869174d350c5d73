"""One table, many outputs: every published table shows the same figures on its page,
in its CSV download and on its workbook sheet; and what the prefecture sees in one
table never undoes a suppression in another."""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from funnelsupport import Records
from openpyxl import load_workbook

from itworks.tables import suppression
from testsupport import PASSWORD

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_suppression import _recoverable  # noqa: E402

K = 5


@pytest.fixture
def year(app, session) -> Records:  # noqa: ANN001
    """令和4年度 on 2022-11-20: big and small groups, a fair, exits and two campaigns."""
    app.config["AS_OF_DATE"] = "2022-11-20"
    app.config["SMALL_CELL_K"] = K
    r = Records(session)
    google = [
        r.person("2022-05-10T00:00:00Z", utm_source="google", utm_campaign="fy2022_search")
        for _ in range(9)
    ]
    twitter = [
        r.person("2022-06-10T00:00:00Z", utm_source="twitter", utm_campaign="fy2022_sns")
        for _ in range(3)
    ]
    late = [r.person("2022-09-10T00:00:00Z", origin="i_turn") for _ in range(6)]
    company = r.company()
    fair = r.fair(1, "2022-07-09T04:00:00Z")
    for p in google[:6] + late[:1]:
        r.consultation(p, "2022-07-01T00:00:00Z")
    for p in google[:7] + twitter[:1]:
        r.signup(fair, p, "2022-06-20T00:00:00Z", "attended")
    r.hire(google[0], "2022-10-01T00:00:00Z", company)
    for p in google[:5]:
        r.tier(p, "move_now", when="2022-07-02T00:00:00Z")
    r.tier(twitter[0], "few_years", when="2022-07-02T00:00:00Z")
    r.exit(twitter[1], "registered", "dropout_no_contact", "2022-08-01T00:00:00Z")
    for p in late[1:4]:
        r.exit(p, "registered", "dropout_family", "2022-10-01T00:00:00Z")
    from itworks.services.publicity import campaigns

    ads = (("検索広告", "fy2022_search", "web_ad"), ("SNS", "fy2022_sns", "sns"))
    for name, code, channel in ads:
        campaigns.create_campaign(
            session,
            {"name": name, "channel": channel, "utm_campaign": code, "starts_on": "2022-04-01",
             "cost_yen": "90000", "reach_target": "1000", "reach_actual": "900"},
            actor_label="test",
        )  # fmt: skip
    return r


def _tables(app) -> dict:  # noqa: ANN001
    """Every published table of the year, as built for the prefecture."""
    from itworks.db import db
    from itworks.fiscal import Period
    from itworks.reports import workbook
    from itworks.tables.audience import Audience

    with app.app_context():
        sheets = workbook.sheets(db.session, Period.of(2022, _date()), Audience.prefecture(K))
    return {t.name: (sheet, t) for sheet, tables in sheets.items() for t in tables}


def _date():  # noqa: ANN202
    from datetime import date

    return date(2022, 11, 20)


# table name → (its CSV download, the page that shows it)
OUTPUTS = {
    "kpi": ("/progress.csv", "/"),
    "monthly": ("/monthly.csv", "/"),
    "history": ("/history.csv", "/history"),
    "stages_tier": ("/funnel/stages.csv?by=tier", "/funnel/?by=tier"),
    "stages_origin": ("/funnel/stages.csv?by=origin", "/funnel/?by=origin"),
    "stages_utm_source": ("/funnel/stages.csv?by=utm_source", "/funnel/?by=utm_source"),
    "stages_month": ("/funnel/stages.csv?by=month", "/funnel/?by=month"),
    "timing": ("/funnel/timing.csv", "/funnel/"),
    "exits": ("/funnel/exits.csv", "/funnel/"),
    "campaigns": ("/publicity/campaigns.csv", "/publicity/"),
    "channels": ("/publicity/channels.csv", "/publicity/"),
}


def _csv(client, path: str) -> list[list[str]]:  # noqa: ANN001
    response = client.get(path)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _sheet_section(book, sheet: str, title: str) -> list[tuple]:  # noqa: ANN001
    rows = [r for r in book[sheet].iter_rows(values_only=True)]
    start = next(n for n, r in enumerate(rows) if r[0] == title) + 1
    out = []
    for row in rows[start:]:
        if all(v is None for v in row):
            break
        out.append(row)
    return out


def _text(value: object) -> str:
    return "" if value is None else str(value)


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_page_csv_and_sheet_show_the_same_figures(app, client, auth, year, name) -> None:  # noqa: ANN001
    from itworks.reports.workbook import sheet_frame
    from itworks.web.figures import csv_value

    auth.login("pref", PASSWORD, role="prefecture")
    sheet, table = _tables(app)[name]
    csv_path, page_path = OUTPUTS[name]
    kinds = [c.kind for c in table.columns]
    expected = [
        [_text(csv_value(v, kind)) for v, kind in zip(values, kinds, strict=True)]
        for _, values in table.rows()
    ]
    downloaded = _csv(client, csv_path)
    assert downloaded[0] == table.labels
    assert downloaded[1:] == expected
    book = load_workbook(io.BytesIO(client.get("/reports/implementation.xlsx?fy=2022").data))
    section = _sheet_section(book, sheet, table.title)
    on_sheet = sheet_frame(table)
    assert list(section[0][: len(on_sheet.columns)]) == list(on_sheet.columns)
    body = section[1 : 1 + len(on_sheet)]
    for row, values in zip(body, on_sheet.itertuples(index=False), strict=True):
        assert list(row[: len(values)]) == [
            pytest.approx(v) if isinstance(v, float) else v for v in values
        ]
    # The page shows every count of the table, formatted as the page formats counts.
    page = client.get(page_path).text.replace("&lt;", "<")
    shown = set(re.findall(r"(?:<\d+|\b\d[\d,]*(?:\.\d)?\b|\bx\b)", page))
    for column in table.columns:
        if column.kind != "count" or name in ("monthly", "kpi") and column.key != "actual":
            continue
        for value in table.frame[column.key]:
            if value is None:
                continue
            text = value if suppression.is_hidden(value) else f"{abs(int(value)):,}"
            assert text in shown, (name, column.key, value)


def _hidden_mask(frame) -> np.ndarray:  # noqa: ANN001
    return np.array([[suppression.is_hidden(v) for v in row] for row in frame.to_numpy()])


def test_no_suppressed_cell_is_published_elsewhere_or_recoverable(app, year) -> None:  # noqa: ANN001
    tables = {name: table for name, (_, table) in _tables(app).items()}
    total = suppression.TOTAL_LABEL
    # The same figures, in every table that shows them: the new-registrant KPI and
    # its months (the dashboard's curve) are published, so published the same.
    registrants = tables["kpi"].frame.at["new_registrants", "actual"]
    monthly = tables["monthly"].frame["new_registrants_monthly"]
    month_split = tables["stages_month"].frame["registered"]
    mix = tables["channels"].frame
    assert tables["stages"].frame.at["registered", "people"] == registrants
    assert mix.at[total, total] == registrants
    for month, n in monthly.items():
        if n is None:
            continue
        assert not suppression.is_hidden(month_split.get(month, 0))
        assert month_split.get(month, 0) == n
        assert mix.at[month, total] == n
    for name in ("stages_tier", "stages_origin", "stages_utm_source"):
        assert tables[name].frame.at[total, "registered"] == registrants
    # Somewhere the rule did hide small cells (the fixture has them).
    everything = [v for t in tables.values() for v in t.frame.to_numpy().ravel()]
    assert any(suppression.is_hidden(v) for v in everything)
    # Breakdowns with their totals: no hidden cell can be worked out from the rest.
    for name in ("channels", "exits"):
        body = tables[name].frame[[c.key for c in tables[name].columns[1:]]]
        assert _recoverable(_hidden_mask(body)) == [], name
    # One-way breakdowns of a published total: never exactly one hidden cell.
    for name, table in tables.items():
        if not name.startswith("stages_") and name != "campaigns":
            continue
        for column in table.columns:
            if column.kind != "count":
                continue
            values = table.frame[column.key]
            if total in values.index and suppression.is_hidden(values[total]):
                continue  # the total is hidden too: nothing to subtract from
            hidden = sum(
                suppression.is_hidden(v) for v in values.drop(index=total, errors="ignore")
            )
            assert hidden != 1, (name, column.key)
    # The service levels: each row splits a published total (the month's new
    # registrants, the year's hires) into parts, never with exactly one hidden.
    parts = {
        "first_contact": [("within", "late", "not_contacted")],
        "settling": [(f"in_shimane_{m}", f"left_{m}", f"unchecked_{m}") for m in (3, 12)],
    }
    for name, groups in parts.items():
        for _, row in tables[name].frame.iterrows():
            for group in groups:
                assert sum(suppression.is_hidden(row[c]) for c in group) != 1, (name, group)
    # What the prefecture sees of small counts is a marker, never the count, except
    # the official figures (KPI, its months, fair attendance).
    for name, table in tables.items():
        if name in ("kpi", "monthly", "history", "notes"):
            continue
        for column in table.columns:
            if column.kind != "count":
                continue
            # The new registrants of each month, and the hires of each year (the KGI).
            official = (
                column.key == "registered" and name in ("stages_month", "first_contact")
            ) or (column.key == "hires" and name == "settling")
            for key, value in table.frame[column.key].items():
                if official or (name == "channels" and column.key == total):
                    continue
                if name.startswith("stages") and column.key == "registered" and key == total:
                    continue
                if name == "events":
                    continue  # fairs are official; other events are primary-suppressed
                if isinstance(value, int):
                    assert not 1 <= value < K, (name, key, column.key, value)
