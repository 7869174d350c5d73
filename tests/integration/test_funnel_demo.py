"""The funnel's demo facts: plausible, dated no later than the as-of date, added once."""

from __future__ import annotations

import random
from datetime import date

import sqlalchemy as sa
from funnelsupport import Records

from itworks.fiscal import Period

AS_OF = date(2022, 11, 20)


def test_seed_adds_the_year_once(session) -> None:  # noqa: ANN001
    from itworks.demo import funnel as funnel_demo
    from itworks.models import Campaign, Consultation, EventSignup, HalfYearNote, Hire
    from itworks.services.kpi import progress as funnel

    r = Records(session)
    rng = random.Random(7)
    people = [r.person(f"2022-{rng.randint(4, 10):02d}-{rng.randint(1, 28):02d}T01:00:00Z")
              for _ in range(300)]  # fmt: skip
    fair = r.fair(1, "2022-07-09T04:00:00Z")
    later = r.fair(3, "2023-01-21T04:00:00Z")
    for p in people[:40]:
        r.signup(fair, p, "2022-06-20T00:00:00Z")
        r.signup(later, p, "2022-11-01T00:00:00Z")
    counts = funnel_demo.seed(session, random.Random(2022), AS_OF)
    assert counts["consultations"] > 10 and counts["hires"] > 0 and counts["attended"] > 0
    cutoff = Period.of(2022, AS_OF).cutoff_utc
    assert session.scalar(sa.select(sa.func.max(Consultation.held_at))) < cutoff
    assert session.scalar(sa.select(sa.func.max(Hire.hired_at))) < cutoff
    statuses = set(
        session.scalars(sa.select(EventSignup.status).where(EventSignup.event_id == later))
    )
    assert statuses == {"applied"}  # the January fair has not happened yet
    assert session.scalar(sa.select(sa.func.count(Campaign.id))) == 5
    assert session.scalar(sa.select(sa.func.count(HalfYearNote.id))) == 5
    p = funnel.progress(session, Period.of(2022, AS_OF))
    assert p.measures["hires"].actual == counts["hires"]
    assert funnel_demo.seed(session, random.Random(2022), AS_OF) == {}
