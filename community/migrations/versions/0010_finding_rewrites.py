"""findings.rewrite and findings.rewrite_citations: a lawful rewrite of the flagged sentence, from the documents

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 03:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rewrite", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("rewrite_citations", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_column("rewrite_citations")
        batch_op.drop_column("rewrite")
