"""Every export format, on realistic files written for the suite (tests/fixtures/chats/README.md has the counts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from community import db
from community.importers import ImportFailed, import_file
from community.members import list_members, member_messages
from community.models import ChainEntry, ConsentEvent, Message
from community.principal import CLI

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "chats"
ROSTERS = {"wecom": "wecom-roster.json", "pywxdump": "pywxdump-roster.json"}

# file, format, records read, distinct, members (people, not the system account), consent events
GOOD = [
    ("wecom.jsonl", "wecom", 31, 30, 7, 2),
    ("wecom-array.json", "wecom", 31, 30, 7, 2),
    ("chatlog.json", "chatlog", 30, 29, 6, 0),
    ("wechatmsg.csv", "wechatmsg", 29, 28, 6, 0),
    ("pywxdump.csv", "pywxdump", 30, 29, 6, 0),
    ("paste.txt", "text", 27, 26, 6, 0),
    ("paste-variant.txt", "text", 27, 26, 6, 0),
]
BAD = [
    ("wecom-bad.jsonl", 25, "invalid JSON"),
    ("chatlog-bad.json", 24, "missing field 'time'"),
    ("wechatmsg-bad.csv", 29, "field 'CreateTime'"),
    ("pywxdump-bad.csv", 29, "field 'CreateTime'"),
    ("paste-bad.txt", 26, "invalid date or time"),
]
RECALLED = "老头子 晚上回来顺路带瓶醋 家里的用完了"


def run(name: str, community: str, fmt: str = "auto", **kw):  # type: ignore[no-untyped-def]
    roster_file = next((FIXTURES / f for key, f in ROSTERS.items() if name.startswith(key)), None)
    roster = json.loads(roster_file.read_text(encoding="utf-8")) if roster_file else None
    with db.session_scope() as s:
        return import_file(s, CLI, FIXTURES / name, community, fmt=fmt, roster=roster, secret=b"k", **kw)


@pytest.mark.parametrize(("name", "fmt", "read", "distinct", "people", "consents"), GOOD)
def test_good_export(
    name: str, fmt: str, read: int, distinct: int, people: int, consents: int, community: str
) -> None:
    result = run(name, community)
    assert (result["format"], result["read"], result["imported"], result["duplicates"]) == (
        fmt,
        read,
        distinct,
        1,
    )
    assert result["members"] == people and result["errors"] == []

    with db.session_scope() as s:
        messages = member_messages(s, CLI, community)
        members = list_members(s, CLI, community)
        stored = list(s.scalars(select(Message.text)))
        originals = list(s.scalars(select(Message.original_text)))
        entries = list(s.scalars(select(ChainEntry).order_by(ChainEntry.position)))
        consent_rows = s.scalar(select(func.count()).select_from(ConsentEvent)) or 0
    assert len(members) == people and "系统消息" not in {m["name"] for m in members}
    # the recalled message is gone from what agents see (and from the original text too)
    assert not any(RECALLED in t for t in stored + [o or "" for o in originals])
    assert (
        sum(1 for m in messages if m["kind"] == "recall") == 1 and sum(m["recalled"] for m in messages) == 1
    )
    # PII next to Chinese text and in full-width digits never reaches the pseudonymised text
    joined = "\n".join(stored)
    for secret in ("13812345678", "3栋2单元501", "１３９１２３４５６７８", "13912345678", "87654321"):
        assert secret not in joined
    assert "[手机#" in joined and "[电话#" in joined
    assert any("13812345678" in (o or "") for o in originals)  # operators keep the original
    # non-text messages are typed placeholders
    assert any(m["kind"] == "image" and m["text"] == "[图片]" for m in messages)
    # the 接龙 post is parsed into entries: who, how many, note
    assert [(e.who, e.quantity) for e in entries] == [
        ("王阿姨", 2),
        ("孙阿姨", 1),
        ("李大爷", 1),
        ("晴天🌞", 1),
        ("何阿姨", 3),
    ]
    assert entries[2].note == "周六和鸡蛋一起取" and entries[0].title == "橄榄油"
    assert consent_rows == consents

    again = run(name, community)
    assert (again["imported"], again["duplicates"]) == (0, read)


@pytest.mark.parametrize(("name", "line", "what"), BAD)
def test_bad_export_stores_nothing(name: str, line: int, what: str, community: str) -> None:
    with pytest.raises(ImportFailed) as info:
        run(name, community)
    assert len(info.value.errors) == 1
    assert info.value.errors[0].startswith(f"{FIXTURES / name}:{line}: ") and what in info.value.errors[0]
    with db.session_scope() as s:
        assert (s.scalar(select(func.count()).select_from(Message)) or 0) == 0
    skipped = run(name, community, skip_bad=True)
    assert skipped["skipped"] == 1 and skipped["imported"] >= 25


def test_latest_chain_post_wins(tmp_path: Path, community: str) -> None:
    path = tmp_path / "chain.txt"
    path.write_text(
        "2026-11-20 20:00:00 团长小周: #接龙 土鸡蛋\n1. 王阿姨 2盒\n"
        "2026-11-20 20:05:00 李大爷: #接龙 土鸡蛋\n1. 王阿姨 2盒\n2. 李大爷 1盒 周六取\n",
        encoding="utf-8",
    )
    assert run(str(path), community)["imported"] == 2
    with db.session_scope() as s:
        entries = [
            (e.who, e.quantity, e.note) for e in s.scalars(select(ChainEntry).order_by(ChainEntry.position))
        ]
    assert entries == [("王阿姨", 2, ""), ("李大爷", 1, "周六取")]


def test_overlapping_exports_add_only_new_messages(tmp_path: Path, community: str) -> None:
    first = tmp_path / "a.txt"
    second = tmp_path / "b.txt"
    first.write_text("2026-11-20 20:00:00 王阿姨: 早\n2026-11-20 20:01:00 李大爷: 早上好\n", encoding="utf-8")
    second.write_text(
        "2026-11-20 20:01:00 李大爷: 早上好\n2026-11-20 20:02:00 王阿姨: 吃了吗\n", encoding="utf-8"
    )
    run(str(first), community, group="g")
    result = run(str(second), community, group="g")
    assert (result["imported"], result["duplicates"]) == (1, 1)


def test_unknown_format_is_refused(tmp_path: Path, community: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("随便写的笔记\n", encoding="utf-8")
    with pytest.raises(Exception, match="cannot tell the format"):
        run(str(path), community)
