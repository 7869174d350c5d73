"""Fixtures for the key tests: the app's vault."""

from __future__ import annotations

import pytest


@pytest.fixture
def vault(app):  # noqa: ANN001, ANN201
    return app.extensions["itworks.vault"]


@pytest.fixture
def engine(app):  # noqa: ANN001, ANN201
    from itworks.db import db

    with app.app_context():
        return db.engine
