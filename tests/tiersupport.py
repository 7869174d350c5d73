"""Registrants with survey answers typical of each readiness tier, for the tier
tests (import as `from tiersupport import …`)."""

from __future__ import annotations

from datetime import UTC, datetime

TYPICAL_ANSWERS = {
    "move_now": {"move_timing": "asap", "destination": "shimane", "job_change_timing": "within_3m"},
    "few_years": {"move_timing": "1_3y", "destination": "shimane", "job_change_timing": "1_3y"},
    "region_undecided": {
        "move_timing": "within_1y",
        "destination": "region_undecided",
        "job_change_timing": "within_1y",
    },
    "one_option": {
        "move_timing": "undecided",
        "destination": "not_sure",
        "job_change_timing": "no_plan",
    },
}
NOW = datetime(2022, 11, 1, 3, 0, tzinfo=UTC)


def add_people(app, make_registrant, per_tier: int = 6) -> dict[str, str]:  # noqa: ANN001
    """Add ``per_tier`` answering registrants per tier; returns {public_id: tier}.

    Emails are ``taro<n>@example.jp`` in creation order (make_registrant's).
    """
    from itworks.db import db
    from itworks.extensions import vault
    from itworks.services.intake import registrants
    from itworks.services.surveys import responses as survey_responses

    made = {}
    for n in range(per_tier):
        for tier in TYPICAL_ANSWERS:
            origin = "i_turn" if tier == "region_undecided" else ("u_turn", "i_turn")[n % 2]
            made[make_registrant(origin=origin)] = (tier, n)
    with app.app_context():
        instrument = survey_responses.current_instrument()
        for public_id, (tier, n) in made.items():
            cleaned = survey_responses.clean(
                {**TYPICAL_ANSWERS[tier], "age_band": ("25_29", "30_34", "40_44")[n % 3]},
                instrument,
                partial=True,
            )
            survey_responses.record(
                db.session,
                vault(),
                registrants.get(db.session, public_id),
                cleaned,
                instrument=instrument,
                channel="web",
                submitted_at=datetime(2022, 9, 1 + n % 28, tzinfo=UTC),
            )
        db.session.commit()
    return {public_id: tier for public_id, (tier, _) in made.items()}


def run_segmentation(app, now: datetime = NOW):  # noqa: ANN001, ANN201
    """Run `segment` as the CLI would; returns the run's id."""
    from itworks.db import db
    from itworks.services.tiers import segment

    with app.app_context():
        return segment.run(db.session, started_by="test", now=now).id
