"""Personas read as sentences a coordinator would say, in Japanese and in English,
wherever a persona is shown (the tiers page, the tier list, its filter)."""

from __future__ import annotations

import re

from tiersupport import add_people, run_segmentation

from itworks.services.tiers import personas
from testsupport import PASSWORD

LABELS = {
    "ja": {
        "origin=u_turn": "Uターン",
        "shimane_connection=born_raised": "島根とのつながり: 島根出身",
        "event_interest=study_session": "参加したいイベント: 勉強会",
        "contact_channel:missing": "希望する連絡方法: 未回答",
        "experience_years": "実務経験年数（年）",
    },
    "en": {
        "origin=u_turn": "U-turn",
        "shimane_connection=born_raised": "Connection to Shimane: Born or raised in Shimane",
        "event_interest=study_session": "Event interest: Study sessions",
        "contact_channel:missing": "Contact channel: no answer",
        "experience_years": "Years of experience (years)",
    },
}
TRAITS = [
    ["origin=u_turn", "answer", 0.9, 0.4, 1.0],
    ["shimane_connection=born_raised", "answer", 0.8, 0.3, 0.9],
    ["event_interest=study_session", "answer", 0.7, 0.2, 0.8],
    ["contact_channel:missing", "no_answer", 0.6, 0.1, 0.7],
    ["experience_years", "high", 13.04, 6.0, 0.6],
]


def test_traits_become_sentences_in_each_language() -> None:
    assert personas.sentence(TRAITS, LABELS["ja"], "ja") == (
        "Uターンの人が多い。島根とのつながりは「島根出身」、参加したいイベントは「勉強会」"
        "と答えた人が多い。希望する連絡方法は未回答が多い。実務経験年数（年）が平均より多い（13.0）。"
    )
    assert personas.sentence(TRAITS, LABELS["en"], "en") == (
        "Mostly U-turn registrants. Mostly answered Connection to Shimane: Born or raised in "
        "Shimane; Event interest: Study sessions. Often left unanswered: Contact channel. "
        "Years of experience (years) above average (13.0)."
    )
    assert personas.sentence([], LABELS["en"], "en") == ""


def test_the_tier_pages_show_personas_as_sentences(app, client, auth, make_registrant) -> None:
    add_people(app, make_registrant, per_tier=5)
    run_segmentation(app)
    auth.login("coord", PASSWORD, role="coordinator")
    for lang, said in (("ja", "人が多い。"), ("en", "Mostly ")):
        for path in ("/tiers/", "/tiers/registrants"):
            html = client.get(f"{path}?lang={lang}").text
            assert said in html, (lang, path)
        listed = client.get(f"/tiers/registrants?lang={lang}").text
        cells = re.findall(r'<td class="persona" title="([^"]*)"', listed)
        assert cells and all(said in c for c in cells if c != "—"), (lang, cells[:3])
