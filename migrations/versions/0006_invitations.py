"""invitations: targeted invitation batches with personal reply links, and the
event waiting list (sign-up status ``waitlisted``)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
SIGNUP_OLD = "status IN ('applied', 'attended', 'no_show', 'cancelled')"
SIGNUP_NEW = "status IN ('applied', 'waitlisted', 'attended', 'no_show', 'cancelled')"


def upgrade() -> None:
    with op.batch_alter_table("event_signups", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_event_signups_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_event_signups_status"), SIGNUP_NEW)
    op.create_table(
        "invitation_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("filter", sa.JSON(), nullable=False),
        sa.Column("audience_size", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=64), nullable=True),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_invitation_batches_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_invitation_batches_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_batches")),
        sa.UniqueConstraint("public_id", name=op.f("uq_invitation_batches_public_id")),
    )
    op.create_index(op.f("ix_invitation_batches_event_id"), "invitation_batches", ["event_id"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=24), nullable=True),
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("answered_at", TZ, nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("signup_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "answer IS NULL OR answer IN ('accepted', 'declined')",
            name=op.f("ck_invitations_answer"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["invitation_batches.id"],
            name=op.f("fk_invitations_batch_id_invitation_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_invitations_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrants.id"],
            name=op.f("fk_invitations_registrant_id_registrants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signup_id"],
            ["event_signups.id"],
            name=op.f("fk_invitations_signup_id_event_signups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_invitations_message_id_outbox_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint(
            "event_id", "registrant_id", name=op.f("uq_invitations_event_id_registrant_id")
        ),
        sa.UniqueConstraint("public_id", name=op.f("uq_invitations_public_id")),
        sa.UniqueConstraint("token_id", name=op.f("uq_invitations_token_id")),
    )
    op.create_index(op.f("ix_invitations_batch_id"), "invitations", ["batch_id"])
    op.create_index(op.f("ix_invitations_registrant_id"), "invitations", ["registrant_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_invitations_registrant_id"), table_name="invitations")
    op.drop_index(op.f("ix_invitations_batch_id"), table_name="invitations")
    op.drop_table("invitations")
    op.drop_index(op.f("ix_invitation_batches_event_id"), table_name="invitation_batches")
    op.drop_table("invitation_batches")
    # The old schema has no waiting list: a waiting applicant becomes a plain applicant.
    op.execute(sa.text("UPDATE event_signups SET status = 'applied' WHERE status = 'waitlisted'"))
    with op.batch_alter_table("event_signups", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_event_signups_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_event_signups_status"), SIGNUP_OLD)
