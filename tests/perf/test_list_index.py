"""The registrant list's partial index (ix_registrants_in_use) is the one the list
and its count use, and it holds exactly the registrants in use as the privacy
scope defines them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from itworks.models import Registrant
from itworks.models.funnel import IN_USE, LIST_INDEXES
from itworks.services.privacy import scope


def _sql(clause: sa.ColumnElement[bool]) -> str:
    return str(clause.compile(compile_kwargs={"literal_binds": True}))


def test_the_index_condition_is_the_privacy_scope() -> None:
    assert _sql(IN_USE) == _sql(scope.in_use())
    (index,) = LIST_INDEXES
    assert index.dialect_options["sqlite"]["where"] is IN_USE
    assert index.dialect_options["postgresql"]["where"] is IN_USE


def test_sqlite_answers_the_list_and_its_count_from_the_index(app, session) -> None:  # noqa: ANN001
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL's planner picks by statistics, which a test database lacks")
    live = sa.select(Registrant.id).where(Registrant.merged_into_id.is_(None), scope.in_use())
    page = live.order_by(Registrant.registered_at.desc(), Registrant.id.desc()).limit(50)
    count = sa.select(sa.func.count()).select_from(live.subquery())
    for query in (page, count):
        sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = " ".join(r[-1] for r in session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
        assert "ix_registrants_in_use" in plan, plan
