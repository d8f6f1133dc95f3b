"""Retention: old messages are purged with the evidence and 接龙 entries on them, tags left without evidence go
(an operator's label stays), and no later import brings them back; on a real SQLite database and PostgreSQL."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from agent.tagging import infer_community
from api.app import create_app
from api.services import label_tag, set_health_consent
from community import db
from community.errors import Forbidden
from community.importers import import_file
from community.members import find_members, list_members
from community.models import AuditEvent, ChainEntry, Message, utcnow
from community.principal import CLI, Principal
from community.retention import purge_messages
from knowledge.index import KnowledgeBase
from settings import reset_settings
from tests.conftest import linli

pytestmark = pytest.mark.both_databases


def chat(tmp_path: Path) -> Path:
    """王阿姨 said 我爸血压高 400 days ago and baked last week; 小林's only line (烘焙) is old; an old 接龙."""
    now = utcnow() + timedelta(hours=8)  # the text export is in China time
    old = (now - timedelta(days=400)).strftime("%Y-%m-%d %H:%M:%S")
    recent = (now - timedelta(days=7)).strftime("%Y-%m-%d %H:%M:%S")
    path = tmp_path / "chat.txt"
    path.write_text(
        f"{old} 王阿姨: 我爸血压高，医生让少吃盐\n"
        f"{old} 小林: 周末在家烤面包，高筋面粉哪个牌子好\n"
        f"{old} 团长小周: #接龙 减盐酱油\n1. 王阿姨 2瓶\n"
        f"{recent} 王阿姨: 周末烤了吐司，高筋面粉快用完了\n",
        encoding="utf-8",
    )
    return path


def tags(community: str) -> dict[str, set[str]]:
    with db.session_scope() as s:
        return {m["name"]: {t["tag"] for t in m["tags"]} for m in list_members(s, CLI, community)}


def setup(tmp_path: Path, community: str) -> Path:
    path = chat(tmp_path)
    with db.session_scope() as s:
        import_file(s, CLI, path, community, secret=b"k")
        for m in list_members(s, CLI, community):
            set_health_consent(s, CLI, m["member_id"], community, "granted")
        infer_community(s, CLI, community)
    assert tags(community)["王阿姨"] >= {"blood_pressure", "baking"} and tags(community)["小林"] == {"baking"}
    return path


def count(model: type, community: str) -> int:
    with db.session_scope() as s:
        return int(
            s.scalar(select(func.count()).select_from(model).where(model.community_id == community)) or 0
        )


def test_a_purge_takes_old_messages_and_what_stands_on_them(tmp_path: Path, community: str) -> None:
    path = setup(tmp_path, community)
    with db.session_scope() as s:
        lin = next(m["member_id"] for m in list_members(s, CLI, community) if m["name"] == "小林")
        label_tag(s, CLI, lin, "baking", "confirmed")  # the operator's label outlives its evidence
        counted = purge_messages(s, CLI, community, older_than_days=365, dry_run=True)
    assert counted["messages_deleted"] == 3 and counted["chain_entries_deleted"] == 1 and counted["dry_run"]
    assert counted["tags_dropped"] == 1  # 王阿姨's blood_pressure; 小林's baking is confirmed
    assert count(Message, community) == 4  # a dry run changes nothing
    with db.session_scope() as s:
        done = purge_messages(s, CLI, community, older_than_days=365)
    assert {k: done[k] for k in ("messages_deleted", "chain_entries_deleted", "tags_dropped")} == {
        "messages_deleted": 3,
        "chain_entries_deleted": 1,
        "tags_dropped": 1,
    }
    assert count(Message, community) == 1 and count(ChainEntry, community) == 0
    after = tags(community)
    assert after["王阿姨"] == {"baking"} and after["小林"] == {"baking"}
    with db.session_scope() as s:
        lin_tags = find_members(s, CLI, community, search="小林")["members"][0]["tags"]
        assert lin_tags[0]["status"] == "confirmed" and lin_tags[0]["evidence"] == []
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "messages.purge")).one()
        assert event.detail["messages_deleted"] == 3 and "王阿姨" not in json.dumps(
            event.detail, ensure_ascii=False
        )
    # the same export again: the old lines stay out, counted as past retention
    with db.session_scope() as s:
        again = import_file(s, CLI, path, community, secret=b"k")
    assert again["imported"] == 0 and again["expired"] == 3 and again["duplicates"] == 1
    with db.session_scope() as s:
        infer_community(s, CLI, community, full=True)
    assert tags(community)["王阿姨"] == {"baking"}


def test_the_retention_setting_keeps_old_lines_out_of_an_import(
    tmp_path: Path, community: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_RETENTION_DAYS", "180")
    reset_settings()
    with db.session_scope() as s:
        report = import_file(s, CLI, chat(tmp_path), community, secret=b"k")
    assert report["imported"] == 1 and report["expired"] == 3
    monkeypatch.setenv("LINLI_RETENTION_DAYS", "0")
    reset_settings()
    bad = linli("messages", "purge", "-c", community)
    assert bad.returncode != 0 and "retention_days" in bad.stderr.lower()


def test_only_an_admin_purges_and_the_cli_reports(tmp_path: Path, community: str) -> None:
    setup(tmp_path, community)
    operator = Principal(user_id=1, name="xiaozhou", role="operator", communities=frozenset({community}))
    with db.session_scope() as s, pytest.raises(Forbidden):
        purge_messages(s, operator, community, older_than_days=30)
    missing = linli("messages", "purge", "-c", community)
    assert missing.returncode != 0 and "--older-than" in missing.stderr
    dry = linli("messages", "purge", "-c", community, "--older-than", "365", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["messages_deleted"] == 3 and count(Message, community) == 4
    real = linli("messages", "purge", "-c", community, "--older-than", "365")
    assert real.returncode == 0 and "deleted 3 messages" in real.stdout
    assert count(Message, community) == 1


def test_the_server_purges_by_itself_when_retention_is_set(
    tmp_path: Path, community: str, monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase
) -> None:
    setup(tmp_path, community)  # imported before the setting: three old lines are stored
    monkeypatch.setenv("LINLI_RETENTION_DAYS", "365")
    monkeypatch.setenv("LINLI_RETENTION_INTERVAL_S", "0.2")
    reset_settings()
    with TestClient(create_app(kb)) as client:
        worker = client.app.state.retention_worker  # type: ignore[attr-defined]
        assert worker is not None
        deadline = time.monotonic() + 30
        while count(Message, community) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # a few more rounds, each finding nothing to delete
    assert count(Message, community) == 1 and worker.error is None
    with db.session_scope() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "messages.purge")))
    # one purge per community that had something old; the empty rounds after it are not audited
    assert len(events) == 1 and events[0].actor == "retention" and events[0].detail["messages_deleted"] == 3
    monkeypatch.setenv("LINLI_RETENTION_INTERVAL_S", "0")
    reset_settings()
    with TestClient(create_app(kb)) as client:
        assert client.app.state.retention_worker is None  # type: ignore[attr-defined]
