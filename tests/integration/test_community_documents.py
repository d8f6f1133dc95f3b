"""A document scoped to one community is that community's alone: another community's drafts never cite it, its
checks never judge a claim by it, its batch is not the batch on sale elsewhere, and the API does not list it
(real Chroma store, real database, the real app)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.checks import run_checks
from agent.drafting import create_draft, submit_text
from api.app import create_app
from api.services import ingest_documents
from community import db
from community.principal import CLI
from community.users import add_user
from knowledge.index import KnowledgeBase

# a newer report for the oil, of a batch only community "other" sells: its own supplier, its own figures
OTHER_REPORT = """---
sku: OIL-EVOO-500
title: 西班牙特级初榨橄榄油 EV2612K 批次检测报告（别家社区）
doc_type: traceability
batch: EV2612K
issuer: 华测检测认证集团股份有限公司
issued_at: 2026-11-20
valid_until: 2027-11-19
community: other
---

# 西班牙特级初榨橄榄油 EV2612K 批次检测报告

## 报告信息

报告编号：HCJC-2612-0911
检测机构：华测检测认证集团股份有限公司
批号：EV2612K
签发日期：2026-11-20

## 检测结果

| 检测项目 | 标准要求 | 检测结果 | 单项判定 |
|---|---|---|---|
| 酸度（以游离脂肪酸计） | ≤0.8% | 0.15% | 合格 |
| 过氧化值 | ≤10 mmol/kg | 2.9 mmol/kg | 合格 |
"""
CLAIM = "这批EV2612K的酸度只有0.15%，报告编号HCJC-2612-0911。"


@pytest.fixture
def scoped(kb: KnowledgeBase, community: str, tmp_path: Path) -> KnowledgeBase:
    path = tmp_path / "oil-evoo-500-report-ev2612k-other.md"
    path.write_text(OTHER_REPORT, encoding="utf-8")
    with db.session_scope() as s:
        ingest_documents(s, CLI, kb, [path])
    return kb


def cited_docs(draft: dict) -> set[str]:
    return {c.split("#")[0] for s in draft["sentences"] for c in s["citations"]}


def test_a_communitys_draft_cites_only_what_it_sees(scoped: KnowledgeBase, community: str) -> None:
    with db.session_scope() as s:
        mine = create_draft(s, CLI, scoped, community_id=community, kind="script", sku="OIL-EVOO-500")
        theirs = create_draft(s, CLI, scoped, community_id="other", kind="script", sku="OIL-EVOO-500")
    assert "EV2611A" in mine["text"] and "EV2612K" not in mine["text"]
    assert not any("ev2612k" in d for d in cited_docs(mine)), cited_docs(mine)
    assert "EV2612K" in theirs["text"]  # their latest report is theirs to cite, and their batch on sale
    assert any("ev2612k" in d for d in cited_docs(theirs))
    assert scoped.for_community(community).current_batches()["OIL-EVOO-500"] == "EV2611A"
    assert scoped.for_community("other").current_batches()["OIL-EVOO-500"] == "EV2612K"


def test_a_claim_is_judged_on_the_communitys_own_documents(scoped: KnowledgeBase, community: str) -> None:
    def blocking(kb: KnowledgeBase) -> list[str]:
        findings = run_checks(CLAIM, sku="OIL-EVOO-500", kb=kb)
        return [f["rule"] for f in findings if f["severity"] == "block"]

    assert blocking(scoped.for_community(community)), "another community's report supported the claim"
    assert blocking(scoped.for_community("other")) == []
    with db.session_scope() as s:
        typed = submit_text(
            s, CLI, scoped, community_id=community, kind="script", sku="OIL-EVOO-500", text=CLAIM
        )
    assert typed["findings"] and any(f["severity"] == "block" for f in typed["findings"])


def test_a_view_is_read_only_and_keeps_its_community(scoped: KnowledgeBase, community: str) -> None:
    view = scoped.for_community(community)
    with pytest.raises(TypeError, match="read-only"):
        view.remove("oil-evoo-500-report-ev2611a")
    with pytest.raises(ValueError, match="this view is community 'linjia'"):
        view.search("酸度", community="other")
    hits = view.search("EV2612K 酸度 报告编号", sku="OIL-EVOO-500", k=10)
    assert hits and all(h.community in ("", community) for h in hits)
    assert all(h.community in ("", community) for h in view.chunks_for_sku("OIL-EVOO-500"))
    assert all(h.community in ("", community) for _, h in view.facts_for("OIL-EVOO-500"))
    other_chunk = next(h.chunk_id for h in scoped.chunks_for_sku("OIL-EVOO-500") if h.community == "other")
    assert view.get_chunks([other_chunk]) == [] and scoped.get_chunks([other_chunk])


@pytest.fixture
def client(scoped: KnowledgeBase, community: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with db.session_scope() as s:
        _, mine = add_user(s, CLI, "laochen", "host", [community])
        _, theirs = add_user(s, CLI, "bieren", "host", ["other"])
    with TestClient(create_app(scoped)) as c:
        yield c, {"mine": mine, "theirs": theirs}


def test_the_api_lists_and_checks_on_the_callers_documents(client: tuple[TestClient, dict[str, str]]) -> None:
    c, tokens = client
    mine = {"Authorization": f"Bearer {tokens['mine']}"}
    theirs = {"Authorization": f"Bearer {tokens['theirs']}"}

    def listed(auth: dict[str, str]) -> set[str]:
        return {d["doc_id"] for d in c.get("/api/documents", headers=auth).json()["documents"]}

    assert listed(theirs) == {
        "oil-evoo-500-report-ev2612k-other"
    }  # the registry holds what the service ingested
    assert listed(mine) == set()
    body = {"text": CLAIM, "sku": "OIL-EVOO-500"}
    mine_check = c.post("/api/check", json=body, headers=mine).json()["findings"]
    theirs_check = c.post("/api/check", json=body, headers=theirs).json()["findings"]
    assert any(f["severity"] == "block" for f in mine_check)
    assert not any(f["severity"] == "block" for f in theirs_check)
    assert c.post("/api/check", json={**body, "community_id": "other"}, headers=mine).status_code == 404
