"""privacy requests, correction history and retention (issue 13, requests)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("answered_at", TZ, nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("answered_via", sa.String(length=16), nullable=True),
        sa.Column("handled_by", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint(
            "kind IN ('disclosure', 'correction', 'stop_use', 'erasure')",
            name=op.f("ck_privacy_requests_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrants.id"],
            name=op.f("fk_privacy_requests_registrant_id_registrants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_requests")),
        sa.UniqueConstraint("public_id", name=op.f("uq_privacy_requests_public_id")),
    )
    op.create_index(op.f("ix_privacy_requests_kind"), "privacy_requests", ["kind"])
    op.create_index(
        op.f("ix_privacy_requests_registrant_id"), "privacy_requests", ["registrant_id"]
    )
    op.create_table(
        "registrant_field_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value_enc", sa.LargeBinary(), nullable=True),
        sa.Column("changed_at", TZ, nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrants.id"],
            name=op.f("fk_registrant_field_history_registrant_id_registrants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["privacy_requests.id"],
            name=op.f("fk_registrant_field_history_request_id_privacy_requests"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrant_field_history")),
        sa.UniqueConstraint("public_id", name=op.f("uq_registrant_field_history_public_id")),
    )
    op.create_index(
        op.f("ix_registrant_field_history_registrant_id"),
        "registrant_field_history",
        ["registrant_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_registrant_field_history_registrant_id"), table_name="registrant_field_history"
    )
    op.drop_table("registrant_field_history")
    op.drop_index(op.f("ix_privacy_requests_registrant_id"), table_name="privacy_requests")
    op.drop_index(op.f("ix_privacy_requests_kind"), table_name="privacy_requests")
    op.drop_table("privacy_requests")
