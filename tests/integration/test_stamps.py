"""The change stamps behind the inbox's read caches: every write moves them, in the database itself, so a cached
page is exactly what the query would return now."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from agent.drafting import submit_text
from api.services import ingest_documents
from community import db, drafts, stamps
from community.principal import CLI
from community.users import add_community
from knowledge.index import KnowledgeBase
from settings import reset_settings
from tests.conftest import DEMO_DOCS

pytestmark = pytest.mark.both_databases


def stamp(name: str) -> tuple[str, int, int]:
    with db.session_scope() as s:
        return stamps.read(s, name)


def sql(statement: str, **params: object) -> None:
    """A write that bypasses the ORM and the service layer, as a migration or a hand fix would."""
    with db.get_engine().begin() as conn:
        conn.execute(text(statement), params)


def test_every_write_to_the_drafts_tables_moves_their_stamp_and_only_theirs(community: str) -> None:
    start, docs = stamp("drafts"), stamp("documents")
    with db.session_scope() as s:
        draft_id = submit_text(
            s, CLI, None, community_id=community, kind="push", sku="X", text="今晚八点见。"
        )["id"]
    seen = [start, stamp("drafts")]
    sql("UPDATE drafts SET event = '周五' WHERE id = :id", id=draft_id)
    seen.append(stamp("drafts"))
    sql(
        'INSERT INTO findings (revision_id, rule, category, severity, start, "end", text, message) '
        "SELECT id, 'r', 'compliance', 'warn', 0, 1, '今', 'm' FROM draft_revisions WHERE draft_id = :id",
        id=draft_id,
    )
    seen.append(stamp("drafts"))
    sql("DELETE FROM findings WHERE rule = 'r'")
    seen.append(stamp("drafts"))
    sql("UPDATE draft_revisions SET feedback = 'x' WHERE draft_id = :id", id=draft_id)
    seen.append(stamp("drafts"))
    assert [n for _, n, _ in seen] == sorted({n for _, n, _ in seen}) and len(set(seen)) == len(seen)
    assert stamp("documents") == docs  # drafts' writes leave the documents' stamp alone


def test_a_rolled_back_write_never_leaves_its_stamp_for_other_data(community: str) -> None:
    with db.session_scope() as s:
        draft_id = submit_text(
            s, CLI, None, community_id=community, kind="push", sku="X", text="今晚八点见。"
        )["id"]
    session = db.session_scope()
    with pytest.raises(RuntimeError), session as s:
        s.execute(text("UPDATE drafts SET status = 'rejected' WHERE id = :id"), {"id": draft_id})
        inside = stamps.read(s, "drafts")
        raise RuntimeError("roll back")
    sql("UPDATE drafts SET status = 'approved' WHERE id = :id", id=draft_id)
    after = stamp("drafts")
    assert after[1] == inside[1]  # the same count of writes ...
    assert after != inside  # ... but another salt: a page cached under `inside` is never served again


def test_the_cached_page_follows_a_write_made_behind_the_services_back(community: str) -> None:
    with db.session_scope() as s:
        for n in range(3):
            submit_text(s, CLI, None, community_id=community, kind="push", sku="X", text=f"第{n}组今晚见。")
    with db.session_scope() as s:
        first = drafts.draft_page(s, CLI)
        assert drafts.draft_page(s, CLI) is first  # cached: the same object
    assert first["counts"]["in_review"] == 3
    sql("UPDATE drafts SET status = 'rejected' WHERE id = (SELECT max(id) FROM drafts)")
    with db.session_scope() as s:
        now = drafts.draft_page(s, CLI)
    assert (now["counts"]["in_review"], now["counts"]["rejected"]) == (2, 1)
    assert now["drafts"][0]["status"] == "rejected"


def test_two_databases_with_equal_stamps_never_share_a_page(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    community: str,
    db_backend: str,
    request: pytest.FixtureRequest,
) -> None:
    with db.session_scope() as s:
        submit_text(s, CLI, None, community_id=community, kind="push", sku="X", text="今晚八点见。")
    sql("UPDATE change_stamps SET n = 7, salt = 7 WHERE name = 'drafts'")
    with db.session_scope() as s:
        assert drafts.draft_page(s, CLI)["total"] == 1
    monkeypatch.setenv("LINLI_HOME", str(tmp_path / "second"))
    if db_backend == "postgresql":
        monkeypatch.setenv("LINLI_DATABASE_URL", request.getfixturevalue("postgres").database())
    reset_settings()
    db.reset_engine()
    db.migrate()
    with db.session_scope() as s:
        add_community(s, CLI, "linjia", "邻家优选")
    sql("UPDATE change_stamps SET n = 7, salt = 7 WHERE name = 'drafts'")
    with db.session_scope() as s:
        assert drafts.draft_page(s, CLI)["total"] == 0


def test_the_product_list_follows_a_new_document(kb: KnowledgeBase) -> None:
    from api.web.pages import _products

    with db.session_scope() as s:
        before = [p["sku"] for p in _products(s, CLI)]
    docs = stamp("documents")
    with db.session_scope() as s:
        ingest_documents(s, CLI, kb, [DEMO_DOCS / "oat-whole-1kg-product.md"])
    assert stamp("documents") != docs
    with db.session_scope() as s:
        after = [p["sku"] for p in _products(s, CLI)]
    assert "OAT-WHOLE-1KG" not in before and "OAT-WHOLE-1KG" in after


def test_the_tests_run_on_the_database_they_name(home: Path, db_backend: str) -> None:
    """Guards the both_databases parametrisation: a [postgresql] test that quietly ran on SQLite would prove nothing."""
    assert db.get_engine().dialect.name == db_backend
    with db.session_scope() as s:
        revision = s.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert revision == db.head_revision()
