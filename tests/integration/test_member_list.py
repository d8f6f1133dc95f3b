"""Members on the operator's desk: finding them (filters by tag, consent and name, pages, per-tag counts, segment
sizes), recording a consent with where it was given, and erasure on request; on a real SQLite database and a real
PostgreSQL, through the service, the CLI, the API and the web pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from agent.tagging import infer_community
from agent.taxonomy import taxonomy
from api.app import create_app
from api.services import label_tag, set_health_consent
from community import db
from community.errors import InvalidInput
from community.importers import import_file
from community.members import find_members, list_members, segment_members, segment_sizes, set_staff
from community.principal import CLI
from community.users import add_user
from knowledge.index import KnowledgeBase
from tests.conftest import linli

pytestmark = pytest.mark.both_databases

TAGS = frozenset(taxonomy().tags)
# 王阿姨 and 孙阿姨 care about salt for their fathers (blood_pressure, sensitive); 王阿姨, 小林 and 面包控阿琳 bake;
# 老陈_host is staff after setup.
CHAT = """2026-11-20 20:01:05 王阿姨: 我爸血压高，医生让少吃盐，酱油有没有低钠的
2026-11-20 20:02:05 王阿姨: 周末烤了吐司，高筋面粉快用完了
2026-11-20 20:03:05 孙阿姨: 我爸也是高血压，吃得清淡
2026-11-20 20:04:05 小林: 周末在家烤面包，高筋面粉哪个牌子好
2026-11-20 20:05:05 面包控阿琳: 今天烤了欧包，烘焙真解压
2026-11-20 20:06:05 老陈_host: 周末烤了吐司，大家可以试试这款面粉
2026-11-20 20:07:05 李大爷: 今天天气不错
"""


def setup(tmp_path: Path, community: str) -> dict[str, int]:
    path = tmp_path / "chat.txt"
    path.write_text(CHAT, encoding="utf-8")
    with db.session_scope() as s:
        import_file(s, CLI, path, community, secret=b"k")
        ids = {m["name"]: m["member_id"] for m in list_members(s, CLI, community)}
        set_health_consent(s, CLI, ids["王阿姨"], community, "granted")
        set_health_consent(s, CLI, ids["孙阿姨"], community, "granted")
        set_health_consent(s, CLI, ids["小林"], community, "refused")
        infer_community(s, CLI, community)
        set_staff(s, CLI, ids["老陈_host"], community, True)
    return ids


def names(found: dict[str, Any]) -> list[str]:
    return [m["name"] for m in found["members"]]


def test_filters_pages_and_counts(tmp_path: Path, community: str) -> None:
    ids = setup(tmp_path, community)
    with db.session_scope() as s:
        everyone = find_members(s, CLI, community)
        assert everyone["total"] == 6 and names(everyone) == sorted(ids, key=ids.__getitem__)
        assert everyone["tag_counts"]["baking"] == 3  # the staff account's inferred tag went with the marking
        assert everyone["tag_counts"]["blood_pressure"] == 2
        bakers = find_members(s, CLI, community, tag="baking")
        assert set(names(bakers)) == {"王阿姨", "小林", "面包控阿琳"} and bakers["total"] == 3
        assert bakers["tag_counts"] == everyone["tag_counts"]  # counts are the community's, not the filter's
        assert names(find_members(s, CLI, community, consent="granted")) == ["王阿姨", "孙阿姨"]
        assert names(find_members(s, CLI, community, consent="refused")) == ["小林"]
        assert "小林" not in names(find_members(s, CLI, community, consent="unknown"))
        assert names(find_members(s, CLI, community, tag="baking", consent="granted")) == ["王阿姨"]
        assert set(names(find_members(s, CLI, community, search="阿"))) == {"王阿姨", "孙阿姨", "面包控阿琳"}
        assert names(find_members(s, CLI, community, search="%")) == []  # a wildcard is a character here
        assert names(find_members(s, CLI, community, search="_host")) == ["老陈_host"]
        first = find_members(s, CLI, community, limit=4)
        rest = find_members(s, CLI, community, limit=4, offset=4)
        assert first["total"] == rest["total"] == 6
        assert names(first) + names(rest) == names(everyone) and len(names(rest)) == 2
        # a rejected tag no longer counts the member, nor lists them under it
        label_tag(s, CLI, ids["小林"], "baking", "rejected")
        assert find_members(s, CLI, community)["tag_counts"]["baking"] == 2
        assert "小林" not in names(find_members(s, CLI, community, tag="baking"))


def test_bad_filters_are_named(tmp_path: Path, community: str) -> None:
    setup(tmp_path, community)
    with db.session_scope() as s:
        for kwargs, field in [
            ({"tag": "diabetes"}, "tag"),
            ({"consent": "maybe"}, "consent"),
            ({"limit": 0}, "limit"),
            ({"offset": -1}, "offset"),
        ]:
            with pytest.raises(InvalidInput, match=f"^{field}:"):
                find_members(s, CLI, community, known_tags=TAGS, **kwargs)


def test_a_page_reads_in_the_same_few_queries_whatever_its_size(tmp_path: Path, community: str) -> None:
    setup(tmp_path, community)
    counts: list[int] = []
    for limit in (1, 6):
        statements: list[str] = []

        def count(*args: Any, seen: list[str] = statements) -> None:
            seen.append(str(args[2]))

        with db.session_scope() as s:
            engine = s.get_bind()
            event.listen(engine, "before_cursor_execute", count)
            try:
                found = find_members(s, CLI, community, limit=limit)
            finally:
                event.remove(engine, "before_cursor_execute", count)
        assert len(found["members"]) == limit
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_list_members_skips_the_tag_count_query(tmp_path: Path, community: str) -> None:
    setup(tmp_path, community)
    seen: dict[bool, list[str]] = {True: [], False: []}
    with db.session_scope() as s:
        engine = s.get_bind()
        found = {}
        for with_counts in (True, False):

            def count(*args: Any, into: list[str] = seen[with_counts]) -> None:
                into.append(str(args[2]))

            event.listen(engine, "before_cursor_execute", count)
            try:
                found[with_counts] = find_members(s, CLI, community, with_counts=with_counts)
            finally:
                event.remove(engine, "before_cursor_execute", count)
        assert list_members(s, CLI, community) == found[False]["members"] == found[True]["members"]
    assert found[False]["tag_counts"] == {} and found[True]["tag_counts"]["baking"] == 3
    assert len(seen[False]) == len(seen[True]) - 1
    assert not any("GROUP BY" in q for q in seen[False]) and any("GROUP BY" in q for q in seen[True])


def test_segment_sizes_agree_with_the_audience(tmp_path: Path, community: str) -> None:
    ids = setup(tmp_path, community)
    tax = taxonomy()
    with db.session_scope() as s:
        sizes = segment_sizes(s, community, tax.sensitive_ids)
        for tag in tax.tags.values():
            assert sizes.get(tag.id, 0) == len(segment_members(s, community, tag.id, sensitive=tag.sensitive))
        assert sizes["blood_pressure"] == 2 and sizes["baking"] == 3
        set_health_consent(s, CLI, ids["孙阿姨"], community, "refused")  # her sensitive tag goes
        assert segment_sizes(s, community, tax.sensitive_ids)["blood_pressure"] == 1


def test_the_cli_filters_and_names_a_bad_filter(tmp_path: Path, community: str) -> None:
    setup(tmp_path, community)

    result = linli("members", "list", "-c", community, "--tag", "baking", "--limit", "2", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["total"] == 3 and len(data["members"]) == 2 and data["tag_counts"]["baking"] == 3
    bad = linli("members", "list", "-c", community, "--consent", "maybe")
    assert bad.returncode != 0 and "consent:" in bad.stderr and bad.stdout == ""


@pytest.fixture
def client(tmp_path: Path, community: str, kb: KnowledgeBase) -> Iterator[tuple[TestClient, dict[str, str]]]:
    setup(tmp_path, community)
    with db.session_scope() as s:
        _, operator = add_user(s, CLI, "xiaozhou", "operator", [community])
        _, host = add_user(s, CLI, "laochen", "host", [community])
        _, stranger = add_user(s, CLI, "bieren", "operator", ["other"])
    with TestClient(create_app(kb)) as c:
        yield c, {"operator": operator, "host": host, "stranger": stranger}


def test_the_api_filters_pages_and_sizes_segments(
    client: tuple[TestClient, dict[str, str]], community: str
) -> None:
    c, tokens = client
    auth = {"Authorization": f"Bearer {tokens['host']}"}
    url = f"/api/communities/{community}/members"
    page = c.get(url, params={"tag": "baking", "limit": 2}, headers=auth)
    assert page.status_code == 200, page.text
    body = page.json()
    assert (body["total"], body["limit"], body["offset"], len(body["members"])) == (3, 2, 0, 2)
    assert c.get(url, params={"tag": "baking", "offset": 2}, headers=auth).json()["members"][0]["name"] in {
        "王阿姨",
        "小林",
        "面包控阿琳",
    }
    bad = c.get(url, params={"tag": "diabetes"}, headers=auth)
    assert bad.status_code == 422 and bad.json()["detail"].startswith("tag:")
    assert c.get(url, params={"limit": 0}, headers=auth).status_code == 422
    stranger = {"Authorization": f"Bearer {tokens['stranger']}"}
    assert c.get(url, headers=stranger).status_code in (403, 404)
    segs = c.get(f"/api/communities/{community}/segments", headers=auth)
    assert segs.status_code == 200
    by_tag = {x["tag"]: x for x in segs.json()["segments"]}
    assert set(by_tag) == TAGS
    assert by_tag["blood_pressure"]["members"] == 2 and by_tag["blood_pressure"]["sensitive"] is True
    assert by_tag["baking"]["members"] == 3 and by_tag["elderly"]["members"] == 0
    assert c.get(f"/api/communities/{community}/segments", headers=stranger).status_code in (403, 404)


def test_the_members_page_filters_and_the_host_page_shows_segment_sizes(
    client: tuple[TestClient, dict[str, str]], community: str
) -> None:
    c, tokens = client
    form = c.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    c.post("/login", data={"token": tokens["operator"], "csrf": csrf.group(1), "next": "/members"})
    listing = c.get("/members", params={"tag": "baking"}).text
    shown = re.findall(r'<a href="/members/\d+">([^<]+)</a>', listing)
    assert set(shown) == {"王阿姨", "小林", "面包控阿琳"} and 'data-total="3"' in listing
    assert re.search(r'data-tag="baking"[^>]*aria-current="true">烘焙爱好 <b>3</b>', listing)
    granted = c.get("/members", params={"consent": "granted", "q": "王"}).text
    assert re.findall(r'<a href="/members/\d+">([^<]+)</a>', granted) == ["王阿姨"]
    assert "没有符合条件的成员" in c.get("/members", params={"q": "不存在的人"}).text
    assert c.get("/members", params={"tag": "diabetes"}).status_code == 422
    host = c.get("/host").text
    assert re.search(r'value="blood_pressure" data-reach="2">低盐控压（2 人）', host)


def web_login(c: TestClient, token: str) -> str:
    form = c.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    c.post("/login", data={"token": token, "csrf": csrf.group(1), "next": "/members"})
    page = re.search(r'name="csrf" value="([^"]+)"', c.get("/members").text)
    assert page
    return page.group(1)


def member_id_of(c: TestClient, name: str) -> int:
    found = re.search(rf'<a href="/members/(\d+)">{name}</a>', c.get("/members", params={"q": name}).text)
    assert found, name
    return int(found.group(1))


def test_an_operator_records_consent_with_its_source_on_the_member_page(
    client: tuple[TestClient, dict[str, str]], community: str
) -> None:
    c, tokens = client
    csrf = web_login(c, tokens["host"])
    lin = member_id_of(c, "小林")
    assert "记录健康信息同意" not in c.get(f"/members/{lin}").text  # hosts read, never record
    assert (
        c.post(f"/members/{lin}/consent", data={"health": "granted", "source": "x", "csrf": csrf}).status_code
        == 403
    )
    csrf = web_login(c, tokens["operator"])
    page = c.get(f"/members/{lin}").text
    assert "记录健康信息同意" in page and "已拒绝" in page
    done = c.post(
        f"/members/{lin}/consent", data={"health": "granted", "source": "群内回复同意 11月21日", "csrf": csrf}
    )
    assert done.status_code == 200 and "已记录健康信息同意" in done.text
    assert "群内回复同意 11月21日 · xiaozhou" in done.text  # the history says where and who
    wang = member_id_of(c, "王阿姨")
    assert "低盐控压" in c.get(f"/members/{wang}").text
    refused = c.post(
        f"/members/{wang}/consent", data={"health": "refused", "source": "私聊说不要", "csrf": csrf}
    )
    assert "低盐控压" not in refused.text and "烘焙爱好" in refused.text  # her sensitive tag goes at once
    c.post(f"/members/{wang}/consent", data={"health": "granted", "source": "又同意了", "csrf": csrf})
    with db.session_scope() as s:
        infer_community(s, CLI, community)
    assert "低盐控压" in c.get(f"/members/{wang}").text  # inferred again once consent is back
    bad = c.post(f"/members/{lin}/consent", data={"health": "maybe", "source": "x", "csrf": csrf})
    assert bad.status_code == 422
    long = c.post(f"/members/{lin}/consent", data={"health": "granted", "source": "长" * 65, "csrf": csrf})
    assert long.status_code == 422
    api = c.post(
        f"/api/members/{lin}/consent",
        json={"health": "refused", "source": "电话回访"},
        headers={"Authorization": f"Bearer {tokens['operator']}"},
    )
    assert api.status_code == 200
    history = c.get(f"/api/members/{lin}", headers={"Authorization": f"Bearer {tokens['operator']}"}).json()
    assert [(e["status"], e["source"]) for e in history["consent"]][-2:] == [
        ("granted", "群内回复同意 11月21日"),
        ("refused", "电话回访"),
    ]
    assert 'data-action="consent.set"' in c.get("/audit").text


def test_an_operator_erases_a_member_on_request_after_typing_their_name(
    client: tuple[TestClient, dict[str, str]], community: str
) -> None:
    c, tokens = client
    csrf = web_login(c, tokens["host"])
    wang = member_id_of(c, "王阿姨")
    assert "删除该成员的个人信息" not in c.get(f"/members/{wang}").text
    assert c.post(f"/members/{wang}/forget", data={"confirm_name": "王阿姨", "csrf": csrf}).status_code == 403
    csrf = web_login(c, tokens["operator"])
    wrong = c.post(f"/members/{wang}/forget", data={"confirm_name": "王阿", "csrf": csrf})
    assert wrong.status_code == 422 and "请输入该成员的昵称" in wrong.text
    assert "低盐控压" in c.get(f"/members/{wang}").text  # nothing happened
    gone = c.post(f"/members/{wang}/forget", data={"confirm_name": "王阿姨", "csrf": csrf})
    assert gone.status_code == 200 and "已删除该成员的消息" in gone.text
    assert "我爸血压高" not in gone.text and "低盐控压" not in gone.text and f"已删除成员#{wang}" in gone.text
    assert "删除该成员的个人信息" not in gone.text and "记录健康信息同意" not in gone.text
    again = c.post(f"/members/{wang}/forget", data={"confirm_name": f"已删除成员#{wang}", "csrf": csrf})
    assert again.status_code == 422
    assert 'data-action="member.forget"' in c.get("/audit").text
    # the API does the same for a member of the community, and refuses a host
    sun = member_id_of(c, "孙阿姨")
    host = {"Authorization": f"Bearer {tokens['host']}"}
    operator = {"Authorization": f"Bearer {tokens['operator']}"}
    assert c.post(f"/api/members/{sun}/forget", headers=host).status_code == 403
    erased = c.post(f"/api/members/{sun}/forget", headers=operator)
    assert erased.status_code == 200 and erased.json()["messages_deleted"] == 1
    assert c.post(f"/api/members/{sun}/forget", headers=operator).status_code == 422
    stranger = {"Authorization": f"Bearer {tokens['stranger']}"}
    assert c.post(f"/api/members/{member_id_of(c, '小林')}/forget", headers=stranger).status_code == 404
