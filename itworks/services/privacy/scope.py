"""Who is "in use": the one predicate every list, audience, search result and
model fit applies (利用停止 takes a person out of all of them from then on).

A person is in use while they are not merged into another row, not erased and
have not asked to stop the use of their data. Past counts (the KPI figures) do
not use this rule: a person who stopped use still counts in what already happened.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from itworks.models import Registrant


def in_use(model: Any = Registrant) -> sa.ColumnElement[bool]:
    """SQL condition: the registrant row (``model`` may be an alias) is in use."""
    return sa.and_(
        model.merged_into_id.is_(None),
        model.erased_at.is_(None),
        model.use_stopped_at.is_(None),
    )


def person_in_use(registrant_id: Any) -> sa.ColumnElement[bool]:
    """SQL condition: the registrant row that ``registrant_id`` names is in use, or,
    for a merged duplicate, the person it was merged into is (their records are
    that person's)."""
    row, person = aliased(Registrant), aliased(Registrant)
    return registrant_id.in_(
        sa.select(row.id)
        .join(person, person.id == sa.func.coalesce(row.merged_into_id, row.id))
        .where(
            person.merged_into_id.is_(None),
            person.erased_at.is_(None),
            person.use_stopped_at.is_(None),
        )
    )


def is_in_use(registrant: Registrant) -> bool:
    """The same rule for a loaded row."""
    return (
        registrant.merged_into_id is None
        and registrant.erased_at is None
        and registrant.use_stopped_at is None
    )
