"""`linli demo` end to end: a fresh community, the whole loop, a summary, tokens, and a served API over HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from evals.serve import ServeError, free_port, stop, wait_healthy


@pytest.fixture
def served_demo(tmp_path: Path, embedding_cache: Path):  # type: ignore[no-untyped-def]
    port = free_port()
    env = {
        **os.environ,
        "LINLI_HOME": str(tmp_path / "demo"),
        "LINLI_EMBEDDING_CACHE": str(embedding_cache),
        "COLUMNS": "200",
        "LINLI_TODAY": "2026-11-24",
    }
    env = {k: v for k, v in env.items() if not k.startswith("LINLI_LLM_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    lines: list[str] = []
    deadline = time.monotonic() + 240
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Serving on" in line:
            break
    output = "".join(lines)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_healthy(base, lambda: proc.poll() is None, 20, lambda: output)
        except ServeError as exc:
            pytest.fail(f"demo did not serve: {exc}")
        yield base, output
    finally:
        stop(proc)


def count(output: str, label: str) -> int:
    match = re.search(rf"{re.escape(label)}\s*│\s*(\d+)", output)
    assert match, f"{label!r} not in summary:\n{output}"
    return int(match.group(1))


def test_demo_builds_the_loop_and_serves_it(served_demo) -> None:  # type: ignore[no-untyped-def]
    base, output = served_demo
    assert count(output, "messages imported") >= 1500
    assert count(output, "members") >= 40
    assert count(output, "members tagged (with evidence)") >= 10
    tokens = dict(re.findall(r"^\s+(host|operator)\s+demo-\w+\s+(lnl_\S+)", output, flags=re.M))
    assert set(tokens) == {"host", "operator"}, output
    op = {"Authorization": f"Bearer {tokens['operator']}"}
    host = {"Authorization": f"Bearer {tokens['host']}"}

    drafts = httpx.get(f"{base}/api/drafts", headers=op).json()["drafts"]
    assert {d["kind"] for d in drafts} == {"script", "chain", "push"} and len(drafts) >= 5

    script = httpx.get(f"{base}/api/drafts/{drafts[-1]['id']}", headers=host).json()
    assert script["kind"] == "script" and script["sku"] == "OIL-EVOO-500"
    acidity = next(s for s in script["sentences"] if "0.2%" in s["text"])
    assert acidity["citations"] and acidity["citations"][0].startswith("oil-evoo-500-report-ev2611a#")
    assert not [f for f in script["findings"] if f["severity"] == "block"]

    typed = next(d for d in drafts if d["composer"] == "human")
    typed_doc = httpx.get(f"{base}/api/drafts/{typed['id']}", headers=op).json()
    flagged = {f["text"] for f in typed_doc["findings"] if f["severity"] == "block"}
    assert "降血压" in flagged
    assert not any(
        f["text"] in ("最", "第一") for f in typed_doc["findings"]
    )  # 最近 / 第一批 / 最后一单 are lawful

    assert (
        httpx.post(
            f"{base}/api/drafts/{script['id']}/approve", json={"revision": 1}, headers=host
        ).status_code
        == 403
    )
    approved = httpx.post(f"{base}/api/drafts/{script['id']}/approve", json={"revision": 1}, headers=op)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    event = httpx.get(f"{base}/api/audit", headers=op).json()["events"][0]
    assert (event["action"], event["actor"], event["actor_role"]) == (
        "draft.approve",
        "demo-operator",
        "operator",
    )
