"""The Alembic migrations on both databases: every revision goes down and up again, the schema they build is the
one the models declare, and a step down and up keeps the rows already there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from agent.drafting import submit_text
from community import db
from community.models import Base
from community.principal import CLI

pytestmark = pytest.mark.both_databases


def run_alembic(action: str, target: str) -> None:
    cfg = db.alembic_config()
    with db.get_engine().begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, target)


def current() -> str | None:
    with db.get_engine().connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema() -> dict[str, Any]:
    """Tables with their columns, indexes and unique constraints, as the database reports them."""
    found: dict[str, Any] = {}
    with db.get_engine().connect() as conn:
        insp = inspect(conn)
        for table in sorted(insp.get_table_names()):
            found[table] = {
                "columns": sorted(c["name"] for c in insp.get_columns(table)),
                "indexes": sorted((i["name"], tuple(i["column_names"])) for i in insp.get_indexes(table)),
                "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table)),
            }
    return found


def test_the_migrated_schema_is_the_one_the_models_declare(home: Path) -> None:
    with db.get_engine().connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []


def test_every_revision_goes_down_and_up_again(home: Path) -> None:
    head = schema()
    revisions = [r.revision for r in ScriptDirectory.from_config(db.alembic_config()).walk_revisions()]
    assert current() == revisions[0] == db.head_revision() and len(revisions) >= 9
    for revision in revisions[1:]:  # newest first: each step down lands on the revision below
        run_alembic("downgrade", "-1")
        assert current() == revision
    run_alembic("downgrade", "base")
    assert current() is None
    assert set(schema()) <= {"alembic_version"}  # nothing left behind by any downgrade ...
    if db.get_engine().dialect.name == "postgresql":  # ... not even a trigger's function
        with db.get_engine().connect() as conn:
            functions = conn.execute(
                text(
                    "SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                    "WHERE n.nspname = 'public'"
                )
            ).scalars()
            assert list(functions) == []
    run_alembic("upgrade", "head")
    assert current() == db.head_revision()
    assert schema() == head


def test_a_step_down_and_up_keeps_the_rows(community: str) -> None:
    with db.session_scope() as s:
        draft = submit_text(s, CLI, None, community_id=community, kind="push", sku="X", text="今晚八点见。")
    run_alembic("downgrade", "-1")
    run_alembic("upgrade", "head")
    with db.get_engine().connect() as conn:
        kept = conn.execute(
            text(
                "SELECT d.kind, r.text FROM drafts d JOIN draft_revisions r ON r.draft_id = d.id WHERE d.id = :i"
            ),
            {"i": draft["id"]},
        ).one()
        communities = conn.execute(text("SELECT count(*) FROM communities")).scalar()
    assert tuple(kept) == ("push", "今晚八点见。") and communities == 2
