"""engagement: survey links, rounds, contacts, exits, runs, notes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "half_year_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("half", sa.String(length=8), nullable=False),
        sa.Column("done", sa.Text(), nullable=False),
        sa.Column("countermeasures", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("half IN ('first', 'second')", name=op.f("ck_half_year_notes_half")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_half_year_notes")),
        sa.UniqueConstraint(
            "fiscal_year",
            "measure",
            "half",
            name=op.f("uq_half_year_notes_fiscal_year_measure_half"),
        ),
    )
    op.create_table(
        "segmentation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.Column("registrants", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("model_json", sa.Text(), nullable=True),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segmentation_runs")),
    )
    op.create_table(
        "invitation_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("instrument_version", sa.Integer(), nullable=False),
        sa.Column("arms", sa.JSON(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_invitation_rounds_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_rounds")),
        sa.UniqueConstraint("name", name=op.f("uq_invitation_rounds_name")),
        sa.UniqueConstraint("public_id", name=op.f("uq_invitation_rounds_public_id")),
    )
    op.create_table(
        "contact_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["coordinator_id"], ["users.id"], name=op.f("fk_contact_logs_coordinator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrants.id"],
            name=op.f("fk_contact_logs_registrant_id_registrants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_logs")),
    )
    with op.batch_alter_table("contact_logs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_logs_contacted_at"), ["contacted_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contact_logs_registrant_id"), ["registrant_id"], unique=False
        )

    op.create_table(
        "stage_exits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=48), nullable=False),
        sa.Column("exited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "stage IN ('registered', 'surveyed', 'consulted', 'applied', 'attended', "
            "'introduced', 'hired')",
            name=op.f("ck_stage_exits_stage"),
        ),
        sa.ForeignKeyConstraint(
            ["reason_code"],
            ["reason_codes.code"],
            name=op.f("fk_stage_exits_reason_code_reason_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_stage_exits_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrants.id"],
            name=op.f("fk_stage_exits_registrant_id_registrants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_exits")),
    )
    with op.batch_alter_table("stage_exits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stage_exits_exited_at"), ["exited_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_stage_exits_registrant_id"), ["registrant_id"], unique=False
        )

    op.create_table(
        "survey_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("arm", sa.String(length=64), nullable=True),
        sa.Column("instrument_id", sa.String(length=64), nullable=False),
        sa.Column("instrument_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_survey_links_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrants.id"],
            name=op.f("fk_survey_links_registrant_id_registrants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_responses.id"],
            name=op.f("fk_survey_links_response_id_survey_responses"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["invitation_rounds.id"],
            name=op.f("fk_survey_links_round_id_invitation_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_links")),
        sa.UniqueConstraint(
            "round_id", "registrant_id", name=op.f("uq_survey_links_round_id_registrant_id")
        ),
        sa.UniqueConstraint("token_id", name=op.f("uq_survey_links_token_id")),
    )
    with op.batch_alter_table("survey_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_links_registrant_id"), ["registrant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_survey_links_round_id"), ["round_id"], unique=False)

    with op.batch_alter_table("tier_assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_tier_assignments_run_id"), ["run_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_tier_assignments_run_id_segmentation_runs"),
            "segmentation_runs",
            ["run_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("tier_assignments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_tier_assignments_run_id_segmentation_runs"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_tier_assignments_run_id"))
        batch_op.drop_column("run_id")

    with op.batch_alter_table("survey_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_links_round_id"))
        batch_op.drop_index(batch_op.f("ix_survey_links_registrant_id"))

    op.drop_table("survey_links")
    with op.batch_alter_table("stage_exits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stage_exits_registrant_id"))
        batch_op.drop_index(batch_op.f("ix_stage_exits_exited_at"))

    op.drop_table("stage_exits")
    with op.batch_alter_table("contact_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_logs_registrant_id"))
        batch_op.drop_index(batch_op.f("ix_contact_logs_contacted_at"))

    op.drop_table("contact_logs")
    op.drop_table("invitation_rounds")
    op.drop_table("segmentation_runs")
    op.drop_table("half_year_notes")
