"""A valid API token records its last use at most once a minute: a burst of requests
writes once, and the time still moves on once a minute has passed (the clock is
frozen and advanced, never slept)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa


def test_a_burst_writes_last_used_once_and_it_advances_after_a_minute(
    app, client, session, monkeypatch
) -> None:
    from itworks.db import db
    from itworks.models import ApiToken
    from itworks.services.accounts import tokens

    with app.app_context():
        token = tokens.create(db.session, "reader", "read", actor_label="test")
        engine = db.engine
    clock = {"now": datetime(2022, 11, 20, 1, 0, tzinfo=UTC)}
    monkeypatch.setattr(tokens, "utcnow", lambda: clock["now"])
    writes: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ANN202
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            writes.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    headers = {"Authorization": f"Bearer {token}"}

    def burst(n: int = 10) -> None:
        for _ in range(n):
            assert client.get("/api/v1/funnel/history", headers=headers).status_code == 200

    def last_used() -> datetime:
        session.rollback()
        return session.scalar(sa.select(ApiToken.last_used_at).where(ApiToken.name == "reader"))

    try:
        burst()
        assert len(writes) == 1
        assert last_used() == clock["now"]
        first = clock["now"]

        clock["now"] = first + timedelta(seconds=59)
        burst()
        assert len(writes) == 1  # within the minute: no write
        assert last_used() == first

        clock["now"] = first + timedelta(seconds=61)
        burst()
        assert len(writes) == 2  # a minute later the time moves on, once
        assert last_used() == first + timedelta(seconds=61)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_a_refused_token_writes_nothing(app, client, session) -> None:
    from itworks.db import db

    with app.app_context():
        engine = db.engine
    writes: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ANN202
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT")):
            writes.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        headers = {"Authorization": "Bearer itw_not-a-token"}
        assert client.get("/api/v1/funnel/history", headers=headers).status_code == 401
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert writes == []
