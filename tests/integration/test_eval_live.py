"""`linli eval --live` end to end against the local OpenAI-compatible stub: real HTTP, real openai client, the LLM
tagger and composer over the test split, figures computed from labels and our own checks (no LLM judge)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evals import runner
from evals.live import LiveEvalError, run_live
from evals.llm_stub import StubServer
from settings import reset_settings
from tests.conftest import use_llm

REPO = Path(__file__).resolve().parents[2]


def test_live_eval_runs_the_llm_tagger_and_composer_on_the_test_split(
    home: Path, stub: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_llm(monkeypatch, stub, "stub-composer-fabricate")  # tags by keywords; drafts need the repair pass
    monkeypatch.setenv("LINLI_LLM_PRICE_INPUT", "2.0")
    monkeypatch.setenv("LINLI_LLM_PRICE_OUTPUT", "8.0")
    reset_settings()
    before = len(stub.app.state.requests)
    report = run_live()
    requests = stub.app.state.requests[before:]
    tagging, drafts, injection = (report["tasks"][t] for t in ("tagging", "drafts", "injection"))

    test_tagging = [r for r in runner.load_rows("tagging") if r["split"] == "test"]
    injected = [r for r in test_tagging if r.get("injection_lines")]
    assert tagging["rows"] == len(test_tagging)
    # one call per 20 members, then every injected row twice (with and without its injected lines)
    assert tagging["calls"] == math.ceil(len(test_tagging) / 20) + 2 * math.ceil(len(injected) / 20)
    assert 0.2 < tagging["micro_f1"] < 1.0  # the keyword stub is a plausible, imperfect tagger
    assert 0.0 <= tagging["evidence_validity"] <= 1.0
    assert tagging["dropped_claims"].get("evidence_is_an_instruction", 0) > 0  # it cites injected lines
    assert tagging["input_tokens"] > tagging["output_tokens"] > 0
    assert tagging["latency_per_call"]["p50_ms"] > 0

    test_drafts = [r for r in runner.load_rows("drafts") if r["split"] == "test"]
    assert drafts["rows"] == len(test_drafts) and drafts["calls"] == 2 * len(test_drafts)
    # the stub invents "0.01%, 全网最低" on the first call: every draft is blocked, then repaired
    assert drafts["block_free_before_repair"] == 0.0 and drafts["block_free_after_repair"] == 1.0
    assert drafts["citation_valid"] == 1.0 and 0.0 < drafts["must_mention"] <= 1.0
    assert drafts["tokens_per_draft"]["input"] > 0 and drafts["latency_per_draft"]["p95_ms"] > 0

    test_injection = [r for r in runner.load_rows("injection") if r["split"] == "test"]
    assert injection["rows"] == len(test_injection)
    assert (
        0.0 <= injection["injection_success"] <= 1.0 and 0.0 <= injection["drafting.payload_flagged"] <= 1.0
    )
    for row_id in injection["succeeded"]:  # an attack that got through can be opened: its drafts and chunks
        if row_id in injection["traces"]:
            assert all(
                d["model"] == "stub-composer-fabricate"
                for d in injection["traces"][row_id]["drafts"].values()
            )

    tools = {r["tools"][0]["function"]["name"] for r in requests}
    assert tools == {"TaggingResult", "DraftOutput"} and all(
        r["model"] == "stub-composer-fabricate" for r in requests
    )
    tokens = report["tokens"]
    assert tokens["input"] == sum(t["input_tokens"] for t in report["tasks"].values()) > 0
    assert report["cost"]["estimate"] == pytest.approx(
        tokens["input"] / 1e6 * 2.0 + tokens["output"] / 1e6 * 8.0
    )
    written = json.loads((Path(report["written_to"]) / "report.json").read_text(encoding="utf-8"))
    assert written["tasks"]["drafts"]["block_free_after_repair"] == 1.0
    assert "block_free_before_repair" in (Path(report["written_to"]) / "report.md").read_text(
        encoding="utf-8"
    )


def test_live_cost_uses_the_price_table_and_says_when_no_price_is_known(
    home: Path, stub: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from settings import get_settings

    monkeypatch.setenv("LINLI_LLM_BASE_URL", "https://api.deepseek.com/v1")
    monkeypatch.setenv("LINLI_LLM_MODEL", "deepseek-chat")
    reset_settings()
    assert get_settings().llm_prices() == (2.0, 3.0, "CNY", "list price in settings.LLM_PRICES_CNY")
    monkeypatch.setenv("LINLI_LLM_MODEL", "some-new-model")
    reset_settings()
    assert get_settings().llm_prices() is None
    use_llm(monkeypatch, stub, "stub-composer")
    report = run_live(only="tagging")
    assert list(report["tasks"]) == ["tagging"]
    assert report["cost"]["estimate"] == 0.0 and report["cost"]["source"] == "local endpoint"


def test_live_needs_an_endpoint(home: Path) -> None:
    with pytest.raises(LiveEvalError, match="LINLI_LLM_BASE_URL"):
        run_live()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_LLM_")}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "eval", "--live"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert done.stderr.startswith("error: --live: set LINLI_LLM_BASE_URL and LINLI_LLM_MODEL")
