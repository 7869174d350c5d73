"""The registrant-handling flowchart (登録者対応フローチャート) is drawn from the
vocabulary's steps and transitions, on a page, in its CSV and in the report."""

from __future__ import annotations

import io

import openpyxl
import pytest

from itworks import vocabulary
from itworks.i18n import translate
from itworks.tables import flow
from testsupport import PASSWORD


def test_every_stage_the_service_knows_is_a_step_of_the_flow() -> None:
    for stage in (*vocabulary.FUNNEL_STAGES, *vocabulary.INTRODUCTION_OPEN_STATUSES):
        assert stage in vocabulary.FLOW_STEPS, stage
    known = set(vocabulary.FLOW_STEPS)
    for a, b, _ in vocabulary.FLOW_TRANSITIONS:
        assert a in known and b in known
    # The main line follows the funnel's order, and every step before a hire can
    # lead to nurturing and to a drop-off.
    order = vocabulary.FLOW_STEPS
    funnel = [order.index(s) for s in vocabulary.FUNNEL_STAGES]
    assert funnel == sorted(funnel)
    before_hire = order[: order.index("hired")]
    edges = {(a, b) for a, b, _ in vocabulary.FLOW_TRANSITIONS}
    for step in before_hire:
        assert (step, "nurturing") in edges and (step, "dropped_out") in edges, step
    # Each step is reached from somewhere, except registration.
    assert {b for _, b in edges} == known - {"registered"}


@pytest.mark.parametrize("role", ["prefecture", "coordinator"])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_page_csv_and_report_show_every_step(client, auth, role: str, lang: str) -> None:
    auth.login(f"flow-{role}", PASSWORD, role=role)
    html = client.get(f"/flow?lang={lang}").text
    for step in vocabulary.FLOW_STEPS:
        assert f'id="step-{step}"' in html
        assert translate(vocabulary.FLOW_STEP_LABELS[step], lang) in html
    assert 'href="/flow"' in client.get(f"/?lang={lang}").text  # in the navigation
    csv = client.get(f"/flow.csv?lang={lang}").data.decode("utf-8-sig").splitlines()
    assert len(csv) == 1 + len(vocabulary.FLOW_TRANSITIONS)
    report = client.get("/reports/implementation.xlsx?fy=2022")
    sheet = openpyxl.load_workbook(io.BytesIO(report.data))["対応フロー"]
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value}
    assert all(translate(label, "ja") in cells for label in vocabulary.FLOW_STEP_LABELS.values())


def test_the_ways_out_are_shown_once_on_their_own_steps() -> None:
    steps = {code: (nexts, anywhere) for code, _, nexts, anywhere in flow.steps("en")}
    assert all("Dropped out" not in n for n, _ in steps["consulted"][0])
    assert steps["dropped_out"][1].startswith("From any step")
