"""Whole journeys in a real browser, as the users walk them, on one demo instance
served by gunicorn: the prefecture officer reading the figures, the English UI on
every page of the coordinator's menu, a registrant answering on a phone, and the
coordinator's day (search, tier, consultation, invitations, outbox).

The journeys that change data come last (the demo instance is module-scoped).
Each journey saves full-page screenshots under artifacts/screenshots/<journey>/.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import openpyxl

from tests.web.test_english_pages import ERA, JAPANESE, PRODUCT

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
CHART_WAIT_MS = 20_000
# A status the app answers on purpose (403 refusal, 410 spent link, 422 form
# errors) shows in the console as a failed resource; nothing else may.
EXPECTED_STATUS = re.compile(r"status of (403|410|422)\b")


# ----------------------------------------------------------------------------- helpers


def _env(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITWORKS_")}
    env["ITWORKS_INSTANCE"] = str(instance)
    return env


class _Cli:
    """`itworks …` against the served instance, as an operator would run it; started
    at once, so it may overlap with the browser's work, and read with ``output()``."""

    def __init__(self, instance: Path, *args: str) -> None:
        self.args = args
        self.process = subprocess.Popen(
            [sys.executable, "-m", "itworks.cli", *args],
            env=_env(instance),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def output(self) -> str:
        stdout, stderr = self.process.communicate(timeout=120)
        assert self.process.returncode == 0, f"itworks {' '.join(self.args)}: {stderr}"
        return stdout


def _cli(instance: Path, *args: str) -> str:
    return _Cli(instance, *args).output()


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _queued(instance: Path) -> _Cli:
    return _Cli(instance, "outbox", "list", "--status", "queued", "--json")


class Shots:
    """Numbered full-page screenshots of one journey."""

    def __init__(self, journey: str) -> None:
        self.folder = SHOTS / journey
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0

    def take(self, page, name: str) -> Path:  # noqa: ANN001
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def _login(page, server, logins, role: str) -> None:  # noqa: ANN001
    user, password = logins[role]
    page.goto(server.url + "/login")
    page.fill("#username", user)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def _unexpected(errors: list[str]) -> list[str]:
    return [e for e in errors if not EXPECTED_STATUS.search(e)]


def _wait_for_charts(page) -> int:  # noqa: ANN001
    """Wait until every chart of the page is drawn by plotly; returns how many."""
    charts = page.locator("[data-chart]")
    count = charts.count()
    if count:
        page.wait_for_function(
            "n => document.querySelectorAll('[data-chart].js-plotly-plot svg.main-svg')"
            ".length >= n && document.querySelectorAll('[data-chart] .plot-container')"
            ".length >= n",
            arg=count,
            timeout=CHART_WAIT_MS,
        )
    return count


def _flash(page) -> str:  # noqa: ANN001
    return " ".join(page.locator("main .flash").all_inner_texts())


# ------------------------------------------------------------------ 2. prefecture officer


def test_prefecture_officer_reads_the_figures_and_downloads_the_report(  # noqa: ANN001
    page, demo_site, tmp_path
) -> None:
    server, logins = demo_site
    shots = Shots("prefecture")
    page.set_viewport_size(WIDE)
    _login(page, server, logins, "prefecture")
    assert urlsplit(page.url).path == "/"
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "ダッシュボード" in page.locator("h1").first.inner_text()
    assert _wait_for_charts(page) >= 1
    # Drawn, not just present: the sparklines have plotted lines.
    assert page.locator("[data-chart] svg.main-svg .scatterlayer .trace").count() >= 1
    shots.take(page, "dashboard")

    chart_pages = [("history", "/history"), ("funnel", "/funnel/"), ("publicity", "/publicity/")]
    for name, path in chart_pages:
        response = page.goto(server.url + path)
        assert response.status == 200, path
        assert _wait_for_charts(page) >= 1, path
        assert page.locator("nav.main a[aria-current=page]").count() == 1, path
        shots.take(page, name)
    assert page.console_errors == []

    page.goto(server.url + "/")
    link = page.locator("a", has_text="実施報告書（Excel）をダウンロード")
    assert link.count() == 1
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes()[:2] == b"PK"  # a zip container, as xlsx is

    workbook = openpyxl.load_workbook(saved, read_only=True)
    try:
        assert workbook.sheetnames
        first = workbook[workbook.sheetnames[0]]
        cells = [cell.value for row in first.iter_rows(max_row=10) for cell in row]
        assert any(value is not None for value in cells)
    finally:
        workbook.close()

    # No personal data for the prefecture: neither the link nor the page.
    assert page.locator("nav.main a", has_text="登録者").count() == 0
    response = page.goto(server.url + "/registrants/")
    assert response.status == 403
    assert page.locator("table tbody tr").count() == 0
    refusal = page.locator("main [role=alert]").inner_text()
    assert refusal == "このページを表示する権限がありません。"
    shots.take(page, "registrants-refused")
    assert _unexpected(page.console_errors) == []


# ----------------------------------------------------------------- 4. the English UI

# Rendered text as a reader sees it: every text node of the body (charts drawn by
# plotly included), the title and the attributes that are shown, minus scripts,
# styles and elements marked lang="ja" (the language switch) — the notion of
# tests/web/test_english_pages.py, applied to the page after its scripts ran.
RENDERED_TEXT = """() => {
  const skipped = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"]);
  const shown = ["title", "placeholder", "aria-label", "alt"];
  const hidden = (el) => {
    // Up to the body: the root's own lang is the page's language.
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      if (skipped.has(e.tagName) || e.getAttribute("lang") === "ja") return true;
    }
    return false;
  };
  const parts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.nodeValue.trim() && !hidden(n.parentElement)) parts.push(n.nodeValue);
  }
  for (const el of document.body.querySelectorAll("*")) {
    if (hidden(el)) continue;
    for (const name of shown) {
      const value = el.getAttribute(name);
      if (value) parts.push(value);
    }
    if (el.tagName === "INPUT" && ["submit", "button"].includes(el.type) && el.value) {
      parts.push(el.value);
    }
  }
  return parts;
}"""

DATA_VALUES = """
import json, sys
sys.path[:0] = [".", "tests"]
from tests.web.test_english_pages import _data_values
from itworks import create_app
from itworks.db import db
from itworks.extensions import vault
app = create_app()
with app.app_context():
    print(json.dumps(_data_values(db.session, vault()), ensure_ascii=False))
"""


def _start_data_values(instance: Path) -> subprocess.Popen:
    """Every Japanese text the database holds (data, not UI), longest first: read
    by the existing check's own helper, in a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-c", DATA_VALUES],
        env=_env(instance),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_data_values(process: subprocess.Popen) -> list[str]:
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    return json.loads(stdout.strip().splitlines()[-1])


def _untranslated(parts: list[str], data: list[str]) -> list[str]:
    text = "\n".join(parts)
    for value in data:
        text = text.replace(value, " ")
    text = ERA.sub(" ", text.replace(PRODUCT, " "))
    return sorted({line.strip() for line in text.splitlines() if JAPANESE.search(line)})


# The pages of main.NAVIGATION a coordinator may open (others may join the menu:
# they are walked too).
COORDINATOR_MENU = {
    "/",
    "/today",
    "/registrants/",
    "/history",
    "/funnel/",
    "/publicity/",
    "/surveys/tallies",
    "/tiers/movement",
    "/tiers/registrants",
    "/surveys/rounds",
    "/invitations/",
    "/events/",
    "/companies/",
}


def test_english_ui_on_every_page_of_the_coordinators_menu(page, demo_site) -> None:  # noqa: ANN001
    server, logins = demo_site
    shots = Shots("english")
    # Nothing writes during this journey: the values are read alongside the walk.
    reading = _start_data_values(server.instance)
    page.set_viewport_size(WIDE)
    _login(page, server, logins, "coordinator")
    assert page.locator("html").get_attribute("lang") == "ja"
    # The header's switch, as a user would click it; the choice is kept.
    with page.expect_navigation():
        page.click("header .tools a[hreflang=en]")
    assert page.locator("html").get_attribute("lang") == "en"

    menu = page.locator("header nav.main a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert len(menu) == len(set(menu))
    assert COORDINATOR_MENU <= set(menu), menu

    rendered: dict[str, list[str]] = {}
    for href in menu:
        response = page.goto(server.url + href)
        assert response.status == 200, href
        assert page.locator("html").get_attribute("lang") == "en", href
        _wait_for_charts(page)
        rendered[href] = page.evaluate(RENDERED_TEXT)
        shots.take(page, href.strip("/").replace("/", "-") or "dashboard")
    assert page.console_errors == []

    data = _read_data_values(reading)
    found = {href: _untranslated(parts, data) for href, parts in rendered.items()}
    report = [f"{href}: {line}" for href, lines in found.items() for line in lines]
    assert report == [], "untranslated UI text in the browser:\n" + "\n".join(report)

    # And back: the switch on an English page leads to Japanese again, where the
    # same check finds the UI text (so it can tell the languages apart).
    with page.expect_navigation():
        page.click("header .tools a[hreflang=ja]")
    assert page.locator("html").get_attribute("lang") == "ja"
    japanese = _untranslated(page.evaluate(RENDERED_TEXT), data)
    assert "ダッシュボード" in japanese


# ------------------------------------------------------------ 3. registrant on a phone

COMMENT = "子どもの小学校入学に合わせて、来年の春までに松江へ戻りたいと考えています。"


def test_registrant_answers_the_survey_on_a_phone(browser, page, demo_site, tmp_path) -> None:  # noqa: ANN001
    server, logins = demo_site
    shots = Shots("registrant")
    _cli(server.instance, "surveys", "round-create", "e2e-journey", "--arm", "none")
    links_file = tmp_path / "links.csv"
    _cli(server.instance, "surveys", "round-links", "e2e-journey", str(links_file))
    rows = [r for r in _csv_rows(links_file) if r["email"] and r["url"]]
    assert rows, "the round gave no open links"
    chosen = rows[0]
    link = server.url + urlsplit(chosen["url"]).path

    context = browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        errors: list[str] = []
        phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        phone.on("pageerror", lambda e: errors.append(str(e)))

        response = phone.goto(link)
        assert response.status == 200
        assert phone.locator("html").get_attribute("lang") == "ja"
        assert phone.locator("h2", has_text="ご回答の利用目的").count() == 1
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shots.take(phone, "survey")

        # Answered by the labels the registrant reads.
        answers = [
            ("move_timing", "すぐにでも"),
            ("destination", "島根県に決めている"),
            ("shimane_connection", "島根出身"),
            ("job_change_timing", "3か月以内"),
            ("age_band", "30〜34歳"),
        ]
        for question, label in answers:
            phone.locator(f"#q-{question}").get_by_label(label, exact=True).check()
        phone.locator("#q-experience_years input").fill("8")
        phone.locator("#q-comment textarea").fill(COMMENT)
        shots.take(phone, "survey-answered")
        with phone.expect_navigation():
            phone.click("main form button[type=submit]")
        assert phone.locator("h1").inner_text() == "ご回答ありがとうございました"
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shots.take(phone, "thanks")

        # The link is spent: a polite page, not an error.
        response = phone.goto(link)
        assert response.status == 410
        assert phone.locator("h1").inner_text() == "アンケート"
        assert "このリンクからは既に回答をいただいています。" in phone.locator("main").inner_text()
        assert phone.locator("main form").count() == 0
        shots.take(phone, "link-spent")
        assert _unexpected(errors) == []
    finally:
        context.close()

    # The coordinator finds the answers on the registrant's page, Japanese intact.
    page.set_viewport_size(WIDE)
    _login(page, server, logins, "coordinator")
    page.goto(server.url + "/registrants/")
    page.fill("input[name=q]", chosen["email"])
    with page.expect_navigation():
        page.click("form[role=search] button[type=submit]")
    assert page.locator("table tbody tr").count() == 1
    with page.expect_navigation():
        page.locator("table tbody tr a").first.click()
    survey = page.locator("#survey")
    assert COMMENT in survey.inner_text()
    assert "すぐにでも" in survey.inner_text()


# ------------------------------------------------------------------ 1. coordinator


def test_coordinator_confirms_a_tier_records_a_consultation_and_invites(  # noqa: ANN001
    page, demo_site, tmp_path
) -> None:
    server, logins = demo_site
    shots = Shots("coordinator")
    exported = tmp_path / "registrants.csv"
    # Both read before the journey changes anything, side by side.
    queued_before = _queued(server.instance)
    _cli(server.instance, "export", "registrants", str(exported))
    before = {m["id"] for m in json.loads(queued_before.output())}
    candidates = [
        r
        for r in _csv_rows(exported)
        if r["email"]
        and r["name"]
        and not r["erased"]
        and r["tier"] == "move_now"
        and r["tier_method"] == "model"
    ]
    assert candidates, "the demo has no registrant with a proposed move_now tier"

    page.set_viewport_size(WIDE)
    _login(page, server, logins, "coordinator")
    assert page.url == server.url + "/today"
    shots.take(page, "today")
    # Someone not hired yet, so that their hire below moves the KGI by one.
    person = None
    for candidate in candidates[:20]:
        page.goto(server.url + "/registrants/" + candidate["public_id"])
        if page.locator("#settling-form").count() == 0:
            person = candidate
            break
    assert person, "every move_now candidate is already hired"
    page.goto(server.url + "/today")

    # Find the registrant by email: the form posts the term (never in the URL).
    with page.expect_navigation():
        page.click("header nav.main a:text-is('登録者')")
    page.fill("input[name=q]", person["email"])
    with page.expect_navigation():
        page.click("form[role=search] button[type=submit]")
    assert person["email"] not in page.url
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert person["name"] in rows.first.inner_text()
    shots.take(page, "search")
    with page.expect_navigation():
        rows.first.locator("a").click()
    assert page.url.endswith("/registrants/" + person["public_id"])
    assert person["name"] in page.locator("h1").inner_text()

    # Confirm the model's proposal.
    tier = page.locator("#tier")
    assert "モデルの提案" in tier.inner_text()
    assert tier.locator("select[name=tier]").input_value() == "move_now"
    with page.expect_navigation():
        tier.locator("button[type=submit]", has_text="ティアを確定").click()
    assert "ティアを確定しました。" in _flash(page)
    current = page.locator("#tier dd").first.inner_text()
    assert "直ぐに島根へUIターンしたい" in current
    assert "コーディネーターが確定" in current

    # Record a career consultation.
    outcome = "転職フェアへの参加を勧めた"
    form = page.locator("#contact-form form")
    form.locator("select[name=kind]").select_option("career_consultation")
    form.locator("input[name=outcome]").fill(outcome)
    form.locator("textarea[name=notes]").fill("松江市内の企業を希望。家族と相談中。")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "連絡を記録しました。" in _flash(page)
    assert page.locator("#timeline tbody tr", has_text=f"キャリア相談・{outcome}").count() == 1
    shots.take(page, "registrant")

    # An invitation audience: move_now, for an upcoming event with someone to invite.
    page.goto(server.url + "/invitations/new")
    events = page.locator("#f-event option").evaluate_all(
        "options => options.map(o => o.value).filter(Boolean)"
    )
    assert events, "the demo has no upcoming event"
    shown = 0
    for event in events:
        page.goto(server.url + "/invitations/new")
        page.select_option("#f-event", event)
        page.select_option("#f-tier", "move_now")
        with page.expect_navigation():
            page.click("form.audience-form button[type=submit]")
        heading = page.locator("#count h2").inner_text()
        match = re.fullmatch(r"対象者: (\d+) 人", heading.strip())
        assert match, heading
        shown = int(match.group(1))
        if shown:
            break
    assert shown > 0, "no upcoming event has a move_now registrant left to invite"
    assert "ティア: 直ぐに島根へUIターンしたい" in page.locator("#count").inner_text()
    assert 1 <= page.locator("#count a code").count() <= shown
    shots.take(page, "audience")
    send = page.locator("#count form button[type=submit]")
    assert send.inner_text().strip() == f"{shown} 人に招待を送信"
    with page.expect_navigation():
        send.click()
    assert f"{shown} 人への招待を送信キューに入れました。" in _flash(page)
    invited = page.locator("dt:text-is('招待') + dd").inner_text()
    assert int(invited.replace(",", "")) == shown
    shots.take(page, "batch")

    # The outbox holds one queued mail per invited person.
    queued = json.loads(_queued(server.instance).output())
    new = [m for m in queued if m["id"] not in before]
    assert len(new) == shown
    assert {m["template"] for m in new} == {"event_invitation"}
    assert len({m["registrant"] for m in new}) == shown

    # Introduce them to a company (the third-party provision first), move the
    # introduction to a hire, and the dashboard's KGI rises by one.
    page.goto(server.url + "/")
    hires_before = int(page.locator("#measure-hires p.figure strong").inner_text().replace(",", ""))
    page.goto(server.url + "/registrants/" + person["public_id"])
    form = page.locator("#introduction-form form", has=page.locator("#introduction-company"))
    form.locator("select[name=company]").select_option(index=1)  # 0: the placeholder
    for item in ("name", "email"):
        form.locator(f"input[name=items][value={item}]").check()
    form.locator("input[name=consent_at]").fill("2022-11-19 10:00")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    errors = page.locator("#introduction-form [role=alert]").all_inner_texts()
    assert page.locator("#stage-form form").count() == 1, errors
    stage = page.locator("#stage-form form")
    stage.locator("select[name=stage]").select_option("hired")
    with page.expect_navigation():
        stage.locator("button[type=submit]").click()
    assert page.locator("#settling-form").count() == 1, _flash(page)
    shots.take(page, "hired")
    page.goto(server.url + "/")
    hires_after = int(page.locator("#measure-hires p.figure strong").inner_text().replace(",", ""))
    assert hires_after == hires_before + 1
    shots.take(page, "dashboard-after-hire")
    assert page.console_errors == []


def test_a_confirmed_tier_is_stamped_on_the_service_clock(page, demo_site) -> None:  # noqa: ANN001
    server, logins = demo_site
    _login(page, server, logins, "coordinator")
    page.goto(server.url + "/registrants/")
    with page.expect_navigation():
        page.locator("table tbody tr a").last.click()
    # The contact form's placeholder is "now" on the service clock (YYYY-MM-DD HH:MM).
    service_day = page.locator("#contact-at").get_attribute("placeholder")[:10]
    with page.expect_navigation():
        page.locator("#tier button[type=submit]").click()
    assert "ティアを確定しました。" in _flash(page)
    newest = page.locator("#tier table").last.locator("tbody tr").first.inner_text()
    assert "コーディネーターが確定" in newest
    assert newest.startswith(service_day), (newest, service_day)
