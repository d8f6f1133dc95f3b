"""Grounded rewrites: a blocked health claim gets a lawful sentence made of the product's own documented facts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.checks import run_checks
from agent.checks.compliance import check_compliance
from agent.checks.grounding import Grounder
from api.app import create_app
from community import db
from community.principal import CLI
from community.users import add_user
from knowledge.index import KnowledgeBase

pytestmark = pytest.mark.usefixtures("home")

HOST = "家里有老人的一定要换，天天吃能降血压，比吃药还管用。"


def rewritten(text: str, sku: str, kb: KnowledgeBase) -> list[dict]:
    return [f for f in run_checks(text, sku=sku, kb=kb) if f.get("rewrite")]


def test_a_blood_pressure_claim_on_the_soy_sauce_becomes_its_sodium_figures(kb: KnowledgeBase) -> None:
    found = rewritten(HOST, "SOY-LOWNA-500", kb)
    assert len(found) == 1 and found[0]["text"] == "降血压"  # one rewrite per sentence, on its first block
    rewrite = found[0]["rewrite"]
    assert "683mg" in rewrite and "30%" in rewrite  # the sheet's own points on sodium
    assert "降血压" not in rewrite and "吃药" not in rewrite and "家里有老人的一定要换" in rewrite
    # the rewrite is itself lawful and grounded, and cites the chunks that state its figures
    assert not check_compliance(rewrite)
    grounder = Grounder(kb, "SOY-LOWNA-500")
    assert all(c.label == "supported" for c in grounder.claims(rewrite))
    chunks = {h.chunk_id: h for h in kb.get_chunks(found[0]["rewrite_citations"])}
    assert chunks and all(h.sku == "SOY-LOWNA-500" for h in chunks.values())
    assert any("683" in h.text for h in chunks.values())


def test_a_figure_the_documents_do_not_hold_is_never_offered(kb: KnowledgeBase) -> None:
    """The oil's documents say nothing of 降血糖's angle beyond the nutrition table: whatever is offered must be
    grounded in the oil's own documents, never the soy sauce's."""
    for f in rewritten("这瓶油能稳血糖，糖尿病人放心吃。", "OIL-EVOO-500", kb):
        grounder = Grounder(kb, "OIL-EVOO-500")
        assert all(c.label == "supported" for c in grounder.claims(f["rewrite"]))
        assert all(h.sku == "OIL-EVOO-500" for h in kb.get_chunks(f["rewrite_citations"]))


def test_no_rewrite_without_a_topic_without_a_sku_or_for_other_families(kb: KnowledgeBase) -> None:
    assert not rewritten(
        "保证三天见效，绝对无副作用。", "SOY-LOWNA-500", kb
    )  # no topic: the rule's 删去 stands
    assert not [f for f in run_checks(HOST) if f.get("rewrite")]  # no sku, no documents to write from
    assert not rewritten("全网最好的酱油，错过今天就没了。", "SOY-LOWNA-500", kb)  # absolute terms, pressure


def test_a_clause_that_says_what_eating_does_is_not_carried_into_the_rewrite(kb: KnowledgeBase) -> None:
    found = rewritten("老人吃了血压稳稳的，天天吃能降血压。", "SOY-LOWNA-500", kb)
    assert found and "吃了" not in found[0]["rewrite"] and "血压" not in found[0]["rewrite"]


def test_get_chunks_takes_a_repeated_id(kb: KnowledgeBase) -> None:
    """A rewrite may cite a chunk the sentence beside it cites too: the page asks for both at once."""
    chunk_id = kb.chunks_for_sku("SOY-LOWNA-500")[0].chunk_id
    assert [h.chunk_id for h in kb.get_chunks([chunk_id, chunk_id])] == [chunk_id]


@pytest.fixture
def grounding_runs(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """The skus real grounders are built for and the texts they judge, counted as they run (the real code runs)."""
    built: list[str] = []
    judged: list[str] = []
    build, judge = Grounder.__init__, Grounder._canonical

    def counted_build(self: Grounder, kb: KnowledgeBase, sku: str, prices: tuple[str, ...] = ()) -> None:
        built.append(sku)
        build(self, kb, sku, prices)

    def counted_judge(self: Grounder, text: str) -> Any:
        judged.append(text)
        return judge(self, text)

    monkeypatch.setattr(Grounder, "__init__", counted_build)
    monkeypatch.setattr(Grounder, "_canonical", counted_judge)
    return built, judged


@pytest.fixture
def client(community: str, kb: KnowledgeBase) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with db.session_scope() as s:
        token = add_user(s, CLI, "host", "host", [community])[1]
    with TestClient(create_app(kb=kb)) as c:
        yield c, {"Authorization": f"Bearer {token}"}


TYPED = f"这瓶酱油每15ml含钠683mg，团购价39.9元。\n{HOST}"


def test_a_checked_text_is_grounded_once_and_its_rewrite_reuses_that_grounder(
    client: tuple[TestClient, dict[str, str]], grounding_runs: tuple[list[str], list[str]]
) -> None:
    """POST /api/check (and `linli check`): one grounder for the grounding check and the rewrites of the text."""
    c, headers = client
    built, judged = grounding_runs
    response = c.post("/api/check", json={"text": TYPED, "sku": "SOY-LOWNA-500"}, headers=headers)
    assert response.status_code == 200, response.text
    findings = response.json()["findings"]
    assert any(f.get("rewrite") for f in findings)  # the rewriter ran, on its candidates
    assert built == ["SOY-LOWNA-500"]
    assert judged.count(TYPED) == 1 and len(judged) > 1


def test_a_typed_script_and_its_edit_are_grounded_once_each(
    client: tuple[TestClient, dict[str, str]], grounding_runs: tuple[list[str], list[str]]
) -> None:
    """A host's typed script (POST /api/drafts with text) and an edit of it: the text's citations and its
    findings come from one grounder judging it once."""
    c, headers = client
    built, judged = grounding_runs
    body = {"kind": "script", "sku": "SOY-LOWNA-500", "community_id": "linjia", "text": TYPED}
    response = c.post("/api/drafts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    draft = response.json()
    # the figure line cites the sheet that states 683mg, and the blood-pressure line still blocks
    assert draft["sentences"][0]["citations"]
    assert any(f["rule"].startswith("disease") or f["severity"] == "block" for f in draft["findings"])
    assert built == ["SOY-LOWNA-500"] and judged.count(TYPED) == 1
    edited = TYPED.replace("683mg", "690mg")
    response = c.post(f"/api/drafts/{draft['id']}/revisions", json={"text": edited}, headers=headers)
    assert response.status_code == 201, response.text
    assert any(f["rule"] == "grounding.wrong_value" for f in response.json()["findings"])
    assert built == ["SOY-LOWNA-500"] * 2 and judged.count(edited) == 1
