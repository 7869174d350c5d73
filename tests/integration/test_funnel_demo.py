"""The funnel's demo facts: plausible, dated no later than the as-of date, added once,
and made through the services (the people are real registrants with real keys)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import sqlalchemy as sa

from itworks.fiscal import Period

AS_OF = date(2022, 11, 20)


def test_seed_adds_the_year_once(app, session, make_registrant) -> None:  # noqa: ANN001
    from itworks.demo import funnel as funnel_demo
    from itworks.models import (
        Campaign,
        Consultation,
        EventSignup,
        HalfYearNote,
        Hire,
        Registrant,
    )
    from itworks.services.engagement import events, signups
    from itworks.services.kpi import progress as funnel

    rng = random.Random(7)
    ids = [
        make_registrant(
            registered_at=datetime(2022, rng.randint(4, 10), rng.randint(1, 28), 1, tzinfo=UTC)
        )
        for _ in range(150)
    ]
    session.commit()
    people = session.scalars(sa.select(Registrant).where(Registrant.public_id.in_(ids))).all()
    fair = events.create_event(
        session, kind="fair", name="第1回", starts_at=datetime(2022, 7, 9, 4, tzinfo=UTC),
        fair_number=1, actor_label="t",
    )  # fmt: skip
    later = events.create_event(
        session, kind="fair", name="第3回", starts_at=datetime(2023, 1, 21, 4, tzinfo=UTC),
        fair_number=3, actor_label="t",
    )  # fmt: skip
    for p in people[:40]:
        signups.sign_up(session, fair, p, at=datetime(2022, 6, 20, tzinfo=UTC))
        signups.sign_up(session, later, p, at=datetime(2022, 11, 1, tzinfo=UTC))
    session.commit()
    vault = app.extensions["itworks.vault"]
    counts = funnel_demo.seed(session, random.Random(2022), AS_OF, vault=vault)
    assert counts["consultations"] > 10 and counts["hires"] > 0 and counts["attended"] > 0
    assert counts["declined"] > 0 and counts["contacts"] > 50
    cutoff = Period.of(2022, AS_OF).cutoff_utc
    assert session.scalar(sa.select(sa.func.max(Consultation.held_at))) < cutoff
    assert session.scalar(sa.select(sa.func.max(Hire.hired_at))) < cutoff
    statuses = set(
        session.scalars(sa.select(EventSignup.status).where(EventSignup.event_id == later.id))
    )
    assert statuses == {"applied"}  # the January fair has not happened yet
    assert session.scalar(sa.select(sa.func.count(Campaign.id))) == 5
    assert session.scalar(sa.select(sa.func.count(HalfYearNote.id))) == 5
    p = funnel.progress(session, Period.of(2022, AS_OF))
    assert p.measures["hires"].actual == counts["hires"]
    assert funnel_demo.seed(session, random.Random(2022), AS_OF, vault=vault) == {}
