"""A merged duplicate is folded into the person it was merged into wherever a person
is counted or listed: contacts and re-contact dates, segmentation features and the
stage funnel's tier split (all grouped by the survivor's id, in SQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

DAYS = {"move_now": 30, "few_years": 90, "region_undecided": 60, "one_option": 180}


@pytest.fixture
def merged(session, make_registrant):  # noqa: ANN001, ANN201
    """Survivor S (tier move_now, registered 1 June 2022) and duplicate D merged into S,
    who holds the contacts: a phone call on 1 Aug, a career consultation on 10 Sept, a
    survey answer and an attended event. A third person T, tiered, never contacted."""
    from itworks.models import (
        Consultation,
        ContactLog,
        Event,
        EventSignup,
        Registrant,
        SurveyResponse,
        TierAssignment,
    )

    ids = [
        make_registrant(registered_at=datetime(2022, 6, 1, 3, tzinfo=UTC)),
        make_registrant(registered_at=datetime(2022, 6, 20, 3, tzinfo=UTC)),
        make_registrant(registered_at=datetime(2022, 6, 5, 3, tzinfo=UTC)),
    ]
    session.rollback()
    s, d, t = (session.scalar(sa.select(Registrant).where(Registrant.public_id == i)) for i in ids)
    d.merged_into_id = s.id
    at = datetime(2022, 6, 1, tzinfo=UTC)
    session.add_all(
        [
            TierAssignment(registrant_id=s.id, tier="move_now", method="coordinator",
                           assigned_at=at),
            TierAssignment(registrant_id=t.id, tier="move_now", method="coordinator",
                           assigned_at=at),
            ContactLog(registrant_id=d.id, contacted_at=datetime(2022, 8, 1, 1, tzinfo=UTC),
                       channel="phone"),
            Consultation(registrant_id=d.id, kind="career",
                         held_at=datetime(2022, 9, 10, 1, tzinfo=UTC)),
            SurveyResponse(registrant_id=d.id, instrument_id="readiness", instrument_version=1,
                           channel="web", answers={},
                           submitted_at=datetime(2022, 7, 1, tzinfo=UTC)),
        ]
    )  # fmt: skip
    event = Event(
        kind="study_session", name="勉強会", starts_at=datetime(2022, 7, 9, 4, tzinfo=UTC)
    )
    session.add(event)
    session.flush()
    session.add(
        EventSignup(event_id=event.id, registrant_id=d.id, status="attended",
                    signed_up_at=datetime(2022, 7, 1, tzinfo=UTC))
    )  # fmt: skip
    session.commit()
    return s, d, t


def test_contacts_and_recontact_dates_fold_into_the_survivor(session, merged) -> None:
    from itworks.services.tiers import recontact

    s, d, t = merged
    assert recontact.last_contacts(session) == {s.id: datetime(2022, 9, 10, 1, tzinfo=UTC)}
    everyone = recontact.statuses(session, DAYS, date(2022, 11, 20))
    assert [x.public_id for x in everyone] == [t.public_id, s.public_id]  # most overdue first
    survivor = everyone[1]
    assert survivor.contacted and survivor.last_contact == date(2022, 9, 10)
    assert survivor.next_contact == date(2022, 10, 10)
    assert survivor.days_overdue == 41
    uncontacted = everyone[0]
    assert not uncontacted.contacted and uncontacted.next_contact == date(2022, 7, 5)
    assert recontact.status_of(session, s, DAYS, date(2022, 11, 20)) == survivor
    assert recontact.status_of(session, d, DAYS, date(2022, 11, 20)) is None  # merged
    # on 9 Oct S is not due yet (next contact 10 Oct); T is
    assert [x.public_id for x in recontact.due(session, DAYS, date(2022, 10, 9))] == [t.public_id]


def test_the_due_list_is_paged_by_the_database(session, merged, app) -> None:
    from itworks.models import User
    from itworks.services.tiers import recontact

    s, _d, t = merged
    actor = session.scalar(sa.select(User).limit(1))
    if actor is None:
        actor = User(username="coord", role="coordinator", password_hash="x")
        session.add(actor)
        session.commit()
    vault = app.extensions["itworks.vault"]
    first = recontact.due_page(session, vault, DAYS, date(2022, 11, 20), actor=actor, page_size=1)
    second = recontact.due_page(
        session, vault, DAYS, date(2022, 11, 20), actor=actor, page=2, page_size=1
    )
    assert (first.total, first.pages) == (2, 2)
    assert [r.status.public_id for r in first.rows] == [t.public_id]
    assert [r.status.public_id for r in second.rows] == [s.public_id]
    assert second.rows[0].name  # the page's names are decrypted


def test_segmentation_features_count_the_duplicates_engagement(session, merged) -> None:
    from itworks.services.tiers import features

    s, d, _t = merged
    fit = features.build(session, now=datetime(2022, 11, 20, tzinfo=UTC))
    ids = [int(i) for i in fit.registrant_ids]
    assert d.id not in ids
    row = fit.X[ids.index(s.id)]
    column = {name: i for i, name in enumerate(fit.names)}
    assert row[column["engagement:consultations"]] == 1
    assert row[column["engagement:events_attended"]] == 1
    assert row[column["engagement:days_since_response"]] == pytest.approx(142, abs=1)


def test_the_stage_funnel_counts_the_duplicate_under_the_survivors_tier(session, merged) -> None:
    from itworks.fiscal import Period
    from itworks.tables import stages

    period = Period.of(2022, date(2022, 11, 20))
    table = stages.by_stage(stages.partition(session, period), "tier")
    assert table.loc["move_now", "registered"] == 2  # S and T: D is S
    assert table.loc["move_now", "surveyed"] == 1
    assert table.loc["move_now", "consulted"] == 1
    assert int(table["registered"].sum()) == 2
