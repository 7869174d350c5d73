"""ix_registrants_in_use: the registrant list newest first, and its count, from a
partial index of the registrants in use (not merged, not erased, use not stopped)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_USE = sa.text("merged_into_id IS NULL AND erased_at IS NULL AND use_stopped_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_registrants_in_use",
        "registrants",
        ["registered_at", "id"],
        unique=False,
        sqlite_where=IN_USE,
        postgresql_where=IN_USE,
    )


def downgrade() -> None:
    op.drop_index("ix_registrants_in_use", table_name="registrants")
