"""Invitation rounds with incentive arms, the response-rate report, the survey
import, and the tallies (raw for coordinators, suppressed for the prefecture)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from testsupport import PASSWORD, csrf_token


@pytest.fixture
def round_of_60(app, make_registrant):  # noqa: ANN001, ANN201
    """A round of 60 people in two arms; 6 of 30 answer in 'none', 12 of 30 in 'giftcard_500'."""
    from itworks.db import db
    from itworks.extensions import link_signer
    from itworks.models import SurveyLink, utcnow
    from itworks.services.surveys import links as survey_links

    for n in range(60):
        make_registrant(email=f"r{n}@example.jp", phone=None)
    with app.app_context():
        round_ = survey_links.create_round(
            db.session,
            link_signer(),
            "2022年秋",
            ["none", "giftcard_500"],
            seed=42,
            actor_label="test",
        )
        for arm, answered in (("none", 6), ("giftcard_500", 12)):
            ids = db.session.scalars(
                sa.select(SurveyLink.id).where(SurveyLink.arm == arm).limit(answered)
            ).all()
            db.session.execute(
                sa.update(SurveyLink).where(SurveyLink.id.in_(ids)).values(used_at=utcnow())
            )
        db.session.commit()
        return round_.public_id


def test_arms_are_balanced_and_the_seed_reproduces_the_assignment(app, round_of_60) -> None:
    import random

    from itworks.db import db
    from itworks.models import InvitationRound, Registrant, SurveyLink

    with app.app_context():
        round_ = db.session.scalar(sa.select(InvitationRound))
        assigned = dict(
            db.session.execute(sa.select(SurveyLink.registrant_id, SurveyLink.arm)).all()
        )
        ids = db.session.scalars(sa.select(Registrant.id).order_by(Registrant.id)).all()
    assert round_.seed == 42
    assert sorted(assigned.values()).count("none") == 30
    shuffled = list(ids)
    random.Random(42).shuffle(shuffled)
    expected = {rid: round_.arms[i % 2] for i, rid in enumerate(shuffled)}
    assert assigned == expected


def test_report_matches_hand_computed_wilson_and_newcombe_intervals(app, round_of_60) -> None:
    from itworks.db import db
    from itworks.services.surveys import links as survey_links

    with app.app_context():
        report = survey_links.report(db.session, survey_links.get_round(db.session, round_of_60))
    none, gift = report.arms
    assert (none.arm, none.invited, none.responded) == ("none", 30, 6)
    assert (gift.arm, gift.invited, gift.responded) == ("giftcard_500", 30, 12)
    # By hand: Wilson 6/30 = [0.0951, 0.3731]; 12/30 = [0.2459, 0.5768];
    # Newcombe hybrid score for 12/30 − 6/30 = 0.2000 [−0.0317, 0.4056].
    assert (round(none.low, 4), round(none.high, 4)) == (0.0951, 0.3731)
    assert (round(gift.low, 4), round(gift.high, 4)) == (0.2459, 0.5768)
    (diff,) = report.differences
    assert (diff.arm, diff.baseline) == ("giftcard_500", "none")
    assert (round(diff.difference, 4), round(diff.low, 4), round(diff.high, 4)) == (
        0.2,
        -0.0317,
        0.4056,
    )


def test_round_pages_and_cli_report(client, auth, runner, round_of_60) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    page = client.get(f"/surveys/rounds/{round_of_60}")
    assert page.status_code == 200
    assert (
        "giftcard_500" in page.text and "40.0%" in page.text and "差があるとは言えない" in page.text
    )
    result = runner.invoke(["surveys", "round-report", "2022年秋", "--json"])
    data = json.loads(result.output)
    assert [a["responded"] for a in data["arms"]] == [6, 12]


def test_round_created_from_the_page_invites_everyone(
    client, auth, make_registrant, session
) -> None:
    from itworks.models import SurveyLink

    for n in range(4):
        make_registrant(email=f"p{n}@example.jp", phone=None)
    auth.login("coord", PASSWORD, role="coordinator")
    page = client.get("/surveys/rounds")
    bad = client.post(
        "/surveys/rounds",
        data={"csrf_token": csrf_token(page.text), "name": "", "arms": "None,none", "days": "0"},
    )
    assert bad.status_code == 422
    assert bad.text.count('class="field-error"') == 3
    created = client.post(
        "/surveys/rounds",
        data={
            "csrf_token": csrf_token(page.text),
            "name": "冬",
            "arms": "none,giftcard_500",
            "days": "14",
        },
    )
    assert created.status_code == 302
    assert session.scalar(sa.select(sa.func.count(SurveyLink.id))) == 4


def test_round_links_file_for_the_mail_merge(runner, round_of_60, tmp_path: Path) -> None:
    out = tmp_path / "links.csv"
    result = runner.invoke(["surveys", "round-links", "2022年秋", str(out)])
    assert result.exit_code == 0
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "name,email,arm,url,expires_at"
    assert len(lines) == 1 + 60 - 18  # the open links only
    assert "http://127.0.0.1:8000/s/" in lines[1]
    assert out.stat().st_mode & 0o777 == 0o600


# ------------------------------------------------------------------ import


def test_import_survey_responses_good_bad_and_unknown_email(
    runner, make_registrant, session, tmp_path: Path
) -> None:
    from itworks.models import SurveyResponse

    make_registrant(email="known@example.jp")
    make_registrant(email="second@example.jp")
    text = (
        "email,move_timing,destination,skills,experience_years,回答日\n"
        "KNOWN@example.jp,asap,shimane,web_backend;cloud,5,2022/5/1\n"
        "stranger@example.jp,asap,shimane,,,2022/5/1\n"
        "second@example.jp,someday,mars,teleport,-1,2022/5/1\n"
        "second@example.jp,1_3y,not_sure,,,2022-05-02\n"
    )
    path = tmp_path / "answers.csv"
    path.write_bytes(text.encode("cp932"))
    result = runner.invoke(["import", "survey-responses", str(path), "--json"])
    summary = json.loads(result.output)
    assert result.exit_code == 1
    assert (summary["imported"], summary["rejected"]) == (2, 2)
    assert {(e["row"], e["field"]) for e in summary["errors"]} == {
        (3, "email"),
        (4, "move_timing"),
        (4, "destination"),
        (4, "skills"),
        (4, "experience_years"),
    }
    stored = session.scalars(sa.select(SurveyResponse).order_by(SurveyResponse.id)).all()
    assert stored[0].answers["skills"] == ["web_backend", "cloud"]
    assert stored[0].channel == "import"
    again = json.loads(runner.invoke(["import", "survey-responses", str(path), "--json"]).output)
    assert (again["imported"], again["duplicates"]) == (0, 2)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(SurveyResponse.id))) == 2


# ------------------------------------------------------------------ tallies


@pytest.fixture
def answered(app, make_registrant):  # noqa: ANN001, ANN201
    """Twelve answers: 9 shimane (6 U-turn, 3 I-turn), 3 not_sure (I-turn)."""
    from datetime import UTC, datetime

    from itworks.db import db
    from itworks.extensions import vault
    from itworks.services.intake import registrants
    from itworks.services.surveys import responses as survey_responses

    people = [
        make_registrant(
            email=f"t{n}@example.jp", phone=None, origin="u_turn" if n < 6 else "i_turn"
        )
        for n in range(12)
    ]
    with app.app_context():
        instrument = survey_responses.current_instrument()
        for n, public_id in enumerate(people):
            registrant = registrants.get(db.session, public_id)
            destination = "shimane" if n < 9 else "not_sure"
            cleaned = survey_responses.clean(
                {"move_timing": "asap", "destination": destination}, instrument, partial=True
            )
            survey_responses.record(
                db.session,
                vault(),
                registrant,
                cleaned,
                instrument=instrument,
                channel="import",
                submitted_at=datetime(2022, 6, 1, tzinfo=UTC),
            )
        db.session.commit()


def test_tallies_count_and_break_down(app, answered) -> None:
    from itworks.db import db
    from itworks.tables import tallies as survey_tallies

    with app.app_context():
        result = survey_tallies.tally(db.session, fiscal_year=2022, by="origin")
        assert survey_tallies.tally(db.session, fiscal_year=2021).respondents == 0
    assert result.respondents == 12
    destination = next(t for t in result.questions if t.question.id == "destination")
    table = destination.counts
    assert table.loc["島根県に決めている"].tolist() == [9, 6, 3]
    assert table.loc["移住するか自体が未定"].tolist() == [3, 0, 3]
    assert table.loc["未回答"].tolist() == [0, 0, 0]


def test_coordinators_see_counts_and_prefecture_sees_them_suppressed(
    client, auth, answered
) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    raw = client.get("/surveys/tallies?fy=2022&by=origin")
    assert raw.status_code == 200 and "&lt;5" not in raw.text
    auth.logout()
    auth.login("pref", PASSWORD, role="prefecture")
    published = client.get("/surveys/tallies?fy=2022&by=origin")
    assert published.status_code == 200
    assert "&lt;5" in published.text
    csv_text = client.get("/surveys/tallies.csv?fy=2022&by=origin").data.decode("utf-8-sig")
    line = next(li for li in csv_text.splitlines() if li.startswith("移住先,移住するか自体が未定"))
    assert "<5" in line and ",3," not in line + ","


@pytest.mark.parametrize("query", ["by=shoe_size", "fy=abc", "fy=1800"])
def test_bad_tally_parameters_are_400_not_500(client, auth, query) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    response = client.get(f"/surveys/tallies?{query}")
    assert response.status_code in (200, 400)
    assert response.status_code != 500


def test_report_tables_feed_the_implementation_report(app, answered) -> None:
    from itworks.db import db
    from itworks.tables import tallies as survey_tallies

    with app.app_context():
        raw = survey_tallies.report_tables(db.session, 2022)
        published = survey_tallies.report_tables(db.session, 2022, k=5)
    titles = [t for t, _ in raw]
    assert "移住先" in titles and "移住先（U/Iターン別）" in titles
    flat = [v for _, table in published for v in table.to_numpy().ravel().tolist()]
    assert not any(isinstance(v, int | float) and 1 <= v <= 4 for v in flat)
