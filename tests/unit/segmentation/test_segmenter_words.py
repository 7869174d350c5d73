"""Explanations and personas in words a coordinator understands."""

from __future__ import annotations

import pytest

from segmentation import TIERS, Reason


def test_explain_names_the_answers_that_decided(model, make_answers):
    row = make_answers(
        **{
            "move_timing=asap": 1,
            "move_timing:ord": 1.0,
            "destination=shimane": 1,
            "engagement:consultations": 3,
        }
    )
    (reasons,) = model.explain(row)
    assert model.predict(row).tolist() == ["move_now"]
    assert 1 <= len(reasons) <= 3
    assert all(isinstance(r, Reason) and r.text for r in reasons)
    texts = [str(r) for r in reasons]
    assert "move as soon as possible" in texts
    assert sum(r.share for r in reasons) <= 1.0 + 1e-9


def test_explain_respects_top_and_labels(complete, model):
    X, _ = complete
    labels = {"destination=region_undecided": "希望勤務地：地域は未定"}
    rows = X[X["destination=region_undecided"] == 1].iloc[:5]
    explained = model.explain(rows, feature_labels=labels, top=1)
    assert all(len(reasons) == 1 for reasons in explained)
    assert any(r.text == "希望勤務地：地域は未定" for reasons in explained for r in reasons)


def test_explain_never_cites_an_unanswered_question(model, make_answers):
    row = make_answers(**{"destination=shimane": 1, "engagement:consultations": 5})
    (reasons,) = model.explain(row, top=5)
    assert reasons
    assert all(r.feature not in ("move_timing", "job_change_timing") for r in reasons)


def test_unanswered_numbers_read_as_no_answer(model, make_answers):
    row = make_answers(**{"destination=not_sure": 1, "experience_years:missing": 1})
    words = [r.text for r in model.explain(row, top=10)[0]]
    assert all("nan" not in w for w in words)


def test_every_tier_has_described_personas(model, complete):
    X, _ = complete
    assert {p.tier for p in model.personas_} == set(TIERS)
    assert sum(p.size for p in model.personas_) == len(X)
    for persona in model.personas_:
        assert persona.id.startswith(persona.tier + "-")
        assert persona.description and persona.description != "typical of its tier"
        # The tier already says timing and destination; personas say who they are.
        assert not any(t.feature.startswith(("move_timing", "destination")) for t in persona.traits)


def test_personas_use_given_labels(model):
    labels = {"origin=i_turn": "Iターン", "origin=u_turn": "Uターン"}
    described = model.describe_personas(feature_labels=labels)
    assert list(described.columns) == ["persona", "tier", "size", "description"]
    text = " ".join(described["description"])
    assert "Iターン" in text or "Uターン" in text
    assert "I-turn" not in text and "U-turn" not in text


def test_persona_of_matches_assign_and_tier(complete, model):
    X, _ = complete
    placed = model.assign(X.iloc[:300])
    assert (model.persona_of(X.iloc[:300]) == placed["persona"].to_numpy()).all()
    tiers_of = {p.id: p.tier for p in model.personas_}
    pairs = zip(placed["persona"], placed["tier"], strict=True)
    assert all(tiers_of[pid] == tier for pid, tier in pairs)
    assert (placed.index == X.index[:300]).all()


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("origin=i_turn", "I-turn"),
        ("skills=web_backend", "web back-end skills"),
        ("concerns=partner_job", "worried about partner's job"),
        ("age_band=30_34", "age 30-34"),
        ("destination=shimane_or_nearby", "destination: Shimane or nearby"),
        ("mystery=some_code", "mystery: some code"),
    ],
)
def test_default_english_labels(name, words):
    from segmentation.text import answer_label

    assert answer_label(name) == words
