"""The cached KGI/KPI figures are never stale: after every kind of write that could
change a figure (through the ORM, Core or a raw executemany), GET /api/v1/funnel
answers exactly what a fresh, uncached computation gives, and the cache is used
while nothing changed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

FY = 2022
AS_OF = "2022-11-20"


@pytest.fixture
def reader(app, make_token):  # noqa: ANN001, ANN201
    app.config["AS_OF_DATE"] = AS_OF
    return {"Authorization": f"Bearer {make_token('reader', 'read')}"}


@pytest.fixture
def make_token(app):  # noqa: ANN001, ANN201
    from itworks.db import db
    from itworks.services.accounts import tokens

    def make(name: str, scope: str) -> str:
        with app.app_context():
            return tokens.create(db.session, name, scope, actor_label="test")

    return make


def figures(body: dict) -> dict:
    return {
        "measures": {
            k: (m["actual"], m["target"], m["baseline"], m["expected_to_date"], m["status"])
            for k, m in body["measures"].items()
        },
        "fair_attendance": body["fair_attendance"],
    }


def fresh(app) -> dict:  # noqa: ANN001
    """The same answer computed without the cache."""
    from itworks.api.funnel import payload
    from itworks.db import db
    from itworks.fiscal import Period
    from itworks.services.kpi import progress
    from itworks.tables import kpi
    from itworks.tables.audience import Audience

    with app.test_request_context():
        period = Period.of(FY, date.fromisoformat(AS_OF))
        table = kpi.kpi(
            db.session,
            period,
            Audience.coordinator(),
            progress=progress.progress(db.session, period),
        )
        body = payload(table)
        db.session.rollback()
    return figures(body)


def test_no_write_leaves_a_stale_figure(app, client, session, reader, make_registrant) -> None:
    from itworks.models import (
        Company,
        Consultation,
        Event,
        EventSignup,
        FiscalYearPlan,
        Hire,
        KpiTarget,
        Registrant,
    )

    def served() -> dict:
        reply = client.get(f"/api/v1/funnel?fy={FY}", headers=reader)
        assert reply.status_code == 200
        return figures(reply.json)

    seen: list[dict] = []

    def history_now() -> dict:
        reply = client.get("/api/v1/funnel/history", headers=reader)
        assert reply.status_code == 200
        return reply.json

    def check(changed: str | None) -> None:
        now = served()
        assert now == fresh(app), f"stale after {changed}"
        served_history = history_now()
        with app.app_context():
            from itworks.db import db
            from itworks.services import reuse

            reuse.forget(db.engine)  # recompute it all
        assert served_history == history_now(), f"stale history after {changed}"
        if changed and seen:
            assert now != seen[-1], f"{changed} should have changed a figure"
        seen.append(now)

    check(None)
    a = session.scalar(
        sa.select(Registrant).where(Registrant.public_id == make_registrant())
    )  # through the intake
    check("a new registrant")
    b_id = make_registrant(registered_at=datetime(2022, 7, 1, tzinfo=UTC))
    check("a second registrant")
    session.rollback()
    b = session.scalar(sa.select(Registrant).where(Registrant.public_id == b_id))

    session.add(
        Consultation(registrant_id=b.id, kind="career", held_at=datetime(2022, 8, 1, tzinfo=UTC))
    )
    session.commit()
    check("a career consultation")

    fair = Event(kind="fair", name="GO島根 1", fair_number=1,
                 starts_at=datetime(2022, 9, 10, 4, tzinfo=UTC))  # fmt: skip
    session.add(fair)
    session.commit()
    signup = EventSignup(event_id=fair.id, registrant_id=a.id, status="applied",
                         signed_up_at=datetime(2022, 9, 1, tzinfo=UTC))  # fmt: skip
    session.add(signup)
    session.commit()
    check("a fair application")
    signup.status = "attended"
    session.commit()
    check("attendance")
    session.add(EventSignup(event_id=fair.id, registrant_id=b.id, status="applied",
                            signed_up_at=datetime(2022, 9, 2, tzinfo=UTC)))  # fmt: skip
    session.commit()
    check("a second application")
    session.execute(
        sa.update(EventSignup).where(EventSignup.registrant_id == b.id).values(status="cancelled")
    )
    session.commit()
    check("a cancellation (Core UPDATE)")

    company = Company(name="松江ソフト", shimane_it=True)
    session.add(company)
    session.commit()
    session.add(Hire(registrant_id=a.id, company_id=company.id,
                     hired_at=datetime(2022, 10, 1, tzinfo=UTC)))  # fmt: skip
    session.commit()
    check("a hire")
    company.shimane_it = False
    session.commit()
    check("the employer is no longer a Shimane IT company")

    target = session.scalar(
        sa.select(KpiTarget).where(KpiTarget.fiscal_year == FY, KpiTarget.measure == "hires")
    )
    target.target += 5
    session.commit()
    check("a target")
    plan = session.get(FiscalYearPlan, FY)
    if plan is not None:
        plan.contract_end = date(2023, 3, 31)
        session.commit()
        check("the contract end")

    # Driver-level SQL (what the batched import uses), bypassing the ORM and Core.
    marks = "?" if session.get_bind().dialect.name == "sqlite" else "%s"
    at = "2022-08-15 00:00:00.000000" if marks == "?" else datetime(2022, 8, 15, tzinfo=UTC)
    session.connection().exec_driver_sql(
        f"INSERT INTO consultations (public_id, registrant_id, held_at, kind) "
        f"VALUES ({marks}, {marks}, {marks}, {marks})",
        [("rawconsult1", a.id, at, "career")],
    )
    session.commit()
    check("a consultation written by raw SQL")

    b.merged_into_id = a.id  # b was a duplicate of a
    session.commit()
    check("a merge")

    session.execute(sa.delete(Consultation))
    session.commit()
    check("deleting consultations")


def _counted(monkeypatch, module, name: str) -> dict[str, int]:  # noqa: ANN001
    """Replace ``module.name`` by a wrapper that counts its calls."""
    calls = {"n": 0}
    original = getattr(module, name)

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


def test_unchanged_data_is_served_from_the_cache(app, client, session, reader, monkeypatch) -> None:
    from itworks.services.kpi import progress

    calls = _counted(monkeypatch, progress, "progress")
    for _ in range(3):
        assert client.get(f"/api/v1/funnel?fy={FY}", headers=reader).status_code == 200
    assert calls["n"] == 1
    histories = _counted(monkeypatch, progress, "history")
    for _ in range(3):
        assert client.get("/api/v1/funnel/history", headers=reader).status_code == 200
    assert histories["n"] == 1
    # bookkeeping writes (token last used, audit, login) do not invalidate
    from itworks.models import ApiToken

    session.execute(sa.update(ApiToken).values(last_used_at=None))
    session.commit()
    assert client.get(f"/api/v1/funnel?fy={FY}", headers=reader).status_code == 200
    assert calls["n"] == 1
    from itworks.models import Registrant

    session.execute(sa.update(Registrant).values(origin="unknown"))  # any registrant write
    session.commit()
    assert client.get(f"/api/v1/funnel?fy={FY}", headers=reader).status_code == 200
    assert calls["n"] == 2


def test_a_rolled_back_write_bumps_nothing_and_a_committed_one_bumps_once(session) -> None:
    from itworks.models import Consultation
    from itworks.models.performance import current_generation

    before = current_generation(session.connection())
    session.rollback()
    session.execute(sa.delete(Consultation))
    session.rollback()
    assert current_generation(session.connection()) == before
    session.rollback()
    session.execute(sa.delete(Consultation))
    session.execute(sa.delete(Consultation))
    session.commit()
    assert current_generation(session.connection()) == before + 1
