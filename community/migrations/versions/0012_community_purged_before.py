"""communities.purged_before: messages sent before it were purged by the retention rule, and an import leaves
them out, so that an old export cannot bring them back

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 07:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purged_before", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite has it since 3.35): batch mode would rebuild communities, which every other
    # table references, and SQLite refuses to drop a referenced table while foreign keys are on
    op.drop_column("communities", "purged_before")
