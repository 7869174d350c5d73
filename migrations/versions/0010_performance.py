"""indexes and caches for speed at scale (issue 14)

The figures' generation counter (one row, bumped by every committed write that could
change a figure; cached figures are valid while it stands still) and the
(registrant, time) indexes the stage funnel and the re-contact list read through.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_survey_responses_person_time", "survey_responses", ["registrant_id", "submitted_at"]),
    ("ix_contact_logs_person_time", "contact_logs", ["registrant_id", "contacted_at"]),
    ("ix_consultations_person_time", "consultations", ["registrant_id", "held_at"]),
    ("ix_event_signups_person", "event_signups", ["registrant_id", "event_id", "status"]),
    ("ix_introductions_person_time", "introductions", ["registrant_id", "introduced_at"]),
    ("ix_hires_person_time", "hires", ["registrant_id", "hired_at"]),
    ("ix_stage_exits_person", "stage_exits", ["registrant_id", "exited_at"]),
    ("ix_tier_assignments_person", "tier_assignments", ["registrant_id", "assigned_at"]),
)


def upgrade() -> None:
    table = op.create_table(
        "figure_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figure_generation")),
    )
    op.bulk_insert(table, [{"id": 1, "value": 0}])
    for name, table_name, columns in INDEXES:
        op.create_index(name, table_name, columns, unique=False)


def downgrade() -> None:
    for name, table_name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table_name)
    op.drop_table("figure_generation")
