"""Fixtures for the coordinator's pages: a signed-in coordinator, a company, the
instance pinned to the demo's day (AS_OF_DATE) so due lists are reproducible."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from testsupport import PASSWORD, csrf_token

AS_OF = "2022-11-20"


@pytest.fixture
def coordinator(app, auth):  # noqa: ANN001, ANN201
    app.config["AS_OF_DATE"] = AS_OF
    auth.login("coord", PASSWORD, role="coordinator")
    return "coord"


@pytest.fixture
def vault(app):  # noqa: ANN001, ANN201
    return app.extensions["itworks.vault"]


@pytest.fixture
def company(app, vault):  # noqa: ANN001, ANN201
    from itworks.db import db
    from itworks.services.engagement import companies

    with app.app_context():
        row = companies.add_company(
            db.session,
            vault,
            "株式会社しまねテック",
            contact_name="出雲 担当",
            contact_email="tanto@shimane-it.example.jp",
            contact_phone="0852-00-1234",
            city="松江市",
            actor_label="test",
        )
        return row.public_id


@pytest.fixture
def count(session):  # noqa: ANN001, ANN201
    """Rows in a table, read fresh."""

    def rows(model) -> int:  # noqa: ANN001
        session.commit()
        return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0

    return rows


class Page:
    """A page fetched with the client, with its CSRF token for the next form."""

    def __init__(self, client, path: str) -> None:  # noqa: ANN001
        self.client = client
        self.path = path
        self.response = client.get(path)
        self.text = self.response.text

    def post(self, action: str, data: dict):  # noqa: ANN201
        body = {"csrf_token": csrf_token(self.text), **data}
        return self.client.post(action, data=body)


@pytest.fixture
def page(client):  # noqa: ANN001, ANN201
    return lambda path: Page(client, path)


@pytest.fixture
def make_registrant(make_registrant):  # noqa: ANN001, ANN201
    """The shared factory, with a phone number that is valid in Japan (090-1234-…)."""
    numbers = iter(range(1, 10**4))

    def make(**overrides):  # noqa: ANN202
        overrides.setdefault("phone", f"090-1234-{next(numbers):04d}")
        return make_registrant(**overrides)

    return make
