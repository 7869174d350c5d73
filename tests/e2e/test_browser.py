"""Real pages in a real browser: login, the registrant pages, and a registrant
answering their survey on a phone-sized screen."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest


def login(page, server, logins, role: str) -> None:  # noqa: ANN001
    user, password = logins[role]
    page.goto(server.url + "/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_login_page_is_japanese_and_clean(page, demo_site) -> None:  # noqa: ANN001
    server, _ = demo_site
    page.goto(server.url + "/login")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("h1").inner_text() == "ログイン"
    assert page.console_errors == []


def test_coordinator_logs_in_and_opens_a_registrant(page, demo_site) -> None:  # noqa: ANN001
    server, logins = demo_site
    login(page, server, logins, "coordinator")
    assert page.url == server.url + "/today"
    page.click("text=登録者")
    rows = page.locator("table tbody tr")
    assert rows.count() == 40
    rows.first.locator("a").click()
    page.wait_for_load_state()
    assert page.locator("h2", has_text="個人情報").count() == 1
    assert page.console_errors == []


def test_prefecture_staff_are_refused_personal_pages(page, demo_site) -> None:  # noqa: ANN001
    server, logins = demo_site
    login(page, server, logins, "prefecture")
    assert page.locator("nav a", has_text="登録者").count() == 0
    response = page.goto(server.url + "/registrants/")
    assert response.status == 403


def _survey_link(instance) -> str:  # noqa: ANN001
    code = (
        "import sqlalchemy as sa\n"
        "from itworks import create_app\n"
        "from itworks.db import db\n"
        "from itworks.extensions import link_signer\n"
        "from itworks.models import Registrant, User\n"
        "from itworks.services.surveys import links as survey_links\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    r = db.session.scalar(sa.select(Registrant).order_by(Registrant.id.desc()))\n"
        "    u = db.session.scalar(sa.select(User).where(User.username == 'demo-coordinator'))\n"
        "    signer = link_signer()\n"
        "    print(survey_links.link_for_registrant(db.session, signer, r.public_id, actor=u))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITWORKS_")}
    env["ITWORKS_INSTANCE"] = str(instance)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}])
def test_registrant_answers_on_a_phone(browser, demo_site, viewport) -> None:  # noqa: ANN001
    server, _ = demo_site
    token = _survey_link(server.instance)
    context = browser.new_context(viewport=viewport, locale="ja-JP", is_mobile=True)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{server.url}/s/{token}")
    assert "ご回答の利用目的" in page.content()
    # The form fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.click("button[type=submit]")  # empty: every required item is flagged
    assert page.locator(".field-error").count() >= 4
    for qid, code in [
        ("move_timing", "asap"),
        ("destination", "shimane"),
        ("shimane_connection", "born_raised"),
        ("job_change_timing", "within_3m"),
        ("age_band", "30_34"),
    ]:
        page.check(f'input[name="{qid}"][value="{code}"]')
    page.click("button[type=submit]")
    assert "ご回答ありがとうございました" in page.content()
    page.goto(f"{server.url}/s/{token}")
    assert "既に回答" in page.content()
    # The 422 (form errors) and 410 (spent link) are the answers we asked for.
    unexpected = [e for e in errors if not re.search(r"status of (422|410)", e)]
    assert unexpected == []
    context.close()


@pytest.mark.parametrize("path", ["/", "/history", "/funnel/", "/publicity/"])
def test_chart_pages_render_their_charts_without_console_errors(page, demo_site, path) -> None:  # noqa: ANN001
    server, logins = demo_site
    login(page, server, logins, "prefecture")
    page.goto(server.url + path)
    page.wait_for_load_state("networkidle")
    charts = page.locator("[data-chart]")
    assert charts.count() >= 1
    page.wait_for_selector("[data-chart] svg.main-svg", timeout=15_000)
    assert page.locator("[data-chart] svg.main-svg").count() >= charts.count()
    assert page.console_errors == []
