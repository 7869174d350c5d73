"""The tier list: paged with its filters kept, and leading on to inviting the tier."""

from __future__ import annotations

import re

from tiersupport import add_people, run_segmentation

from testsupport import PASSWORD


def test_pages_keep_the_filters_and_the_tier_leads_to_an_invitation(
    app, client, auth, make_registrant, monkeypatch
) -> None:
    add_people(app, make_registrant, per_tier=5)
    run_segmentation(app)
    app.config["PAGE_SIZE"] = 2
    auth.login("coord", PASSWORD, role="coordinator")
    first = client.get("/tiers/registrants?tier=move_now&method=model").text
    assert "1 / 3" in first
    following = re.search(r'href="(/tiers/registrants\?[^"]*page=2[^"]*)"', first)
    assert following, "no link to page 2"
    link = following.group(1).replace("&amp;", "&")
    assert "tier=move_now" in link and "method=model" in link
    second = client.get(link).text
    assert "2 / 3" in second
    assert 'value="move_now" selected' in second
    assert second.count('<tr>\n      <td><a href="/registrants/') <= 2
    assert 'href="/invitations/new?tier=move_now"' in first
    assert "/invitations/new" not in client.get("/tiers/registrants").text  # no tier chosen


def test_without_the_invitation_page_the_list_still_renders(
    app, client, auth, make_registrant, monkeypatch
) -> None:
    add_people(app, make_registrant, per_tier=1)
    run_segmentation(app)
    monkeypatch.delitem(app.view_functions, "invitation_batches.new", raising=False)
    auth.login("coord", PASSWORD, role="coordinator")
    page = client.get("/tiers/registrants?tier=move_now")
    assert page.status_code == 200 and "/invitations/new" not in page.text
