"""members.merged_into: a member merged into another (the same person under another export's id) points at them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_members_merged_into", "members", ["merged_into"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_constraint("fk_members_merged_into", type_="foreignkey")
        batch_op.drop_column("merged_into")
