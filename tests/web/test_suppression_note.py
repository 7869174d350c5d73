"""Every page that suppresses small cells says so in the same words, with the k it uses."""

from __future__ import annotations

import pytest

from testsupport import PASSWORD

PAGES = ["/surveys/tallies", "/tiers/movement", "/funnel/", "/publicity/"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("k", [5, 3])
def test_the_note_describes_what_the_cells_show(app, client, auth, path, k) -> None:
    app.config["SMALL_CELL_K"] = k
    auth.login("pref", PASSWORD, role="prefecture")
    page = client.get(path)
    assert page.status_code == 200
    assert f"1〜{k - 1}人の区分は「<{k}」" in page.text


@pytest.mark.parametrize("path", PAGES)
def test_coordinators_see_every_count_and_no_note(client, auth, path) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    page = client.get(path)
    assert page.status_code == 200
    assert "の区分は「<" not in page.text
