"""A local OpenAI-compatible chat endpoint for tests and CI: real HTTP, real ``openai`` client, scripted answers.

The model name picks the behaviour:
- ``stub-tagger``: a well-behaved tagger (keyword rules standing in for a model), evidence keys as asked;
- ``stub-adversarial``: the same, plus claims the validation must drop (unknown tags, other members' or invented
  evidence, an instruction used as evidence, sensitive tags for everyone);
- ``stub-malformed``: tool-call arguments that are not JSON;
- ``stub-fail``: HTTP 500 every time;
- any model, while ``app.state.fault_markers`` is on (the default): a tagging batch whose chat data contains
  ``#stub-500`` gets HTTP 500, one containing ``#stub-garbage`` gets unparseable arguments, so that one run can
  mix answered and failed batches;
- ``stub-composer``: an honest composer that states the evidence pack's figures with their chunk ids;
  ``stub-composer-fabricate`` adds an invented, absolute figure on the first call (fixed by the repair pass),
  ``stub-composer-stubborn`` on every call.
Any model name answers both kinds of request (tagging and drafting), so one name runs ``linli eval --live``.
Every answer carries a ``usage`` block so token accounting is exercised.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

KEYWORDS = {  # a plausible, naive "model": keywords, no negation, no hearsay; validation must cope with it
    "baking": ("吐司", "烤箱", "戚风", "烘焙", "面包"),
    "blood_pressure": ("血压", "减盐", "少盐", "低钠"),
    "maternal_infant": ("宝宝", "辅食", "月龄"),
    "fitness": ("健身", "增肌", "撸铁"),
    "vegetarian": ("吃素", "素食"),
    "blood_sugar": ("血糖", "控糖", "糖尿病"),
    "blood_lipids": ("血脂", "胆固醇"),
    "weight": ("减肥", "减脂", "瘦身"),
    "digestive": ("肠胃", "便秘", "胃不好"),
    "allergy": ("过敏",),
    "elderly": ("老人", "牙口"),
    "organic": ("有机",),
}
CHAT_DATA = re.compile(r"<chat_data>\s*(\{.*\})\s*</chat_data>", re.S)
DOCUMENTS = re.compile(r"<documents>\n(.*?)\n</documents>", re.S)
PASSAGE = re.compile(r"^\[([^\]]+)\] (.*)$")
RISKY = re.compile(r"最|第一|顶级|不要说|不能说|降|治|防|%纯|上一批|上批|卖完")


def _draft(prompt: str, model: str) -> list[dict[str, Any]]:
    """An honest draft from the documents, plus a fabricated figure when the model name asks for one."""
    match = DOCUMENTS.search(prompt)
    passages = [PASSAGE.match(line) for line in (match.group(1).splitlines() if match else [])]
    sentences = [{"text": "家人们晚上好，今天跟大家聊聊这款好东西。", "citations": [], "segment": "开场"}]
    for found in passages:
        if found is None:
            continue
        first = found.group(2).split("。")[0].strip("| ")
        if re.search(r"\d", first) and not RISKY.search(first) and 6 <= len(first) <= 80 and "|" not in first:
            sentences.append({"text": first + "。", "citations": [found.group(1)], "segment": "品质证据"})
        if len(sentences) >= 5:
            break
    repairing = "阻断问题" in prompt
    if model == "stub-composer-stubborn" or (model == "stub-composer-fabricate" and not repairing):
        first_id = passages[0].group(1) if passages and passages[0] else "x"
        sentences.append(
            {
                "text": "这批酸度只有0.01%，是全网最低的。",
                "citations": [first_id, "made-up#999"],
                "segment": "品质证据",
            }
        )
    return sentences


def _claims(members: list[dict[str, Any]], adversarial: bool) -> list[dict[str, Any]]:
    claims = []
    for member in members:
        for tag, words in KEYWORDS.items():
            evidence = [m["id"] for m in member["messages"] if any(w in m["text"] for w in words)]
            if evidence:
                about = (
                    "family" if any(w in member["messages"][0]["text"] for w in ("我爸", "我妈")) else "self"
                )
                claims.append(
                    {
                        "member": member["member"],
                        "tag": tag,
                        "about": about,
                        "confidence": 0.9,
                        "evidence": evidence,
                    }
                )
    if adversarial and members:
        first, last = members[0], members[-1]
        first_msg = first["messages"][0]["id"] if first["messages"] else "M1-1"
        claims += [
            {
                "member": first["member"],
                "tag": "vip_customer",
                "about": "self",
                "confidence": 0.99,
                "evidence": [first_msg],
            },
            {
                "member": first["member"],
                "tag": "baking",
                "about": "self",
                "confidence": 0.8,
                "evidence": [last["messages"][-1]["id"]]
                if last is not first and last["messages"]
                else ["M1-99"],
            },
            {
                "member": first["member"],
                "tag": "organic",
                "about": "self",
                "confidence": 0.8,
                "evidence": ["M99-1"],
            },
            {"member": "M999", "tag": "baking", "about": "self", "confidence": 0.8, "evidence": [first_msg]},
            {"member": first["member"], "tag": "elderly", "about": "self", "confidence": 0.5, "evidence": []},
        ]
        for member in members:
            for message in member["messages"]:
                if "忽略" in message["text"] or "标签" in message["text"]:
                    claims.append(
                        {
                            "member": member["member"],
                            "tag": "maternal_infant",
                            "about": "self",
                            "confidence": 0.99,
                            "evidence": [message["id"]],
                        }
                    )
            if member["messages"]:
                claims.append(
                    {
                        "member": member["member"],
                        "tag": "blood_sugar",
                        "about": "self",
                        "confidence": 0.6,
                        "evidence": [member["messages"][0]["id"]],
                    }
                )
    return claims


def create_app() -> FastAPI:
    app = FastAPI(title="OpenAI-compatible stub")
    app.state.requests = []
    app.state.fault_markers = True

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> Any:
        body = await request.json()
        app.state.requests.append(body)
        model = body.get("model", "")
        if model == "stub-fail":
            return JSONResponse(
                {"error": {"message": "stub failure", "type": "server_error"}}, status_code=500
            )
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        tool = (body.get("tools") or [{}])[0].get("function", {}).get("name", "TaggingResult")
        fault = app.state.fault_markers and tool == "TaggingResult"
        if fault and "#stub-500" in prompt:
            return JSONResponse(
                {"error": {"message": "stub failure for this batch", "type": "server_error"}}, status_code=500
            )
        if model == "stub-malformed" or (fault and "#stub-garbage" in prompt):
            arguments = '{"claims": [{"member": "M1", "tag": '
        elif tool == "DraftOutput":
            arguments = json.dumps({"sentences": _draft(prompt, model)}, ensure_ascii=False)
        else:
            match = CHAT_DATA.search(prompt)
            members = json.loads(match.group(1))["members"] if match else []
            arguments = json.dumps(
                {"claims": _claims(members, model == "stub-adversarial")}, ensure_ascii=False
            )
        return {
            "id": f"chatcmpl-stub-{len(app.state.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": tool, "arguments": arguments},
                            }
                        ],
                    },
                }
            ],
            "usage": {
                "prompt_tokens": len(prompt) // 2,
                "completion_tokens": len(arguments) // 2,
                "total_tokens": len(prompt) // 2 + len(arguments) // 2,
            },
        }

    app.state.tracing = []

    @app.api_route("/{path:path}", methods=["GET", "POST", "PATCH", "PUT"])
    async def anything_else(path: str, request: Request) -> Any:
        """Stands in for a LangSmith endpoint (LANGSMITH_ENDPOINT) in tests: records what a tracer sends."""
        app.state.tracing.append(
            {"method": request.method, "path": "/" + path, "bytes": len(await request.body())}
        )
        return {}

    return app


class StubServer:
    """Runs the stub on 127.0.0.1 in a background thread: ``with StubServer() as url: ...``."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.app = create_app()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> StubServer:
        import uvicorn

        self._server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("LLM stub did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._thread:
            self._thread.join(timeout=5)
