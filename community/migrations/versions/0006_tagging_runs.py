"""tagging runs: one row per tag inference run, with its trace (tagger, model, tokens, per-step timings)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 19:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tagging_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("tagger", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=True),
        sa.Column("considered", sa.Integer(), nullable=False),
        sa.Column("tagged", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tagging_runs", schema=None) as batch_op:
        batch_op.create_index("ix_tagging_runs_community_id", ["community_id"], unique=False)
        batch_op.create_index("ix_tagging_runs_started_at", ["started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tagging_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_tagging_runs_started_at")
        batch_op.drop_index("ix_tagging_runs_community_id")
    op.drop_table("tagging_runs")
