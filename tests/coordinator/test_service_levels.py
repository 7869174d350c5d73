"""Service levels: first contact within the business-day level per month of
registration, the overdue count on the dashboard, and how each year's hires settled
in at 3 and 12 months; on the funnel page, in its CSV and in the report."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
import sqlalchemy as sa

from itworks.fiscal import Period
from itworks.models import Hire
from itworks.services.engagement import contacts, hires, introductions
from itworks.tables import service_levels
from itworks.tables.audience import Audience
from testsupport import PASSWORD

NOW = datetime(2022, 11, 20, 3, 0, tzinfo=UTC)
PERIOD = Period.of(2022, date(2022, 11, 20))


@pytest.fixture
def year(app, session, vault, make_registrant, company):  # noqa: ANN001, ANN201
    """October: one contacted in 1 business day, one after 7; one never (overdue).
    September: one contacted in 2. Two hires: one still in Shimane at 3 months, one
    who left."""
    reg = {}
    reg["fast"] = make_registrant(registered_at=datetime(2022, 10, 3, 1, tzinfo=UTC))  # Mon
    reg["slow"] = make_registrant(registered_at=datetime(2022, 10, 3, 2, tzinfo=UTC))
    reg["never"] = make_registrant(registered_at=datetime(2022, 10, 4, 1, tzinfo=UTC))
    reg["sept"] = make_registrant(registered_at=datetime(2022, 9, 1, 1, tzinfo=UTC))  # Thu
    contacts.record_contact(session, vault, reg["fast"], "phone", at="2022-10-04", now=NOW)
    # 3 Oct → 13 Oct: 10 Oct is 体育の日 (スポーツの日), so 7 business days.
    contacts.record_contact(session, vault, reg["slow"], "email", at="2022-10-13", now=NOW)
    contacts.record_contact(session, vault, reg["sept"], "phone", at="2022-09-05", now=NOW)
    made = {}
    for who in ("fast", "sept"):
        made[who] = introductions.add_introduction(
            session, reg[who], company, items="name", consent_at="2022-05-01", at="2022-05-02",
            now=NOW,
        )  # fmt: skip
        introductions.move(session, made[who].public_id, "hired", at="2022-06-01", now=NOW)
    hire_ids = {
        who: session.scalar(sa.select(Hire.public_id).where(Hire.introduction_id == m.id))
        for who, m in made.items()
    }
    hires.record_settling(session, hire_ids["fast"], 3, "still_employed", now=NOW)
    hires.record_settling(session, hire_ids["sept"], 3, "left_shimane", now=NOW)
    app.config["AS_OF_DATE"] = "2022-11-20"
    return reg


def test_first_contact_by_month_counts_business_days(session, year) -> None:
    table = service_levels.first_contact_by_month(session, PERIOD, Audience.coordinator(), 3)
    october = table.frame.loc["2022-10"]
    assert (october["registered"], october["within"], october["late"]) == (3, 1, 1)
    assert october["not_contacted"] == 1
    assert october["median_business_days"] == 4.0  # median of 1 and 7
    september = table.frame.loc["2022-09"]
    assert (september["within"], september["median_business_days"]) == (1, 2.0)
    assert list(table.frame.index) == [f"2022-{m:02d}" for m in range(4, 12)]


def test_the_prefecture_sees_small_breakdowns_hidden(session, year) -> None:
    table = service_levels.first_contact_by_month(session, PERIOD, Audience.prefecture(5), 3)
    october = table.frame.loc["2022-10"]
    assert october["registered"] == 3  # the monthly KPI, published exactly
    assert {october["within"], october["late"], october["not_contacted"]} == {"<5"}
    assert october["median_business_days"] is None  # fewer than 5 contacted
    settled = service_levels.settling(session, PERIOD, Audience.prefecture(5))
    assert settled.frame.iloc[0]["hires"] == 2
    assert settled.frame.iloc[0]["in_shimane_3"] == "<5"


def test_settling_counts_each_years_hires_at_3_and_12_months(session, year) -> None:
    table = service_levels.settling(session, PERIOD, Audience.coordinator())
    row = table.frame.loc[2022]
    assert row["hires"] == 2
    assert (row["in_shimane_3"], row["left_3"], row["unchecked_3"]) == (1, 1, 0)
    assert (row["in_shimane_12"], row["left_12"], row["unchecked_12"]) == (0, 0, 2)


def test_overdue_leaves_out_people_who_stopped_use(session, vault, year) -> None:
    from itworks.services.privacy import stop_use

    today = date(2022, 11, 20)
    assert service_levels.first_contact_overdue(session, Audience.coordinator(), 3, today) == 1
    assert service_levels.first_contact_overdue(session, Audience.prefecture(5), 3, today) == "<5"
    stop_use.stop_use(session, vault, year["never"], now=NOW)
    assert service_levels.first_contact_overdue(session, Audience.coordinator(), 3, today) == 0


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_pages_csv_and_report_show_them(client, auth, year, lang: str) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    dashboard = client.get(f"/?lang={lang}").text
    card = dashboard[dashboard.index('id="first-contact"') :]
    assert '<strong class="figure">1</strong>' in card
    assert 'href="/today#first-contact"' in card
    funnel = client.get(f"/funnel/?lang={lang}").text
    assert 'id="first_contact"' in funnel and 'id="settling"' in funnel
    csv = client.get("/funnel/first_contact.csv?fy=2022").data.decode("utf-8-sig")
    assert "2022-10,3,1,1,1,4.0" in csv
    assert client.get("/funnel/settling.csv?fy=2022").status_code == 200
    report = client.get("/reports/implementation.xlsx?fy=2022")
    book = openpyxl.load_workbook(io.BytesIO(report.data))
    assert "初回連絡・定着" in book.sheetnames


def test_a_past_year_shows_no_overdue_card(client, auth, year) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    assert 'id="first-contact"' not in client.get("/?fy=2021").text
