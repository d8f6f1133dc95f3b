"""Suggested pushes: a push draft for each segment worth one, on the product its members ordered that has facts
for the segment's angle; never sent, never twice while one is open, operators only (real database, real Chroma
store, the real app)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.drafting.suggest import suggest_pushes
from agent.tagging import infer_community
from api.app import create_app
from api.services import ingest_documents, set_health_consent
from community import db
from community.errors import Forbidden
from community.importers import import_file
from community.members import list_members
from community.principal import CLI, Principal
from community.users import add_user
from knowledge.index import KnowledgeBase
from tests.conftest import DEMO_DOCS

# three neighbours watch their salt (two for a parent) and ordered the soy sauce; two mention 肠胃 and fibre
CHAT = """2026-11-20 20:01:05 王阿姨: 我爸血压高，医生让少吃盐，酱油有没有低钠的
2026-11-20 20:02:05 孙阿姨: 我爸也是高血压，家里做菜都清淡
2026-11-20 20:03:05 赵叔: 我血压有点高，最近在控盐
2026-11-20 20:04:05 马大姐: 肠胃不好，早上想吃点粗粮
2026-11-20 20:05:05 陈老师: 我肠胃一直不好，吃点凉的就拉肚子
2026-11-20 20:06:05 团长小周: #接龙 减盐酿造酱油 500ml
1. 王阿姨 2瓶
2. 孙阿姨 1瓶
3. 赵叔 1瓶
"""


@pytest.fixture
def world(tmp_path: Path, community: str, kb: KnowledgeBase) -> dict[str, int]:
    chat = tmp_path / "chat.txt"
    chat.write_text(CHAT, encoding="utf-8")
    with db.session_scope() as s:
        docs = sorted(DEMO_DOCS.glob("soy-lowna-500-*.md")) + sorted(DEMO_DOCS.glob("oat-whole-1kg-*.md"))
        ingest_documents(s, CLI, kb, [*docs, *sorted(DEMO_DOCS.glob("oil-evoo-500-*.md"))])
        import_file(s, CLI, chat, community, secret=b"k")
        ids = {m["name"]: m["member_id"] for m in list_members(s, CLI, community)}
        for name in ("王阿姨", "孙阿姨", "赵叔", "马大姐", "陈老师"):
            set_health_consent(s, CLI, ids[name], community, "granted")
        infer_community(s, CLI, community)
    return ids


def test_a_push_for_each_segment_worth_one(world: dict[str, int], community: str, kb: KnowledgeBase) -> None:
    with db.session_scope() as s:
        result = suggest_pushes(s, CLI, kb, community, event="周四晚8点直播", min_members=2)
    pairs = {(x["sku"], x["segment"]): x for x in result["suggested"]}
    salt = pairs[("SOY-LOWNA-500", "blood_pressure")]
    assert salt["members"] == 3 and salt["ordered_before"] == 3 and salt["blocking_findings"] == 0
    assert ("OAT-WHOLE-1KG", "digestive") in pairs  # the one product whose documents state its fibre
    assert not any(
        x["sku"] == "OIL-EVOO-500" for x in result["suggested"]
    )  # no fact for these segments' angles
    with db.session_scope() as s:
        from community.drafts import draft_document, get_draft

        doc = draft_document(s, get_draft(s, CLI, salt["draft_id"]))
    assert doc["kind"] == "push" and doc["status"] == "in_review" and doc["segment"] == "blood_pressure"
    assert doc["audience"]["count"] == 3 and "退订" in doc["text"] and "周四晚8点直播" in doc["text"]
    assert "王阿姨" not in doc["text"] and "血压高" not in doc["text"]  # never a person or a condition
    # asked again: the pushes are still open, so nothing new
    with db.session_scope() as s:
        again = suggest_pushes(s, CLI, kb, community, min_members=2)
    assert again["suggested"] == []
    assert {p["why"] for p in again["passed_over"] if p.get("sku") == "SOY-LOWNA-500"} == {
        "push_open_or_sent"
    }


def test_consent_and_size_decide_who_is_a_segment(
    world: dict[str, int], community: str, kb: KnowledgeBase
) -> None:
    with db.session_scope() as s:
        set_health_consent(s, CLI, world["赵叔"], community, "refused")
        set_health_consent(s, CLI, world["孙阿姨"], community, "refused")
        result = suggest_pushes(s, CLI, kb, community, min_members=2)
    assert not any(x["segment"] == "blood_pressure" for x in result["suggested"])
    assert {"segment": "blood_pressure", "members": 1, "why": "too_few_members"} in result["passed_over"]


def test_only_reviewers_ask_for_suggestions(world: dict[str, int], community: str, kb: KnowledgeBase) -> None:
    host = Principal(user_id=1, name="laochen", role="host", communities=frozenset({community}))
    with db.session_scope() as s, pytest.raises(Forbidden):
        suggest_pushes(s, host, kb, community)


@pytest.fixture
def client(
    world: dict[str, int], community: str, kb: KnowledgeBase
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with db.session_scope() as s:
        _, operator = add_user(s, CLI, "xiaozhou", "operator", [community])
        _, host = add_user(s, CLI, "laochen", "host", [community])
    with TestClient(create_app(kb)) as c:
        yield c, {"operator": operator, "host": host}


def test_the_api_and_the_inbox_ask_for_suggestions(
    client: tuple[TestClient, dict[str, str]], community: str
) -> None:
    c, tokens = client
    body = {"community_id": community, "min_members": 2, "limit": 1}
    assert (
        c.post(
            "/api/drafts/suggest", json=body, headers={"Authorization": f"Bearer {tokens['host']}"}
        ).status_code
        == 403
    )
    operator = {"Authorization": f"Bearer {tokens['operator']}"}
    assert c.post("/api/drafts/suggest", json={**body, "limit": 0}, headers=operator).status_code == 422
    made = c.post("/api/drafts/suggest", json=body, headers=operator)
    assert (
        made.status_code == 201 and len(made.json()["suggested"]) == 1
    )  # the largest segment first, one asked
    assert made.json()["suggested"][0]["segment"] == "blood_pressure"
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text)
    assert csrf
    c.post("/login", data={"token": tokens["operator"], "csrf": csrf.group(1), "next": "/inbox"})
    inbox = c.get("/inbox").text
    assert "按人群生成推送建议" in inbox
    form_csrf = re.search(r'name="csrf" value="([^"]+)"', inbox)
    assert form_csrf
    page = c.post(
        "/inbox/suggest", data={"csrf": form_csrf.group(1), "event": "周六上午", "min_members": "2"}
    )
    assert page.status_code == 200 and "推送草稿，都在收件箱里等待审核" in page.text
    assert re.search(r'<td data-label="人群">肠胃调理</td>', page.text)  # the next segment; salt is open
    assert "已有同类推送在审核" in page.text
