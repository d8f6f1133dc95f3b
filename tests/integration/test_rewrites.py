"""Grounded rewrites: a blocked health claim gets a lawful sentence made of the product's own documented facts."""

from __future__ import annotations

import pytest

from agent.checks import run_checks
from agent.checks.compliance import check_compliance
from agent.checks.grounding import Grounder
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
