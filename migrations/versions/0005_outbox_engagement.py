"""engagement: mail outbox, contacts, mail opt-out, company contacts, provisions,
introduction stages, hires and settling-in follow-ups

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
STATUS_OLD = "status IN ('introduced', 'interviewing', 'offered', 'hired', 'no_match', 'withdrawn')"
STATUS_NEW = "status IN ('introduced', 'interviewing', 'offered', 'hired', 'declined')"


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=True),
        sa.Column("subject_id", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("sending_at", TZ, nullable=True),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("failed_at", TZ, nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed')",
            name=op.f("ck_outbox_messages_status"),
        ),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrants.id"],
            name=op.f("fk_outbox_messages_registrant_id_registrants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_messages_message_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_outbox_messages_public_id")),
    )
    op.create_index(
        "ix_outbox_messages_due", "outbox_messages", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(op.f("ix_outbox_messages_registrant_id"), "outbox_messages", ["registrant_id"])
    op.create_index(op.f("ix_outbox_messages_subject_id"), "outbox_messages", ["subject_id"])

    with op.batch_alter_table("registrants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mail_opt_out_at", TZ, nullable=True))
        batch_op.add_column(sa.Column("use_stopped_at", TZ, nullable=True))
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome_enc", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("contact_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("outcome_enc", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("notes_enc", sa.LargeBinary(), nullable=True))

    op.create_table(
        "third_party_provisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("provided_on", sa.Date(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("consent_at", TZ, nullable=False),
        sa.Column("keep_until", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint("basis IN ('consent')", name=op.f("ck_third_party_provisions_basis")),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_third_party_provisions_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_third_party_provisions_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrants.id"],
            name=op.f("fk_third_party_provisions_registrant_id_registrants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_third_party_provisions")),
        sa.UniqueConstraint("public_id", name=op.f("uq_third_party_provisions_public_id")),
    )
    op.create_index(
        op.f("ix_third_party_provisions_company_id"), "third_party_provisions", ["company_id"]
    )
    op.create_index(
        op.f("ix_third_party_provisions_registrant_id"),
        "third_party_provisions",
        ["registrant_id"],
    )
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data_key_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("contact_name_enc", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("contact_email_enc", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("contact_phone_enc", sa.LargeBinary(), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_companies_data_key_id"), ["data_key_id"])
        batch_op.create_foreign_key(
            op.f("fk_companies_data_key_id_data_keys"), "data_keys", ["data_key_id"], ["id"]
        )
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage_changed_at", TZ, nullable=True))
        batch_op.add_column(
            sa.Column("fair_follow_up", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("provision_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_introductions_provision_id_third_party_provisions"),
            "third_party_provisions",
            ["provision_id"],
            ["id"],
        )
        batch_op.drop_constraint(op.f("ck_introductions_status"), type_="check")
    # The specification's stages: a failed match and a withdrawal are both 辞退・不成立,
    # told apart by their reason code. Rewritten between the two checks, which each
    # refuse the other's codes.
    op.execute(
        sa.text(
            "UPDATE introductions SET status = 'declined' WHERE status IN ('no_match', 'withdrawn')"
        )
    )
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_introductions_status"), STATUS_NEW)
    with op.batch_alter_table("hires", schema=None) as batch_op:
        batch_op.add_column(sa.Column("turn", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("moved_on", sa.Date(), nullable=True))
    op.create_table(
        "introduction_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("introduction_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("reason_code", sa.String(length=48), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["introduction_id"],
            ["introductions.id"],
            name=op.f("fk_introduction_stages_introduction_id_introductions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reason_code"],
            ["reason_codes.code"],
            name=op.f("fk_introduction_stages_reason_code_reason_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_introduction_stages_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_introduction_stages")),
    )
    op.create_index(
        op.f("ix_introduction_stages_introduction_id"), "introduction_stages", ["introduction_id"]
    )
    op.create_table(
        "settling_follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hire_id", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("recorded_at", TZ, nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("months IN (3, 12)", name=op.f("ck_settling_follow_ups_months")),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN "
            "('still_employed', 'changed_employer_shimane', 'left_shimane')",
            name=op.f("ck_settling_follow_ups_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["hire_id"],
            ["hires.id"],
            name=op.f("fk_settling_follow_ups_hire_id_hires"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_settling_follow_ups_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settling_follow_ups")),
        sa.UniqueConstraint(
            "hire_id", "months", name=op.f("uq_settling_follow_ups_hire_id_months")
        ),
    )
    op.create_index(op.f("ix_settling_follow_ups_due_on"), "settling_follow_ups", ["due_on"])


def downgrade() -> None:
    op.drop_index(op.f("ix_settling_follow_ups_due_on"), table_name="settling_follow_ups")
    op.drop_table("settling_follow_ups")
    op.drop_index(op.f("ix_introduction_stages_introduction_id"), table_name="introduction_stages")
    op.drop_table("introduction_stages")
    with op.batch_alter_table("hires", schema=None) as batch_op:
        batch_op.drop_column("moved_on")
        batch_op.drop_column("turn")
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_introductions_status"), type_="check")
    op.execute(sa.text("UPDATE introductions SET status = 'no_match' WHERE status = 'declined'"))
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_introductions_status"), STATUS_OLD)
        batch_op.drop_constraint(
            op.f("fk_introductions_provision_id_third_party_provisions"), type_="foreignkey"
        )
        batch_op.drop_column("provision_id")
        batch_op.drop_column("fair_follow_up")
        batch_op.drop_column("stage_changed_at")
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_companies_data_key_id_data_keys"), type_="foreignkey")
        batch_op.drop_constraint(op.f("uq_companies_data_key_id"), type_="unique")
        batch_op.drop_column("contact_phone_enc")
        batch_op.drop_column("contact_email_enc")
        batch_op.drop_column("contact_name_enc")
        batch_op.drop_column("data_key_id")
    op.drop_index(
        op.f("ix_third_party_provisions_registrant_id"), table_name="third_party_provisions"
    )
    op.drop_index(op.f("ix_third_party_provisions_company_id"), table_name="third_party_provisions")
    op.drop_table("third_party_provisions")
    with op.batch_alter_table("contact_logs", schema=None) as batch_op:
        batch_op.drop_column("notes_enc")
        batch_op.drop_column("outcome_enc")
        batch_op.drop_column("kind")
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.drop_column("outcome_enc")
    with op.batch_alter_table("registrants", schema=None) as batch_op:
        batch_op.drop_column("use_stopped_at")
        batch_op.drop_column("mail_opt_out_at")
    op.drop_index(op.f("ix_outbox_messages_subject_id"), table_name="outbox_messages")
    op.drop_index(op.f("ix_outbox_messages_registrant_id"), table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
