"""Fixtures for the JSON API: tokens and a fair to apply to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


@pytest.fixture
def make_token(app):  # noqa: ANN001, ANN201
    from itworks.db import db
    from itworks.services.accounts import tokens

    def make(name: str = "website", scope: str = "intake") -> str:
        with app.app_context():
            return tokens.create(db.session, name, scope, actor_label="test")

    return make


@pytest.fixture
def intake_headers(make_token) -> dict[str, str]:  # noqa: ANN001
    return {"Authorization": f"Bearer {make_token('website', 'intake')}"}


@pytest.fixture
def fair(app) -> str:  # noqa: ANN001
    from itworks.db import db
    from itworks.services.engagement import events

    with app.app_context():
        event = events.create_event(
            db.session,
            kind="fair",
            name="GO 島根！ITエンジニア転職フェア 第1回",
            starts_at=datetime(2022, 7, 9, 4, tzinfo=UTC),
            fair_number=1,
            actor_label="test",
        )
        return event.public_id
