"""The online survey link, end to end: create, answer, reuse refused, expired
refused, tampered refused; and interview entry by a coordinator."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from testsupport import PASSWORD, csrf_token

GOOD = {
    "move_timing": "within_1y",
    "destination": "shimane",
    "shimane_connection": "born_raised",
    "job_change_timing": "within_1y",
    "age_band": "30_34",
    "skills": ["web_backend", "cloud"],
    "experience_years": "8",
    "comment": "妻の仕事が心配です。連絡は平日夜に。",
}


def link_from_page(client, public_id: str) -> str:  # noqa: ANN001
    detail = client.get(f"/registrants/{public_id}")
    response = client.post(
        f"/registrants/{public_id}/survey-link",
        data={"csrf_token": csrf_token(detail.text)},
        follow_redirects=True,
    )
    match = re.search(r"http://localhost(/s/[^\s<\"]+)", response.text)
    assert match, "the detail page shows the new link"
    return match.group(1)


def post_answers(client, path: str, answers: dict):  # noqa: ANN001, ANN201
    page = client.get(path)
    data = {"csrf_token": csrf_token(page.text), **answers}
    return client.post(path, data=data)


@pytest.fixture
def link(client, auth, make_registrant) -> tuple[str, str]:  # noqa: ANN001
    public_id = make_registrant(name="回答 太郎")
    auth.login("coord", PASSWORD, role="coordinator")
    path = link_from_page(client, public_id)
    auth.logout()
    return public_id, path


def test_registrant_answers_once_through_their_link(app, client, link, session) -> None:
    from itworks.models import SurveyLink, SurveyResponse

    public_id, path = link
    page = client.get(path)
    assert page.status_code == 200
    assert "ご回答の利用目的" in page.text and "移住の時期" in page.text
    assert '<meta name="viewport"' in page.text
    done = post_answers(client, path, GOOD)
    assert done.status_code == 200 and "ありがとうございました" in done.text
    response = session.scalar(sa.select(SurveyResponse))
    assert response.channel == "web" and response.instrument_version == 1
    assert response.answers["skills"] == ["web_backend", "cloud"]
    assert response.answers["experience_years"] == 8.0
    assert "comment" not in response.answers and response.free_text_enc is not None
    assert "妻".encode() not in response.free_text_enc
    assert session.scalar(sa.select(SurveyLink.used_at)) is not None
    again = client.get(path)
    assert again.status_code == 410 and "既に回答" in again.text
    resubmit = client.post(path, data={**GOOD, "csrf_token": csrf_token(page.text)})
    assert resubmit.status_code == 410
    assert session.scalar(sa.select(sa.func.count(SurveyResponse.id))) == 1


def test_missing_and_invalid_answers_are_shown_per_question(client, link, session) -> None:
    from itworks.models import SurveyLink

    _, path = link
    bad = {**GOOD, "move_timing": "", "destination": "mars", "experience_years": "-3"}
    response = post_answers(client, path, bad)
    assert response.status_code == 422
    for qid in ("move_timing", "destination", "experience_years"):
        assert f'id="q-{qid}"' in response.text
    assert response.text.count('class="field-error"') == 3
    assert "妻の仕事が心配です" in response.text  # nothing typed is lost
    assert session.scalar(sa.select(SurveyLink.used_at)) is None


def test_expired_link_gets_a_friendly_page(client, link, session) -> None:
    from itworks.models import SurveyLink

    _, path = link
    row = session.scalar(sa.select(SurveyLink))
    row.expires_at = row.created_at - timedelta(seconds=1)
    session.commit()
    response = client.get(path)
    assert response.status_code == 410 and "有効期限" in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-3] + "abc",
        lambda t: t + "x",
        lambda t: "x" + t,
        lambda t: "garbage",
        lambda t: t.split(".")[0],
    ],
)
def test_tampered_link_gets_a_friendly_page(client, link, mangle) -> None:
    _, path = link
    token = path.removeprefix("/s/")
    response = client.get("/s/" + mangle(token))
    assert response.status_code == 400
    assert "正しくありません" in response.text and "Traceback" not in response.text


def test_link_of_an_erased_registrant_is_gone(client, link, session) -> None:
    from itworks.services.intake import registrants

    public_id, path = link
    registrants.erase(session, public_id, actor_label="test")
    assert client.get(path).status_code == 404


def test_coordinator_enters_and_corrects_answers_in_an_interview(
    client, auth, make_registrant, session
) -> None:
    from itworks.models import Registrant
    from itworks.services.surveys import responses as survey_responses

    public_id = make_registrant()
    auth.login("coord", PASSWORD, role="coordinator")
    first = post_answers(client, f"/registrants/{public_id}/survey", GOOD)
    assert first.status_code == 302
    corrected = post_answers(client, f"/registrants/{public_id}/survey", {"move_timing": "asap"})
    assert corrected.status_code == 302
    registrant_id = session.scalar(
        sa.select(Registrant.id).where(Registrant.public_id == public_id)
    )
    latest = survey_responses.latest_answers(session, [registrant_id])[registrant_id]
    assert latest["move_timing"] == "asap" and latest["destination"] == "shimane"
    page = client.get(f"/registrants/{public_id}")
    assert "すぐにでも" in page.text and "面談" in page.text
    assert "妻の仕事が心配です。" in page.text  # free text decrypted for coordinators


def test_interview_entry_rejects_unknown_codes_per_question(client, auth, make_registrant) -> None:
    public_id = make_registrant()
    auth.login("coord", PASSWORD, role="coordinator")
    response = post_answers(client, f"/registrants/{public_id}/survey", {"destination": "moon"})
    assert response.status_code == 422 and 'class="field-error"' in response.text


def test_prefecture_staff_cannot_enter_answers_or_make_links(client, auth, make_registrant) -> None:
    public_id = make_registrant()
    auth.login("pref", PASSWORD, role="prefecture")
    assert client.get(f"/registrants/{public_id}/survey").status_code == 403
    page = client.get("/")
    response = client.post(
        f"/registrants/{public_id}/survey-link", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 403
