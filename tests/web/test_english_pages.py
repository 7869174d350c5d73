"""An English page shows no Japanese UI text: every label, heading, message and
figure caption goes through the catalogue. Data may be Japanese (names, free
text, event, company and campaign names: every text the database holds), and
so may era labels, shown beside the Western year by design (令和4年度 beside
FY2022), and the product's name, IT WORKS@島根.

The pages are found by walking the URL map (as test_access does) and then every
link the pages show, on an instance seeded through the demo.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from testsupport import PASSWORD

# Kana and kanji; not the punctuation (・, ー, 〜) that English pages may use too.
JAPANESE = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u4e00-\u9fff]")
PRODUCT = "IT WORKS@島根"
# Era labels and wareki dates: 令和4年度, 平成30年度, 令和4年5月1日, R4, H30.
ERA = re.compile(r"(令和|平成|昭和)(\d+|元)年(度|\d+月(\d+日)?)?")
SKIPPED_TAGS = {"script", "style"}
SHOWN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
MAX_PAGES = 400


class _Text(HTMLParser):
    """The text a reader sees, minus elements marked lang="ja" (the language switch)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._stack: list[tuple[str, bool]] = []

    def _hidden(self) -> bool:
        return any(hidden for _, hidden in self._stack)

    def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN201
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        hidden = tag in SKIPPED_TAGS or attributes.get("lang") == "ja"
        if tag not in {"br", "img", "input", "meta", "link", "hr", "wbr", "source"}:
            self._stack.append((tag, hidden))
        if not (hidden or self._hidden()):
            self.parts += [v for k, v in attributes.items() if k in SHOWN_ATTRIBUTES and v]
            if tag == "input" and attributes.get("type") in {"submit", "button"}:
                self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):  # noqa: ANN001, ANN201
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data):  # noqa: ANN001, ANN201
        if not self._hidden():
            self.parts.append(data)


def _strings(value: object, into: set[str]) -> None:
    if isinstance(value, str):
        into.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, into)
    elif isinstance(value, list):
        for item in value:
            _strings(item, into)


def _data_values(session, vault) -> list[str]:  # noqa: ANN001
    """Every text value the database holds (decrypted where personal): that is data."""
    from itworks.models import Registrant
    from itworks.models.base import Base
    from itworks.services.intake import registrants

    values: set[str] = set()
    for table in Base.metadata.sorted_tables:
        # JSON too: a model proposal's explanation is recorded, in words, when it is made.
        kinds = sa.String | sa.Text | sa.JSON
        columns = [c for c in table.columns if isinstance(c.type, kinds)]
        if not columns:
            continue
        for row in session.execute(sa.select(*columns)):
            for value in row:
                _strings(value, values)
    for row in session.scalars(sa.select(Registrant)):
        personal, _ = registrants.decrypt_fields(vault, row)
        for value in personal.values():
            if isinstance(value, str):
                values.add(value)
                values.update(value.split())
    return sorted((v for v in values if JAPANESE.search(v)), key=len, reverse=True)


def _japanese_ui_text(html: str, data: list[str]) -> tuple[list[str], list[str]]:
    parser = _Text()
    parser.feed(html)
    text = "\n".join(parser.parts)
    for value in data:
        text = text.replace(value, " ")
    text = ERA.sub(" ", text.replace(PRODUCT, " "))
    leftovers = [line.strip() for line in text.splitlines() if JAPANESE.search(line)]
    return leftovers, parser.links


@pytest.fixture
def demo_instance(app, session):  # noqa: ANN001, ANN201
    from itworks.demo import demo
    from itworks.extensions import link_signer, vault
    from itworks.services.intake import arrivals

    with app.app_context():
        notice = arrivals.Notice(
            app.config["PRIVACY_NOTICE_VERSION"], app.config["PRIVACY_NOTICE_TEXT"]
        )
        demo.load(session, vault(), link_signer(), notice, count=60)
        app.config["AS_OF_DATE"] = demo.DEMO_AS_OF.isoformat()
        return _data_values(session, vault())


def _start_urls(app) -> list[str]:  # noqa: ANN001
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.arguments or rule.endpoint == "static":
            continue
        if rule.rule.startswith("/api/") or rule.rule in {"/logout", "/healthz"}:
            continue
        urls.append(rule.rule)
    return sorted(urls)


def _walk(client, app, data: list[str]) -> dict[str, list[str]]:  # noqa: ANN001
    found: dict[str, list[str]] = {}
    queue = _start_urls(app)
    seen = set(queue)
    pages = 0
    while queue and pages < MAX_PAGES:
        url = queue.pop(0)
        response = client.get(url)
        pages += 1
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()
            continue
        leftovers, links = _japanese_ui_text(response.text, data)
        if leftovers:
            found[url] = leftovers
        for link in links:
            parts = urlsplit(link)
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith("/api/"):
                continue
            if "lang=" in parts.query or parts.path in {"/logout", "/static"}:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen and not parts.path.startswith("/static/"):
                seen.add(target)
                queue.append(target)
    assert pages > 50  # the demo gives ~320 pages to a coordinator, ~130 to prefecture staff
    return found


@pytest.mark.parametrize("role", ["coordinator", "prefecture"])
def test_english_pages_show_no_japanese_ui_text(app, client, auth, demo_instance, role) -> None:
    auth.login(f"en-{role}", PASSWORD, role=role)
    assert client.get("/?lang=en").status_code == 200
    found = _walk(client, app, demo_instance)
    report = sorted({line for lines in found.values() for line in lines})
    assert report == [], "\n".join(["untranslated UI text:", *report, "on", *sorted(found)[:30]])


def test_japanese_page_is_still_japanese(client, auth) -> None:
    auth.login("ja-coordinator", PASSWORD, role="coordinator")
    page = client.get("/").text
    assert "ダッシュボード" in page
    assert 'lang="ja"' in page
