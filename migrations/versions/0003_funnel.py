"""funnel: covering indexes for the KGI/KPI counts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_registrants_funnel", "registrants", ["registered_at", "merged_into_id"], unique=False
    )
    op.create_index(
        "ix_registrants_merged_into_id",
        "registrants",
        ["merged_into_id"],
        unique=False,
        sqlite_where=sa.text("merged_into_id IS NOT NULL"),
        postgresql_where=sa.text("merged_into_id IS NOT NULL"),
    )
    op.create_index(
        "ix_consultations_funnel",
        "consultations",
        ["kind", "registrant_id", "held_at"],
        unique=False,
    )
    op.create_index(
        "ix_event_signups_funnel",
        "event_signups",
        ["event_id", "signed_up_at", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_event_signups_funnel", table_name="event_signups")
    op.drop_index("ix_consultations_funnel", table_name="consultations")
    op.drop_index("ix_registrants_merged_into_id", table_name="registrants")
    op.drop_index("ix_registrants_funnel", table_name="registrants")
