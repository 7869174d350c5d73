"""event materials, attendance and event kinds (issue 11, events)

- event kind ``company_exchange`` (県内IT企業との交流会) joins the kinds; the earlier
  ``seminar`` is folded into ``study_session`` (a seminar is a study session in
  the specification's list), so old rows stay valid;
- ``event_materials``: each event's materials (成果物), metadata here, the files
  under <instance>/materials/<event public id>/.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
KINDS_OLD = "kind IN ('fair', 'study_session', 'meetup', 'seminar', 'other')"
KINDS_NEW = "kind IN ('fair', 'study_session', 'meetup', 'company_exchange', 'other')"


def upgrade() -> None:
    op.execute(sa.text("UPDATE events SET kind = 'study_session' WHERE kind = 'seminar'"))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_events_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_events_kind"), KINDS_NEW)
    op.create_table(
        "event_materials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", TZ, nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "kind IN ('slides', 'flyer', 'photo', 'other')", name=op.f("ck_event_materials_kind")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_materials_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_event_materials_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_materials")),
        sa.UniqueConstraint(
            "event_id", "stored_name", name=op.f("uq_event_materials_event_id_stored_name")
        ),
        sa.UniqueConstraint("public_id", name=op.f("uq_event_materials_public_id")),
    )
    op.create_index(op.f("ix_event_materials_event_id"), "event_materials", ["event_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_event_materials_event_id"), table_name="event_materials")
    op.drop_table("event_materials")
    # The old schema has no company exchange: such events become ``other``.
    op.execute(sa.text("UPDATE events SET kind = 'other' WHERE kind = 'company_exchange'"))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_events_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_events_kind"), KINDS_OLD)
