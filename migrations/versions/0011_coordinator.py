"""coordinator records: drop-off, nurturing, settling-in follow-ups (issue 11)

Drop-offs are stage_exits rows and settling-in follow-ups settling_follow_ups
rows (both older); a return to nurturing adds its next-contact date here.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "nurture_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("stage_exit_id", sa.Integer(), nullable=False),
        sa.Column("next_contact_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrants.id"],
            name=op.f("fk_nurture_plans_registrant_id_registrants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stage_exit_id"],
            ["stage_exits.id"],
            name=op.f("fk_nurture_plans_stage_exit_id_stage_exits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_nurture_plans_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nurture_plans")),
        sa.UniqueConstraint("stage_exit_id", name=op.f("uq_nurture_plans_stage_exit_id")),
    )
    op.create_index(
        op.f("ix_nurture_plans_registrant_id"), "nurture_plans", ["registrant_id"], unique=False
    )
    op.create_index(
        op.f("ix_nurture_plans_next_contact_on"), "nurture_plans", ["next_contact_on"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_nurture_plans_next_contact_on"), table_name="nurture_plans")
    op.drop_index(op.f("ix_nurture_plans_registrant_id"), table_name="nurture_plans")
    op.drop_table("nurture_plans")
