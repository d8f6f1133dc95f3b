"""review states (version for compare-and-set, approved revision and hash, revision lineage) and the outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("approved_revision", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_hash", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_drafts_community_status", ["community_id", "status"], unique=False)
        batch_op.create_index("ix_drafts_status", ["status"], unique=False)

    with op.batch_alter_table("draft_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_revision", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("edited_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("feedback", sa.Text(), nullable=True))

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("community_id", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("adapter", sa.String(length=16), server_default="wecom", nullable=False)
        )
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("scheduled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("response", sa.Text(), nullable=True))
        batch_op.create_index("ix_deliveries_due", ["status", "next_attempt_at"], unique=False)

    # approvals made before this revision bound their hash in the reviews table; carry it onto the draft
    op.execute(
        "UPDATE drafts SET approved_revision = current_revision, approved_hash = ("
        "SELECT r.content_hash FROM draft_revisions r "
        "WHERE r.draft_id = drafts.id AND r.number = drafts.current_revision) "
        "WHERE status = 'approved'"
    )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_due")
        for column in (
            "response",
            "updated_at",
            "sent_at",
            "lease_until",
            "next_attempt_at",
            "scheduled_at",
            "content_hash",
            "adapter",
            "community_id",
        ):
            batch_op.drop_column(column)

    with op.batch_alter_table("draft_revisions", schema=None) as batch_op:
        for column in ("feedback", "edited_by", "parent_revision"):
            batch_op.drop_column(column)

    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_index("ix_drafts_status")
        batch_op.drop_index("ix_drafts_community_status")
        for column in ("approved_hash", "approved_revision", "version"):
            batch_op.drop_column(column)
