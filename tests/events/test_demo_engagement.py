"""The demo's engagement year is made through the services: every figure the funnel
pages show comes from rows a coordinator's page or the CLI would have made, dated
inside the demo's year (never today's clock)."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from itworks.fiscal import Period


@pytest.fixture
def demo_loaded(app, session):  # noqa: ANN001, ANN201
    from itworks.demo import demo
    from itworks.extensions import link_signer, vault
    from itworks.services.intake import arrivals

    with app.app_context():
        notice = arrivals.Notice(
            app.config["PRIVACY_NOTICE_VERSION"], app.config["PRIVACY_NOTICE_TEXT"]
        )
        demo.load(session, vault(), link_signer(), notice, count=80)
    return demo


def test_demo_engagement_comes_from_service_made_rows(session, demo_loaded) -> None:
    from itworks.models import (
        AuditEvent,
        Consultation,
        ContactLog,
        Event,
        EventSignup,
        Hire,
        Introduction,
        IntroductionStage,
        Invitation,
        InvitationBatch,
        OutboxMessage,
        TierAssignment,
    )
    from itworks.services.kpi import progress

    as_of = demo_loaded.DEMO_AS_OF
    cutoff = Period.of(2022, as_of).cutoff_utc
    kinds = Counter(session.scalars(sa.select(Event.kind)))
    assert kinds == {"fair": 3, "study_session": 2, "meetup": 1}
    fair_rounds = sorted(session.scalars(sa.select(Event.fair_number).where(Event.kind == "fair")))
    assert fair_rounds == [1, 2, 3]

    # Invitation batches by tier, each invitee's mail queued with the invitation.
    batches = session.scalars(sa.select(InvitationBatch)).all()
    assert batches and any("tier" in b.filter for b in batches)
    invitations = session.scalars(sa.select(Invitation)).all()
    assert sum(b.audience_size for b in batches) == len(invitations)
    message_ids = set(session.scalars(sa.select(OutboxMessage.id)))
    assert all(i.message_id in message_ids for i in invitations)
    answered = [i for i in invitations if i.answered_at is not None]
    assert answered and all(i.answered_at < cutoff for i in answered)
    assert {i.answer for i in answered} == {"accepted", "declined"}
    assert all(i.signup_id is not None for i in answered if i.answer == "accepted")
    audit = Counter(session.scalars(sa.select(AuditEvent.action)))
    assert audit["invitation.send"] == len(batches)
    assert audit["invitation.reply"] == len(answered)

    # Attendance only at events held by the as-of date, each marked through the service.
    rows = session.execute(
        sa.select(EventSignup.status, Event.starts_at).join(Event, Event.id == EventSignup.event_id)
    ).all()
    marked = [s for s, starts in rows if s in ("attended", "no_show")]
    assert marked and all(starts < cutoff for s, starts in rows if s in ("attended", "no_show"))
    assert audit["event.attendance"] == len(marked)

    # Contacts and consultations through the contacts service, dated in the demo's year.
    consultations = session.scalar(sa.select(sa.func.count(Consultation.id)))
    contact_logs = session.scalar(sa.select(sa.func.count(ContactLog.id)))
    assert consultations > 5 and contact_logs > 20
    assert audit["contact.record"] == consultations + contact_logs
    assert session.scalar(sa.select(sa.func.max(ContactLog.contacted_at))) < cutoff
    assert session.scalar(sa.select(sa.func.max(Consultation.held_at))) < cutoff
    confirmed = sa.select(sa.func.max(TierAssignment.assigned_at)).where(
        TierAssignment.method == "coordinator"
    )
    assert session.scalar(confirmed) < cutoff

    # Introductions at every stage, declines with reasons, hires from the stages.
    introductions = session.scalars(sa.select(Introduction)).all()
    assert all(i.provision_id is not None for i in introductions)
    assert all(i.reason_code for i in introductions if i.status == "declined")
    stages = Counter(session.scalars(sa.select(IntroductionStage.stage)))
    assert stages["introduced"] == len(introductions)
    hires = session.scalars(sa.select(Hire)).all()
    assert hires and all(h.introduction_id is not None and h.hired_at < cutoff for h in hires)
    assert stages["hired"] == len(hires)
    measured = progress.progress(session, Period.of(2022, as_of))
    assert measured.measures["hires"].actual == len({h.registrant_id for h in hires})
