"""change stamps: one row per group of tables, moved by triggers on every write, for exact read caches

The inbox's list and per-state counts are computed once per stamp of the drafts tables (drafts, draft_revisions,
findings) and the product list once per stamp of documents. A trigger moves the stamp in the writer's own
transaction, so a reader that reads the stamp before the data never caches older data under a newer stamp; the
salt is drawn anew on every write, so the stamp of a rolled-back write is never reused with other data.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:00:00
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

GROUPS = {
    "drafts": ("drafts", "draft_revisions", "findings"),
    "documents": ("documents", "document_facts"),
}
VERBS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        "change_stamps",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("salt", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("name"),
    )
    for name in GROUPS:
        # a random first salt: two databases migrated with rows already in them never share a stamp
        op.execute(
            sa.text("INSERT INTO change_stamps (name, n, salt) VALUES (:name, 0, :salt)").bindparams(
                name=name, salt=secrets.randbelow(2**31)
            )
        )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name, tables in GROUPS.items():
            for table in tables:
                for verb in VERBS:
                    op.execute(
                        f"CREATE TRIGGER stamp_{table}_{verb.lower()} AFTER {verb} ON {table} BEGIN "
                        f"UPDATE change_stamps SET n = n + 1, salt = abs(random() % 2147483647) "
                        f"WHERE name = '{name}'; END"
                    )
    elif dialect == "postgresql":
        for name, tables in GROUPS.items():
            op.execute(
                f"CREATE FUNCTION stamp_{name}() RETURNS trigger AS $$ BEGIN "
                f"UPDATE change_stamps SET n = n + 1, salt = floor(random() * 2147483647)::int "
                f"WHERE name = '{name}'; RETURN NULL; END $$ LANGUAGE plpgsql"
            )
            for table in tables:
                op.execute(
                    f"CREATE TRIGGER stamp_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION stamp_{name}()"
                )
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"change stamps: no triggers for the {dialect} dialect")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, tables in GROUPS.items():
        for table in tables:
            if dialect == "sqlite":
                for verb in VERBS:
                    op.execute(f"DROP TRIGGER IF EXISTS stamp_{table}_{verb.lower()}")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS stamp_{table} ON {table}")
        if dialect != "sqlite":
            op.execute(f"DROP FUNCTION IF EXISTS stamp_{name}()")
    op.drop_table("change_stamps")
