"""Fixtures for the events, invitations and materials tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


@pytest.fixture
def vault(app):  # noqa: ANN001, ANN201
    return app.extensions["itworks.vault"]


@pytest.fixture
def signer(app):  # noqa: ANN001, ANN201
    return app.extensions["itworks.link_signer"]


@pytest.fixture
def registrant(session, make_registrant):  # noqa: ANN001, ANN201
    """Make a registrant and return its row, loaded in the test's session."""
    import sqlalchemy as sa

    from itworks.models import Registrant

    def make(**overrides):  # noqa: ANN202
        public_id = make_registrant(**overrides)
        session.commit()
        return session.scalar(sa.select(Registrant).where(Registrant.public_id == public_id))

    return make


@pytest.fixture
def make_event(session):  # noqa: ANN001, ANN201
    from itworks.services.engagement import events

    def make(  # noqa: ANN202
        capacity: int | None = None,
        starts: datetime = datetime(2022, 7, 2, 4, tzinfo=UTC),
        kind: str = "study_session",
        **extra,  # noqa: ANN003
    ):
        return events.create_event(
            session,
            kind=kind,
            name=extra.pop("name", "島根IT勉強会"),
            starts_at=starts,
            venue="松江テルサ",
            capacity=capacity,
            actor_label="test",
            **extra,
        )

    return make
