"""The LLM composer: the same plan → retrieve → check pipeline, with an OpenAI-compatible model writing the text.

At most two calls per draft: the draft, then one repair pass fed the blocking findings. Every sentence carries the
chunk ids it relies on; a citation the model invents is dropped (and counted), and the checks — grounding above
all — run on what the model wrote, so a fabricated figure is caught whatever the model claims. A draft still
blocked after the repair is stored as blocked, never as clean.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from agent.drafting.composer import FactBook, Request, Sentence, TemplateComposer
from agent.llm import LLMFailed, usage_of
from agent.prompting import load_prompt
from knowledge.index import KnowledgeBase

KIND_GUIDE = {
    "script": "直播脚本，分段：开场、源头故事、品质证据、互动问答、福利与售后、接龙引导；每段若干句口播。",
    "chain": "接龙文案：标题、规格、团购价、截单时间、自提点、限购，最后是可续写的编号名单（1. ）。",
    "push": "群内直播预告或提醒，3到5句；若面向特定人群，结尾加一句退订说明。",
}
MAX_PASSAGES = 24


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


class DraftSentence(BaseModel):
    text: str
    citations: list[str] = Field(
        default_factory=list, description="chunk ids from <documents> that support it"
    )
    segment: str = ""


class DraftOutput(BaseModel):
    """The draft as sentences, each with the document chunks it relies on."""

    sentences: list[DraftSentence]


@dataclass
class LLMRun:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    dropped_citations: Counter[str] = field(default_factory=Counter)
    steps: list[dict[str, Any]] = field(
        default_factory=list
    )  # the trace: each call and each check pass, timed


class LLMComposer:
    name = "llm"

    def __init__(self, model: Any, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.prompt = load_prompt("drafting_system")
        self.model_name = str(getattr(model, "model_name", None) or getattr(model, "model", "unknown"))
        self._runnable = model.with_structured_output(
            DraftOutput, method="function_calling", include_raw=True
        )

    def evidence(self, request: Request) -> tuple[str, dict[str, str]]:
        """The batch on sale's facts and passages, as numbered data; flagged chunks never enter."""
        book: FactBook = TemplateComposer(self.kb).fact_book(request.sku)
        passages: dict[str, str] = {}
        for _, hit in book.entries:
            passages.setdefault(hit.chunk_id, hit.text)
        for hit in self.kb.chunks_for_sku(request.sku):
            if not hit.flags and len(passages) < MAX_PASSAGES:
                passages.setdefault(hit.chunk_id, hit.text)
        lines = [f"[{cid}] {' '.join(text.split())}" for cid, text in list(passages.items())[:MAX_PASSAGES]]
        return "<documents>\n" + "\n".join(lines) + "\n</documents>", passages

    def _call(self, messages: list[tuple[str, str]], run: LLMRun, step: str) -> DraftOutput:
        run.calls += 1
        started = time.perf_counter()
        try:
            response = self._runnable.invoke(messages)
        except Exception as exc:  # noqa: BLE001 - transport and API errors of any client become one error of ours
            raise LLMFailed(f"drafting call failed: {type(exc).__name__}: {exc}") from exc
        usage = usage_of(response.get("raw"))
        run.input_tokens += usage["input_tokens"]
        run.output_tokens += usage["output_tokens"]
        run.steps.append({"step": step, "model": self.model_name, **usage, "ms": _ms(started)})
        parsed = response.get("parsed")
        if parsed is None:
            raise LLMFailed("drafting call returned no usable structured output")
        return parsed

    def _sentences(self, output: DraftOutput, passages: dict[str, str], run: LLMRun) -> list[Sentence]:
        out = []
        for s in output.sentences:
            cited = [c for c in s.citations if c in passages]
            run.dropped_citations["unknown_chunk"] += len(s.citations) - len(cited)
            out.append(Sentence(s.text.strip(), list(dict.fromkeys(cited)), s.segment))
        return [s for s in out if s.text]

    def compose(
        self, request: Request, check: Any
    ) -> tuple[list[Sentence], list[dict[str, Any]], dict[str, Any]]:
        """Draft, check, and repair once if a blocking finding remains. ``check(text)`` returns findings."""
        from agent.drafting.composer import render

        started = time.perf_counter()
        documents, passages = self.evidence(request)
        system = self.prompt.render(kind_guide=KIND_GUIDE[request.kind])
        ask = (
            f"<request>\n商品：{request.sku}\n活动：{request.event or '（未给）'}\n主播：{request.host or '主播'}\n"
            f"人群：{request.segment.audience if request.segment else '全群'}\n"
            f"角度：{request.segment.angle if request.segment else '（无）'}\n</request>\n{documents}"
        )
        if request.feedback:
            # the reviewing operator's words are an instruction (unlike chat or documents), but never above the rules
            ask += (
                f"\n<operator_feedback>\n{request.feedback}\n</operator_feedback>\n"
                "上一稿被审核运营退回，请按 <operator_feedback> 里的意见重写整篇稿件；意见与铁律冲突时，以铁律为准。"
            )
        run = LLMRun()
        run.steps.append({"step": "retrieve", "chunks": len(passages), "ms": _ms(started)})
        messages = [("system", system), ("human", ask)]
        sentences = self._sentences(self._call(messages, run, "draft"), passages, run)
        checked = time.perf_counter()
        findings = check(render(sentences, request.kind))
        run.steps.append({"step": "checks", "findings": len(findings), "ms": _ms(checked)})
        repaired = False
        blocking = [f for f in findings if f["severity"] == "block"]
        if blocking:
            problems = "\n".join(f"- 「{f['text']}」：{f['message']}" for f in blocking)
            previous = "\n".join(s.text for s in sentences)
            messages += [
                ("ai", previous),
                (
                    "human",
                    f"以下阻断问题必须修改，只能使用 <documents> 里的事实：\n{problems}\n请输出修改后的完整稿件。",
                ),
            ]
            sentences = self._sentences(self._call(messages, run, "repair"), passages, run)
            checked = time.perf_counter()
            findings = check(render(sentences, request.kind))
            run.steps.append({"step": "checks", "findings": len(findings), "ms": _ms(checked)})
            repaired = True
        trace = {
            "composer": "llm",
            "model": self.model_name,
            "prompt_version": self.prompt.version,
            "calls": run.calls,
            "input_tokens": run.input_tokens,
            "output_tokens": run.output_tokens,
            "repaired": repaired,
            "dropped_citations": dict(run.dropped_citations),
            "retrieved": list(passages),
            "steps": run.steps,
        }
        return sentences, findings, trace
