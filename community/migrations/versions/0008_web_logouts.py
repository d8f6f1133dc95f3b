"""web logouts: a session its user logged out of is refused server-side until it would have expired

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 22:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_logouts",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("logged_out_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("session_id"),
    )
    with op.batch_alter_table("web_logouts", schema=None) as batch_op:
        batch_op.create_index("ix_web_logouts_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_logouts", schema=None) as batch_op:
        batch_op.drop_index("ix_web_logouts_expires_at")
    op.drop_table("web_logouts")
