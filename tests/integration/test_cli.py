"""The `linli` command line as a user runs it: subprocesses, exit codes, --json shapes, stderr reasons."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO_DOCS

LINLI = [sys.executable, "-m", "api.cli"]


@pytest.fixture
def run(tmp_path: Path, embedding_cache: Path):  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "LINLI_HOME": str(tmp_path / "home"),
        "LINLI_EMBEDDING_CACHE": str(embedding_cache),
        "LINLI_TODAY": "2026-11-24",
    }
    base_env = {k: v for k, v in env.items() if not k.startswith("LINLI_LLM_") and k != "LINLI_DATABASE_URL"}

    def linli(
        *args: str, stdin: str | None = None, ok: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*LINLI, *args],
            env={**base_env, **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=Path(__file__).resolve().parents[2],
        )
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    return linli


def as_json(result: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(result.stdout)


def test_commands_before_init_say_what_to_do(run) -> None:  # type: ignore[no-untyped-def]
    result = run("members", "list", "--community", "x", ok=False)
    assert result.returncode != 0 and "run `linli init`" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_duplicates_and_merge_on_the_command_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    run("communities", "add", "linjia", "--name", "邻家优选")
    chat = tmp_path / "chat.txt"
    chat.write_text("2026-11-20 20:01:05 王阿姨: 周末烤了吐司\n", encoding="utf-8")
    archive = tmp_path / "room.jsonl"
    archive.write_text(
        '{"msgid": "w1", "action": "send", "from": "wmWang", "tolist": ["wr1"], "roomid": "wr1", '
        '"msgtime": 1763700000000, "msgtype": "text", "text": {"content": "戚风又塌了"}}\n',
        encoding="utf-8",
    )
    roster = tmp_path / "roster.json"
    roster.write_text('{"wmWang": "王阿姨"}', encoding="utf-8")
    run("chats", "import", str(chat), "--community", "linjia")
    run("chats", "import", str(archive), "--community", "linjia", "--roster", str(roster))
    groups = as_json(run("members", "duplicates", "--community", "linjia", "--json"))["groups"]
    assert len(groups) == 1 and len(groups[0]) == 2
    keep, other = groups[0]
    merged = as_json(run("members", "merge", str(keep), str(other), "--community", "linjia", "--json"))
    assert merged["merged"] == other and merged["messages_moved"] == 1
    assert as_json(run("members", "duplicates", "--community", "linjia", "--json"))["groups"] == []
    again = run("members", "merge", str(keep), str(other), "--community", "linjia", ok=False)
    assert again.returncode == 1 and f"merged into member {keep}" in again.stderr
    assert "no members share a name" in run("members", "duplicates", "--community", "linjia").stdout


def test_the_loop_on_the_command_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert (
        as_json(run("init", "--json"))["revision"] == as_json(run("init", "--json"))["revision"]
    )  # idempotent
    run("communities", "add", "linjia", "--name", "邻家优选")
    chat = tmp_path / "chat.txt"
    chat.write_text(
        "2026-11-20 20:01:05 王阿姨: 周末烤了吐司 13812345678\n2026-11-20 20:02:00 小李: 好香\n",
        encoding="utf-8",
    )
    first = as_json(run("chats", "import", str(chat), "--community", "linjia", "--json"))
    assert first == {
        "format": "text",
        "read": 2,
        "imported": 2,
        "duplicates": 0,
        "expired": 0,
        "skipped": 0,
        "members": 2,
        "errors": [],
    }
    assert as_json(run("chats", "import", str(chat), "--community", "linjia", "--json"))["duplicates"] == 2

    messages = as_json(run("messages", "list", "--community", "linjia", "--json"))["messages"]
    assert set(messages[0]) >= {"message_id", "member_id", "sent_at", "kind", "text"}
    assert "13812345678" not in messages[0]["text"] and "[手机#" in messages[0]["text"]

    tagged = as_json(run("tags", "infer", "--community", "linjia", "--json"))
    baking = next(m for m in tagged["members"] if m["tags"])
    assert baking["tags"][0]["tag"] == "baking" and baking["tags"][0]["evidence"] == [
        messages[0]["message_id"]
    ]
    members = as_json(run("members", "list", "--community", "linjia", "--json"))["members"]
    assert set(members[0]) >= {"member_id", "source_id", "name", "health_consent", "tags"}
    staff = as_json(run("members", "staff", str(baking["member_id"]), "--community", "linjia", "--json"))
    assert staff == {"member_id": baking["member_id"], "staff": True, "inferred_tags_dropped": 1}
    again = as_json(run("tags", "infer", "--community", "linjia", "--json"))
    assert not [m for m in again["members"] if m.get("member_id") == baking["member_id"] and m["tags"]]
    unmarked = run("members", "staff", str(baking["member_id"]), "--community", "linjia", "--off")
    assert "member" in unmarked.stdout and "staff" not in unmarked.stdout.split(":")[-1]

    ingested = as_json(
        run(
            "docs",
            "ingest",
            str(DEMO_DOCS / "oil-evoo-500-report-ev2611a.md"),
            str(DEMO_DOCS / "oil-evoo-500-product.md"),
            "--json",
        )
    )
    assert ingested["added"] == 2
    again = as_json(run("docs", "ingest", str(DEMO_DOCS / "oil-evoo-500-report-ev2611a.md"), "--json"))
    assert again["unchanged"] == 1

    hits = as_json(run("search", "橄榄油酸度", "--sku", "OIL-EVOO-500", "--k", "3", "--json"))["hits"]
    assert len(hits) == 3 and {"chunk_id", "doc_id", "sku", "doc_type", "text", "score"} <= set(hits[0])

    draft = as_json(
        run(
            "drafts",
            "create",
            "--kind",
            "chain",
            "--sku",
            "OIL-EVOO-500",
            "--community",
            "linjia",
            "--price",
            "¥89",
            "--json",
        )
    )
    assert {"id", "revision", "kind", "status", "text", "sentences", "findings"} <= set(draft)
    assert draft["kind"] == "chain" and draft["text"].startswith("#接龙")
    assert any(f["rule"] == "completeness.missing_field" for f in draft["findings"])  # no deadline given

    approved = as_json(run("drafts", "approve", str(draft["id"]), "--revision", "1", "--json"))
    assert approved["status"] == "approved"

    edited_text = draft["text"].replace("#接龙", "#接龙 今晚", 1)
    edited = as_json(run("drafts", "edit", str(draft["id"]), "--file", "-", "--json", stdin=edited_text))
    assert (edited["revision"], edited["status"]) == (2, "in_review")
    first = as_json(run("drafts", "show", str(draft["id"]), "--revision", "1", "--json"))
    current = as_json(run("drafts", "show", str(draft["id"]), "--json"))
    assert (first["revision"], first["text"]) == (1, draft["text"])
    assert (current["revision"], current["text"]) == (2, edited["text"])
    missing = run("drafts", "show", str(draft["id"]), "--revision", "9", ok=False)
    assert missing.returncode != 0 and "no revision 9" in missing.stderr


def test_check_reads_stdin_and_reports_findings(run) -> None:  # type: ignore[no-untyped-def]
    result = as_json(run("check", "-", "--json", stdin="天天吃能降血压，最近卖得很好"))
    assert [f["text"] for f in result["findings"]] == ["降血压"]


def test_check_against_a_products_documents_keeps_stderr_for_errors(run) -> None:  # type: ignore[no-untyped-def]
    docs = Path(__file__).resolve().parents[2] / "api" / "demo" / "docs"
    run("init")
    run("docs", "ingest", *[str(p) for p in sorted(docs.glob("oil-evoo-500-*.md"))])
    result = run("check", "-", "--sku", "OIL-EVOO-500", "--json", stdin="这瓶油保质期36个月。")
    assert [(f["rule"], f["text"]) for f in as_json(result)["findings"]] == [
        ("grounding.wrong_value", "36个月")
    ]
    assert result.stderr == ""  # jieba's start-up chatter ("Building prefix dict ...") stays off the terminal


def test_bad_document_is_refused_with_path_and_nothing_changes(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    bad = tmp_path / "bad-doc.md"
    bad.write_text("---\nsku: A\ntitle: x\ndoc_type: brochure\n---\n正文\n", encoding="utf-8")
    result = run("docs", "ingest", str(DEMO_DOCS / "oil-evoo-500-product.md"), str(bad), ok=False)
    assert result.returncode == 1 and f"{bad}: field 'doc_type'" in result.stderr
    assert as_json(run("docs", "list", "--json"))["documents"] == []


def test_bad_chat_file_exits_non_zero_with_file_and_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    run("communities", "add", "linjia", "--name", "邻家优选")
    bad = tmp_path / "bad.txt"
    bad.write_text("2026-11-20 20:01:05 王阿姨: 好\n2026-11-31 20:01:05 王阿姨: 坏日期\n", encoding="utf-8")
    result = run("chats", "import", str(bad), "--community", "linjia", ok=False)
    assert result.returncode == 1 and f"{bad}:2: invalid date" in result.stderr
    assert as_json(run("messages", "list", "--community", "linjia", "--json"))["messages"] == []


def test_the_demo_never_writes_into_a_real_store(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`linli demo` starts from nothing: it refuses a configured database or Chroma server, and a LINLI_HOME
    holding real data, and changes nothing there."""
    pg = run(
        "demo", "--no-serve", ok=False, env={"LINLI_DATABASE_URL": "postgresql+psycopg://u@db.example/linli"}
    )
    assert (
        pg.returncode == 1
        and "unset LINLI_DATABASE_URL (postgresql+psycopg://u@db.example/linli)" in pg.stderr
    )
    assert not (tmp_path / "home").exists()
    run("init")  # a real (non-demo) LINLI_HOME
    before = sorted(p.name for p in (tmp_path / "home").iterdir())
    real = run("demo", "--no-serve", ok=False)
    assert real.returncode == 1 and "already holds data that is not a demo" in real.stderr
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == before
