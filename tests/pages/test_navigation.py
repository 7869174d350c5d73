"""The header's navigation: one list in Python, filtered by role and by what the app
has registered, so every page a role may open is one click away and none breaks."""

from __future__ import annotations

import re

import pytest

from testsupport import PASSWORD


def _nav(html: str) -> str:
    return html[
        html.index('<nav class="main"') : html.index("</nav>", html.index('<nav class="main"'))
    ]


def _links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', _nav(html))


@pytest.mark.parametrize("role", ["coordinator", "prefecture", "admin"])
def test_every_link_opens_for_the_role_and_every_page_it_may_open_is_linked(
    app, client, auth, role
) -> None:
    from itworks.web import main

    auth.login("someone", PASSWORD, role=role)
    page = client.get("/")
    assert page.status_code == 200
    links = _links(page.text)
    assert len(links) == len(set(links))
    for url in links:
        assert client.get(url).status_code == 200, url
    with app.test_request_context("/"):
        from flask import url_for

        expected = {
            url_for(e.endpoint)
            for _, entries in main.NAVIGATION
            for e in entries
            if e.endpoint in app.view_functions
            and role in app.view_functions[e.endpoint].allowed_roles
        }
    assert set(links) == expected


def test_the_coordinator_reaches_tier_movement_and_the_prefecture_no_personal_page(
    client, auth
) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    coordinator = _links(client.get("/").text)
    assert "/tiers/movement" in coordinator and "/registrants/" in coordinator
    assert "ティアの推移" in _nav(client.get("/").text)
    auth.logout()
    auth.login("pref", PASSWORD, role="prefecture")
    prefecture = _links(client.get("/").text)
    assert "/tiers/movement" in prefecture
    assert "/registrants/" not in prefecture and "/tiers/registrants" not in prefecture


def test_many_links_are_grouped_in_menus_without_script(client, auth, monkeypatch) -> None:
    from itworks.web import main

    auth.login("coord", PASSWORD, role="coordinator")
    nav = _nav(client.get("/").text)
    assert nav.count('<details class="menu') >= 2
    assert "<script" not in nav
    auth.logout()
    auth.login("pref", PASSWORD, role="prefecture")
    links = _links(client.get("/").text)
    # The prefecture's seven links no longer fit one line in English: menus too.
    assert len(links) > main.FLAT_LINKS
    assert "<details" in _nav(client.get("/").text)
    monkeypatch.setattr(main, "FLAT_LINKS", len(links))
    assert "<details" not in _nav(client.get("/").text)  # few enough stand in the bar


def test_an_entry_whose_page_is_not_registered_is_skipped(app, client, auth, monkeypatch) -> None:
    from itworks.web import main

    extra = (main.NavEntry("nowhere.index", "どこにもない"),)
    monkeypatch.setattr(main, "NAVIGATION", (*main.NAVIGATION, ("余分", extra)))
    auth.login("coord", PASSWORD, role="coordinator")
    page = client.get("/")
    assert page.status_code == 200
    assert "どこにもない" not in page.text and "余分" not in page.text


def test_the_current_page_is_marked(client, auth) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    nav = _nav(client.get("/history").text)
    assert re.search(r'href="/history" aria-current="page"', nav)
    assert '<details class="menu current">' in nav
