"""The LLM composer over real HTTP to the local stub: a fabricated figure is caught, repaired once, or stays blocked."""

from __future__ import annotations

import pytest

from agent.drafting import compose_draft
from evals.llm_stub import StubServer
from knowledge.index import KnowledgeBase
from tests.conftest import use_llm


def blocking(draft) -> list[str]:  # type: ignore[no-untyped-def]
    return [f["rule"] for f in draft.findings if f["severity"] == "block"]


def test_fabricated_figure_is_caught_and_repaired_in_one_more_call(
    kb: KnowledgeBase, stub: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_llm(monkeypatch, stub, "stub-composer-fabricate")
    draft = compose_draft(kb, kind="script", sku="OIL-EVOO-500", event="今晚8点直播")
    trace = draft.revision.trace
    assert trace["calls"] == 2 and trace["repaired"] is True and trace["input_tokens"] > 0
    assert trace["dropped_citations"] == {"unknown_chunk": 1}  # "made-up#999" never reaches the draft
    assert blocking(draft) == [] and "0.01%" not in draft.revision.text
    assert draft.revision.composer == "llm" and draft.revision.model == "stub-composer-fabricate"
    cited = [s for s in draft.revision.sentences if s["citations"]]
    assert cited and all(c.startswith("oil-evoo-500-") for s in cited for c in s["citations"])
    repair_request = stub.app.state.requests[-1]
    assert (
        "阻断问题" in repair_request["messages"][-1]["content"]
        and "0.01%" in repair_request["messages"][-1]["content"]
    )


def test_a_draft_the_repair_cannot_fix_is_stored_blocked_never_clean(
    kb: KnowledgeBase, stub: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_llm(monkeypatch, stub, "stub-composer-stubborn")
    draft = compose_draft(kb, kind="push", sku="OIL-EVOO-500", segment="blood_lipids")
    assert draft.revision.trace["calls"] == 2
    rules = blocking(draft)
    assert any(r.startswith("abs.") for r in rules) and any(r.startswith("grounding.") for r in rules)
    assert draft.revision.text.endswith("我们不再推送。")  # the opt-out line is ours, not the model's


def test_honest_model_needs_one_call(
    kb: KnowledgeBase, stub: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_llm(monkeypatch, stub, "stub-composer")
    draft = compose_draft(kb, kind="chain", sku="SOY-LOWNA-500")
    assert draft.revision.trace["calls"] == 1 and blocking(draft) == []


def test_a_segment_request_gives_the_model_the_taxonomys_lawful_angle(
    kb: KnowledgeBase, stub: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_llm(monkeypatch, stub, "stub-composer")
    draft = compose_draft(kb, kind="push", sku="SOY-LOWNA-500", segment="blood_pressure")
    asked = stub.app.state.requests[-1]["messages"][-1]["content"]
    assert "角度：如实说明每15毫升钠含量" in asked and "人群：注意控盐饮食的家人" in asked
    assert draft.revision.text.endswith("我们不再推送。") and "privacy.opt_out_missing" not in blocking(draft)
