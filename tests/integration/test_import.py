"""Chat import against a real SQLite database: idempotent, all-or-nothing, pseudonymised, recalls applied."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from community import db
from community.importers import ImportFailed, import_file
from community.members import member_messages
from community.models import Message
from community.principal import CLI

pytestmark = pytest.mark.both_databases

SECRET = b"test-secret"

PASTE = """2026-11-20 20:01:05 王阿姨: 我爸血压高，酱油想换个淡一点的
2026-11-20 20:01:40 晴天🌞: [图片]
2026-11-20 20:02:10 王阿姨: 电话13812345678 送到3栋2单元501
2026-11-20 20:03:00 王阿姨: [撤回了一条消息]
2026-11-20 20:05:00 团长小周: #接龙 橄榄油
1. 王阿姨 2瓶
2. 晴天🌞 1瓶
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def count_messages() -> int:
    with db.session_scope() as s:
        return s.scalar(select(func.count()).select_from(Message)) or 0


def run_import(path: Path, community: str, **kwargs):  # type: ignore[no-untyped-def]
    with db.session_scope() as s:
        return import_file(s, CLI, path, community, secret=SECRET, **kwargs)


def test_text_paste_is_parsed_pseudonymised_and_idempotent(tmp_path: Path, community: str) -> None:
    path = write(tmp_path, "group.txt", PASTE)
    first = run_import(path, community)
    assert first == {
        "format": "text",
        "read": 5,
        "imported": 5,
        "duplicates": 0,
        "expired": 0,
        "skipped": 0,
        "members": 3,
        "errors": [],
    }
    second = run_import(path, community)
    assert (second["imported"], second["duplicates"]) == (0, 5)
    with db.session_scope() as s:
        messages = member_messages(s, CLI, community)
    kinds = [m["kind"] for m in messages]
    assert kinds == ["text", "image", "text", "recall", "chain"]
    recalled = messages[2]
    assert (
        recalled["recalled"] and recalled["text"] == ""
    )  # the recalled message is gone from what agents see
    chain = messages[4]["text"]
    assert chain.startswith("#接龙") and "1. 王阿姨 2瓶" in chain  # continuation lines belong to the post
    with db.session_scope() as s:
        stored = " ".join(s.scalars(select(Message.text)))
    assert "13812345678" not in stored and "3栋2单元501" not in stored


def test_malformed_file_stores_nothing_and_names_the_line(tmp_path: Path, community: str) -> None:
    path = write(tmp_path, "bad.txt", PASTE + "2026-13-45 10:00:00 王阿姨: 日期不对\n")
    with pytest.raises(ImportFailed) as info:
        run_import(path, community)
    assert f"{path}:8: invalid date or time" in info.value.errors[0]
    assert count_messages() == 0
    report = run_import(path, community, skip_bad=True)
    assert report["imported"] == 5 and report["skipped"] == 1


def test_wecom_json_lines_with_recall_and_placeholders(tmp_path: Path, community: str) -> None:
    rows = [
        {
            "msgid": "m1",
            "action": "send",
            "from": "wmA",
            "tolist": ["wr1"],
            "roomid": "wr1",
            "msgtime": 1763640065000,
            "msgtype": "text",
            "text": {"content": "今天烤了个吐司 微信号 lily_bake88"},
        },
        {
            "msgid": "m2",
            "action": "send",
            "from": "wmB",
            "tolist": ["wr1"],
            "roomid": "wr1",
            "msgtime": 1763640070000,
            "msgtype": "image",
            "image": {"md5sum": "x", "filesize": 1},
        },
        {
            "msgid": "m3",
            "action": "send",
            "from": "wmA",
            "tolist": ["wr1"],
            "roomid": "wr1",
            "msgtime": 1763640080000,
            "msgtype": "text",
            "text": {"content": "发错了"},
        },
        {
            "msgid": "m4",
            "action": "recall",
            "from": "wmA",
            "tolist": ["wr1"],
            "roomid": "wr1",
            "msgtime": 1763640090000,
            "msgtype": "revoke",
            "revoke": {"pre_msgid": "m3"},
        },
    ]
    path = write(tmp_path, "room.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    report = run_import(path, community, roster={"wmA": "烘焙达人Lily"})
    assert (report["format"], report["imported"], report["members"]) == ("wecom", 4, 2)
    with db.session_scope() as s:
        messages = member_messages(s, CLI, community)
    assert messages[0]["text"].startswith("今天烤了个吐司") and "lily_bake88" not in messages[0]["text"]
    assert messages[1]["kind"] == "image" and messages[1]["text"] == "[图片]"
    assert messages[2]["recalled"] and messages[2]["text"] == ""
    assert run_import(path, community)["duplicates"] == 4


def test_wecom_bad_line_reports_file_line_and_field(tmp_path: Path, community: str) -> None:
    good = {
        "msgid": "m1",
        "action": "send",
        "from": "wmA",
        "roomid": "wr1",
        "msgtime": 1763640065000,
        "msgtype": "text",
        "text": {"content": "好"},
    }
    path = write(
        tmp_path, "room.jsonl", json.dumps(good) + "\n{not json\n" + json.dumps({"msgid": "m9"}) + "\n"
    )
    with pytest.raises(ImportFailed) as info:
        run_import(path, community)
    assert info.value.errors[0].startswith(f"{path}:2: invalid JSON")
    assert info.value.errors[1].startswith(f"{path}:3: missing field")
    assert count_messages() == 0


def test_another_communitys_principal_cannot_import(tmp_path: Path, community: str) -> None:
    from community.errors import NotFound
    from community.principal import Principal

    outsider = Principal(user_id=None, name="x", role="operator", communities=frozenset({"other"}))
    with pytest.raises(NotFound), db.session_scope() as s:
        import_file(s, outsider, write(tmp_path, "g.txt", PASTE), community, secret=SECRET)
