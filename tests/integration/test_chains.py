"""接龙 after the live: the chains page, its pick list (CSV) and `linli chains export`, on a real database and the
real app."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from community import db
from community.chains import chain_csv, list_chains
from community.errors import NotFound
from community.importers import import_file
from community.principal import CLI
from community.users import add_user
from knowledge.index import KnowledgeBase
from tests.conftest import linli

pytestmark = pytest.mark.both_databases

# the chain is continued twice; the last post wins. 小李 appears once; two members are called 阿芳.
CHAT = """2026-11-21 09:00:00 团长小周: #接龙 散养土鸡蛋 30枚/盒
1. 王阿姨 2盒
2026-11-21 09:05:00 小李: #接龙 散养土鸡蛋 30枚/盒
1. 王阿姨 2盒
2. 小李 1盒 周六取 13812345678
2026-11-21 09:06:00 阿芳: 我也要
2026-11-21 09:08:00 阿芳: #接龙 散养土鸡蛋 30枚/盒
1. 王阿姨 2盒
2. 小李 1盒 周六取 13812345678
3. 阿芳 1.5盒
4. 老张
"""
ROSTERED = """{"msgid": "m1", "action": "send", "from": "wm_afang", "roomid": "wr1", "msgtime": 1763690000000,
"msgtype": "text", "text": {"content": "周末见"}}
"""


def setup(tmp_path: Path, community: str) -> str:
    chat = tmp_path / "chat.txt"
    chat.write_text(CHAT, encoding="utf-8")
    with db.session_scope() as s:
        import_file(s, CLI, chat, community, secret=b"k")
        (chain,) = list_chains(s, CLI, community)
    return str(chain["chain"])


def test_the_pick_list_has_every_entry_and_the_totals(tmp_path: Path, community: str) -> None:
    key = setup(tmp_path, community)
    with db.session_scope() as s:
        found, text = chain_csv(s, CLI, community, key)
        with pytest.raises(NotFound, match="chain 'nope' not found"):
            chain_csv(s, CLI, community, "nope")
    assert text.startswith("\ufeff")  # Excel reads the Chinese as UTF-8
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "#接龙 散养土鸡蛋 30枚/盒"
    assert rows[1] == ["序号", "昵称", "数量", "单位", "备注"]
    body = rows[2:]
    assert [r[:4] for r in body[:4]] == [
        ["1", "王阿姨", "2", "盒"],
        ["2", "小李", "1", "盒"],
        ["3", "阿芳", "1.5", "盒"],
        ["4", "老张", "", ""],
    ]
    assert "13812345678" not in text and "[手机#" in body[1][4]  # notes stay pseudonymised
    assert body[4][:4] == ["合计", "", "4.5", "盒"] and found["totals"] == {"盒": 4.5}


@pytest.fixture
def client(
    tmp_path: Path, community: str, kb: KnowledgeBase
) -> Iterator[tuple[TestClient, dict[str, str], str]]:
    key = setup(tmp_path, community)
    with db.session_scope() as s:
        _, host = add_user(s, CLI, "laochen", "host", [community])
        _, stranger = add_user(s, CLI, "bieren", "operator", ["other"])
    with TestClient(create_app(kb)) as c:
        yield c, {"host": host, "stranger": stranger}, key


def login(c: TestClient, token: str) -> None:
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text)
    assert csrf
    c.post("/login", data={"token": token, "csrf": csrf.group(1), "next": "/chains"})


def test_the_chains_page_and_its_download(
    client: tuple[TestClient, dict[str, str], str], community: str, tmp_path: Path
) -> None:
    c, tokens, key = client
    login(c, tokens["host"])
    page = c.get("/chains")
    assert page.status_code == 200
    html = page.text
    assert "#接龙 散养土鸡蛋 30枚/盒" in html and "4 人接龙" in html and 'data-total="盒">4.5盒' in html
    assert re.search(r'<a href="/members/\d+">小李</a>', html)  # one member has that name: linked
    assert "13812345678" not in html
    download = c.get(f"/chains/{key}.csv")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    assert download.content.decode("utf-8").lstrip("\ufeff").splitlines()[2].startswith("1,王阿姨,2,盒")
    assert c.get("/chains/nope.csv").status_code == 404
    # a second 阿芳 (a WeCom id) makes the name ambiguous: the entry links to nobody
    archive = tmp_path / "afang.jsonl"
    archive.write_text(ROSTERED.replace("\n", " ").strip() + "\n", encoding="utf-8")
    with db.session_scope() as s:
        import_file(s, CLI, archive, community, secret=b"k", roster={"wm_afang": "阿芳"})
    assert not re.search(r'<a href="/members/\d+">阿芳</a>', c.get("/chains").text)
    login(c, tokens["stranger"])
    assert c.get(f"/chains/{key}.csv", params={"community": community}).status_code in (403, 404)
    assert key not in c.get("/chains").text


def test_linli_chains_export_writes_the_whole_file_or_nothing(tmp_path: Path, community: str) -> None:
    key = setup(tmp_path, community)

    out = tmp_path / "picklist.csv"
    done = linli("chains", "export", key, "-c", community, "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    assert '"entries": 4' in done.stdout and out.read_text(encoding="utf-8").count("\n") == 7
    missing = tmp_path / "none.csv"
    bad = linli("chains", "export", "nope", "-c", community, "--out", str(missing))
    assert bad.returncode != 0 and "chain 'nope' not found" in bad.stderr
    assert not missing.exists() and not list(tmp_path.glob("*.part"))
