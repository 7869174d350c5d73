"""The four measures, counted by hand on a small set of records."""

from __future__ import annotations

from datetime import date

import pytest
from funnelsupport import Records

from itworks.fiscal import Period
from itworks.i18n import translate
from itworks.services.kpi import progress as funnel

END_OF_YEAR = date(2023, 3, 31)


@pytest.fixture
def records(session) -> Records:  # noqa: ANN001
    return Records(session)


@pytest.fixture
def world(records: Records) -> dict[str, int]:
    """Six people around the fiscal-year boundaries, one of them a merged duplicate."""
    r = records
    people = {
        # 2022-04-01 00:30 JST: the first half hour of FY2022.
        "a": r.person("2022-03-31T15:30:00Z"),
        # 2022-03-31 23:59 JST: still FY2021.
        "b": r.person("2022-03-31T14:59:00Z"),
        "c": r.person("2022-06-01T03:00:00Z"),
        # 2023-03-31 23:59:59 JST: the last second of FY2022.
        "e": r.person("2023-03-31T14:59:59Z"),
        # 2023-04-01 00:00 JST: FY2023.
        "f": r.person("2023-03-31T15:00:00Z"),
    }
    people["d"] = r.person("2022-07-01T03:00:00Z", merged_into=people["c"])
    a, b, c, d, e = (people[k] for k in "abcde")

    # a: two consultations, counted once; b: one just after midnight on 1 April JST
    # and one in FY2021; c and her duplicate d: one person.
    r.consultation(a, "2022-05-10T01:00:00Z")
    r.consultation(a, "2022-09-10T01:00:00Z")
    r.consultation(b, "2022-03-31T15:00:00Z")
    r.consultation(b, "2022-03-01T01:00:00Z")
    r.consultation(c, "2022-07-01T01:00:00Z")
    r.consultation(d, "2022-08-01T01:00:00Z")
    r.consultation(e, "2022-08-01T01:00:00Z", kind="seminar")  # not a career consultation

    fair1 = r.fair(1, "2022-07-09T04:00:00Z")
    fair2 = r.fair(2, "2022-10-15T04:00:00Z")
    old_fair = r.fair(3, "2021-10-15T04:00:00Z")
    r.signup(fair1, a, "2022-06-20T00:00:00Z", "attended")
    r.signup(fair2, a, "2022-09-20T00:00:00Z", "attended")  # a at two fairs: counted twice
    r.signup(fair1, c, "2022-06-21T00:00:00Z", "attended")
    r.signup(fair1, d, "2022-06-22T00:00:00Z", "attended")  # c's duplicate: once
    r.signup(fair2, b, "2022-09-21T00:00:00Z", "cancelled")
    r.signup(fair1, e, "2022-03-20T00:00:00Z", "no_show")  # applied before the year
    r.signup(old_fair, b, "2021-09-01T00:00:00Z", "attended")

    shimane = r.company("株式会社しまねソフト")
    elsewhere = r.company("東京商事", shimane_it=False)
    other = r.company("松江システム")
    r.hire(a, "2022-10-01T01:00:00Z", shimane)
    r.hire(c, "2022-11-01T01:00:00Z", elsewhere)
    r.hire(b, "2022-12-01T01:00:00Z", shimane)
    r.hire(b, "2023-01-05T01:00:00Z", other)  # hired twice: one person
    r.hire(e, "2023-03-31T15:00:00Z", shimane)  # 1 April 2023 JST: FY2023
    return people


def test_hand_counted_measures(session, world) -> None:  # noqa: ANN001
    p = funnel.progress(session, Period.of(2022, END_OF_YEAR))
    actual = {k: m.actual for k, m in p.measures.items()}
    assert actual == {"new_registrants": 3, "consultations": 3, "fair_signups": 4, "hires": 2}
    assert p.fair_attendance == [2, 1]


def _registrants(session, fiscal_year: int) -> int:  # noqa: ANN001
    return (
        funnel.progress(session, Period.of(fiscal_year, END_OF_YEAR))
        .measures["new_registrants"]
        .actual
    )


def test_fiscal_year_boundary_in_japan_time(session, records) -> None:  # noqa: ANN001
    records.person("2022-03-31T15:30:00Z")
    assert _registrants(session, 2022) == 1
    assert _registrants(session, 2021) == 0
    p = funnel.progress(session, Period.of(2022, END_OF_YEAR))
    monthly = p.measures["new_registrants"].monthly
    assert monthly[0] == 1  # April


def test_previous_and_next_years_get_the_boundary_people(session, world) -> None:  # noqa: ANN001
    assert _registrants(session, 2021) == 1
    later = funnel.progress(session, Period.of(2023, date(2023, 4, 30))).measures
    assert later["new_registrants"].actual == 1
    assert later["hires"].actual == 1


def test_erasing_a_person_changes_no_count(session, world) -> None:  # noqa: ANN001
    from itworks.models import Registrant
    from itworks.services.intake import registrants

    before = funnel.progress(session, Period.of(2022, END_OF_YEAR))
    for key in ("a", "c", "d"):
        registrants.erase(session, session.get(Registrant, world[key]).public_id, actor_label="t")
    after = funnel.progress(session, Period.of(2022, END_OF_YEAR))
    assert {k: m.actual for k, m in after.measures.items()} == {
        k: m.actual for k, m in before.measures.items()
    }
    assert after.fair_attendance == before.fair_attendance


def test_counts_stop_at_the_as_of_date(session, world) -> None:  # noqa: ANN001
    p = funnel.progress(session, Period.of(2022, date(2022, 9, 30)))
    assert p.measures["hires"].actual == 0
    assert p.measures["consultations"].actual == 3  # a (May), b (April), c (July)
    assert p.fair_attendance == [2, None]  # fair 2 is not held yet
    assert p.as_of == date(2022, 9, 30)


def test_expected_projection_and_status(session, world) -> None:  # noqa: ANN001
    p = funnel.progress(session, Period.of(2022, date(2022, 11, 20)))
    hires = p.measures["hires"]
    # 1 April – 20 November is 234 of the contract's 354 days (it ends 20 March).
    assert hires.expected_to_date == round(30 * 234 / 354, 1) == 19.8
    assert hires.actual == 1
    assert hires.projection == round(1 * 354 / 234)
    assert hires.status == "behind"
    assert p.pace_method["method"] == "linear"
    assert hires.pace[-1] == 30.0
    after_contract = funnel.progress(session, Period.of(2022, date(2023, 3, 25))).measures["hires"]
    assert after_contract.expected_to_date == 30.0


@pytest.mark.parametrize(
    ("actual", "expected", "status"),
    [
        (20, 19.8, "on_track"),
        (19, 19.8, "on_track"),  # less than one person short
        (16, 19.8, "at_risk"),  # ≥ 80 %
        (15, 19.8, "behind"),
        (0, 0.5, "on_track"),
        (0, 0.0, "on_track"),
    ],
)
def test_status_thresholds(actual, expected, status) -> None:  # noqa: ANN001
    assert funnel.status_of(actual, expected) == status


def test_history_is_the_specification_then_the_records(session, world) -> None:  # noqa: ANN001
    rows = funnel.history(session, date(2022, 11, 20))
    assert rows[:4] == [
        {
            "fiscal_year": 2018,
            "label": "平成30年度",
            "new_registrants": 210,
            "consultations": 33,
            "fair_attendance": [81, 60, 16],
            "fair_signups": None,
            "hires": 19,
        },
        {
            "fiscal_year": 2019,
            "label": "平成31年度",
            "new_registrants": 177,
            "consultations": 52,
            "fair_attendance": [48, 46, 38],
            "fair_signups": None,
            "hires": 20,
        },
        {
            "fiscal_year": 2020,
            "label": "令和2年度",
            "new_registrants": 258,
            "consultations": 46,
            "fair_attendance": [99, 86, 83],
            "fair_signups": None,
            "hires": 14,
        },
        {
            "fiscal_year": 2021,
            "label": "令和3年度",
            "new_registrants": 247,
            "consultations": 41,
            "fair_attendance": [62, 72, 66],
            "fair_signups": None,
            "hires": 23,
        },
    ]
    assert [r["fiscal_year"] for r in rows] == [2018, 2019, 2020, 2021, 2022]
    assert rows[4]["new_registrants"] == 2  # a and c by 20 November
    assert rows[4]["fair_attendance"] == [2, 1]


def test_year_on_year_difference_and_ratio(session) -> None:  # noqa: ANN001
    rows = funnel.year_on_year(funnel.history(session, date(2022, 4, 1)))
    r2 = next(r for r in rows if r["fiscal_year"] == 2020)
    assert r2["changes"]["hires"] == {"difference": -6, "ratio": pytest.approx(14 / 20)}
    assert rows[0]["changes"]["hires"] is None


def test_same_date_last_year_is_an_estimate_when_only_the_annual_figure_exists(
    session,  # noqa: ANN001
) -> None:
    p = funnel.progress(session, Period.of(2022, date(2022, 9, 30)))
    last = p.measures["new_registrants"].last_year
    assert last.estimated is True
    # 1 April – 30 September 2021 is 183 of FY2021's 365 days; 247 registrants that year.
    assert last.value == round(247 * 183 / 365, 1)
    assert p.measures["fair_signups"].last_year is None  # not recorded before FY2022


@pytest.mark.parametrize("text", ["abc", "", "1800", "20222", "-1", "２０２２", "2022.0", None])
def test_bad_fiscal_years_are_refused(text) -> None:  # noqa: ANN001
    from itworks.i18n import translate
    from itworks.services.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        funnel.parse_fiscal_year(text)
    message = caught.value.errors["fy"]
    assert "年度" in message  # Japanese, and English from the catalogue
    assert translate(message, "en").startswith(("Give the fiscal year", "The fiscal year"))


def test_payload_shape(session, world) -> None:  # noqa: ANN001
    from itworks.api.funnel import payload
    from itworks.tables import kpi
    from itworks.tables.audience import Audience

    table = kpi.kpi(session, Period.of(2022, date(2022, 11, 20)), Audience.coordinator())
    body = payload(table)
    assert body["label"] == "令和4年度"
    assert body["period"] == {
        "start": "2022-04-01",
        "end": "2023-03-31",
        "contract_end": "2023-03-20",
    }
    assert body["as_of"] == "2022-11-20"
    hires = body["measures"]["hires"]
    assert hires["kind"] == "KGI" and hires["target"] == 30 and hires["baseline"] == 20
    assert "島根県内のIT企業" in hires["definition"]  # the entry point translates it
    assert "Shimane IT company" in translate(hires["definition"], "en")
    assert set(body["measures"]) == {"hires", "new_registrants", "consultations", "fair_signups"}
