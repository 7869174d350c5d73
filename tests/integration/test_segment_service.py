"""`itworks segment` as a service: fit, propose, confirm, refit (issue 5)."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from tiersupport import NOW, TYPICAL_ANSWERS, add_people


@pytest.fixture
def people(app, make_registrant):
    """Six registrants per tier, each with answers typical of it; returns {public_id: tier}."""
    return add_people(app, make_registrant)


def _assignments(session, public_id):
    from itworks.models import Registrant, TierAssignment

    return session.scalars(
        sa.select(TierAssignment)
        .join(Registrant, Registrant.id == TierAssignment.registrant_id)
        .where(Registrant.public_id == public_id)
        .order_by(TierAssignment.assigned_at, TierAssignment.id)
    ).all()


def _coordinator(session):
    from itworks.services.accounts import users

    return users.create_user(session, "coord", "coordinator", "x" * 16, actor_label="test")


def test_a_run_proposes_one_tier_per_registrant_with_words(app, session, people) -> None:
    from itworks.models import SegmentationRun, TierAssignment
    from itworks.services.tiers import segment

    record = segment.run(session, started_by="test", now=NOW)
    rows = session.scalars(sa.select(TierAssignment)).all()
    assert len(rows) == len(people) == record.registrants
    assert {r.method for r in rows} == {"model"} and {r.run_id for r in rows} == {record.id}
    assert all(0.0 < r.confidence <= 1.0 and r.model_version for r in rows)
    for public_id, tier in people.items():
        (proposal,) = _assignments(session, public_id)
        assert proposal.tier == tier
        assert proposal.persona
        assert proposal.explanation and {"feature", "text", "share"} <= set(proposal.explanation[0])
    words = " ".join(e["text"] for r in rows for e in r.explanation)
    assert "移住" in words  # the instrument's Japanese labels, not feature names
    stored = session.get(SegmentationRun, record.id)
    assert stored.finished_at is not None and stored.model_json
    metrics = stored.metrics
    assert sum(metrics["cluster_sizes"].values()) == len(people)
    assert metrics["confirmed"] == 0 and "accuracy_vs_confirmed" not in metrics
    assert -1.0 <= metrics["silhouette"] <= 1.0
    assert {p["tier"] for p in metrics["personas"]} <= set(TYPICAL_ANSWERS)
    json.dumps(metrics, allow_nan=False)  # strict JSON, valid on PostgreSQL too


def test_fit_assign_override_refit_keeps_the_override_and_the_history(app, session, people) -> None:
    from itworks.services.intake import exports
    from itworks.services.tiers import segment, tiers

    coordinator = _coordinator(session)
    first = segment.run(session, started_by="test", now=NOW)
    public_id = next(p for p, t in people.items() if t == "move_now")
    tiers.confirm(
        session,
        public_id,
        "one_option",
        actor=coordinator,
        reason="tier_interview",
        at=NOW + timedelta(days=1),
    )
    second = segment.run(session, started_by="test", now=NOW + timedelta(days=2))

    history = _assignments(session, public_id)
    assert [(a.method, a.run_id) for a in history] == [
        ("model", first.id),
        ("coordinator", None),
        ("model", second.id),
    ]
    assert history[1].tier == "one_option" and history[1].reason_code == "tier_interview"
    assert history[1].assigned_by_id == coordinator.id
    registrant_id = history[0].registrant_id
    assert tiers.current_tiers(session)[registrant_id] == ("one_option", "coordinator")
    assert exports.current_tiers(session)[registrant_id] == ("one_option", "coordinator")
    # The confirmation fed the second fit, and the run measured itself against it.
    assert second.metrics["confirmed"] == 1
    assert second.metrics["confirmed_sizes"]["one_option"] == 1
    assert "accuracy_vs_confirmed" in second.metrics
    assert "baseline_accuracy_vs_confirmed" in second.metrics
    # The run report carries the out-of-fold reliability table of the confidence.
    bands = second.metrics["reliability"]
    assert sum(b["n"] for b in bands) == second.metrics["agreement"]["n"] == 1
    assert all(b["share_correct"] in (None, 0.0, 1.0) for b in bands)
    # A coordinator changing their mind is the new current tier.
    tiers.confirm(session, public_id, "move_now", actor=coordinator, at=NOW + timedelta(days=3))
    assert tiers.current_tiers(session)[registrant_id] == ("move_now", "coordinator")


def test_the_stored_model_gives_identical_predictions(app, session, people) -> None:
    from itworks.models import TierAssignment
    from itworks.services.tiers import features as segment_features
    from itworks.services.tiers import segment

    record = segment.run(session, started_by="test", now=NOW)
    model = segment.load_model(session, record.id)
    features = segment_features.build(session, now=NOW)
    stored = {
        a.registrant_id: a
        for a in session.scalars(
            sa.select(TierAssignment).where(TierAssignment.run_id == record.id)
        )
    }
    predicted = model.assign(features.X)
    assert predicted["tier"].tolist() == [stored[i].tier for i in features.registrant_ids]
    assert np.array_equal(
        predicted["confidence"].to_numpy(),
        np.array([stored[i].confidence for i in features.registrant_ids]),
    )


def test_erased_and_merged_registrants_are_not_segmented(app, session, people) -> None:
    from itworks.models import Registrant, TierAssignment
    from itworks.services.intake import registrants
    from itworks.services.tiers import segment

    erased, merged = list(people)[:2]
    registrants.erase(session, erased, actor_label="test")
    row = registrants.get(session, merged)
    row.merged_into_id = registrants.get(session, list(people)[2]).id
    session.commit()
    record = segment.run(session, started_by="test", now=NOW)
    assert record.registrants == len(people) - 2
    tiered = set(
        session.scalars(
            sa.select(Registrant.public_id).join(
                TierAssignment, TierAssignment.registrant_id == Registrant.id
            )
        )
    )
    assert erased not in tiered and merged not in tiered


def test_answers_the_instrument_no_longer_accepts_count_as_unanswered(app, session, people):
    from itworks.models import SurveyResponse
    from itworks.services.intake import registrants
    from itworks.services.tiers import segment

    registrant = registrants.get(session, next(iter(people)))
    session.add(
        SurveyResponse(
            registrant_id=registrant.id,
            instrument_id="readiness",
            instrument_version=1,
            channel="import",
            submitted_at=NOW - timedelta(days=1),
            answers={"move_timing": "retired_code", "no_such_question": "x"},
        )
    )
    session.commit()
    record = segment.run(session, started_by="test", now=NOW)
    assert record.registrants == len(people)


def test_nothing_to_segment_is_a_clear_error(app, session) -> None:
    from itworks.services.errors import Conflict
    from itworks.services.tiers import segment

    with pytest.raises(Conflict, match="分類する登録者がいません"):
        segment.run(session, started_by="test")


def test_confirm_rejects_unknown_tiers_and_reasons(app, session, make_registrant) -> None:
    from itworks.services.errors import InvalidInput
    from itworks.services.tiers import tiers

    public_id = make_registrant()
    coordinator = _coordinator(session)
    with pytest.raises(InvalidInput) as caught:
        tiers.confirm(session, public_id, "soonish", actor=coordinator, reason="because")
    assert set(caught.value.errors) == {"tier", "reason"}
    # The Japanese label is as good as the code.
    assignment = tiers.confirm(session, public_id, "Iターンしたいが地域は未確定", actor=coordinator)
    assert assignment.tier == "region_undecided" and assignment.method == "coordinator"
