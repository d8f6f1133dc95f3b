"""The web pages through FastAPI's TestClient: login and session cookie, CSRF, roles, community scope, the review
actions as forms, and what each page shows. The real-browser walk-through is in tests/browser."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from agent.drafting import create_draft, submit_text
from agent.tagging import infer_community
from api.app import create_app
from community import db, documents
from community.importers import import_file
from community.principal import CLI
from community.users import add_user, revoke_tokens
from knowledge.index import KnowledgeBase
from settings import reset_settings

HAND_TYPED = "这款酱油每15ml含钠683mg。\n天天吃能降血压，家里老人一定要换。\n"
CHAT = """2026-11-20 20:01:05 王阿姨: 周末烤了吐司，需要的邻居打我电话13812345678
2026-11-20 20:02:05 王阿姨: 今天又烤了一炉面包，高筋面粉用完了
"""


@pytest.fixture
def world(tmp_path: Path, community: str, kb: KnowledgeBase) -> dict[str, Any]:
    """Two drafts (a composed oil script, a host-typed soy script with 降血压), three users, one chat member."""
    chat = tmp_path / "chat.txt"
    chat.write_text(CHAT, encoding="utf-8")
    with db.session_scope() as s:
        import_file(s, CLI, chat, community, secret=b"k")
        infer_community(s, CLI, community)
        script = create_draft(s, CLI, kb, community_id=community, kind="script", sku="OIL-EVOO-500")
        typed = submit_text(
            s, CLI, kb, community_id=community, kind="script", sku="SOY-LOWNA-500", text=HAND_TYPED
        )
        _, operator = add_user(s, CLI, "xiaozhou", "operator", [community])
        _, host = add_user(s, CLI, "laochen", "host", [community])
        _, stranger = add_user(s, CLI, "bieren", "operator", ["other"])
    return {
        "script": script,
        "typed": typed,
        "tokens": {"operator": operator, "host": host, "stranger": stranger},
    }


@pytest.fixture
def app(world: dict[str, Any], kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(kb)) as client:
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def login(client: TestClient, token: str) -> str:
    """Log in through the form; returns the session's CSRF token (from the page the login lands on)."""
    form = client.get("/login")
    response = client.post(
        "/login", data={"token": token, "csrf": csrf_of(form.text), "next": "/audit"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/audit"
    return csrf_of(client.get("/audit").text)


def status_of(client: TestClient, token: str, draft_id: int) -> str:
    response = client.get(f"/api/drafts/{draft_id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return str(response.json()["status"])


def test_root_links_to_login_and_pages_need_a_session(app: TestClient) -> None:
    assert 'href="/login"' in app.get("/").text
    response = app.get("/inbox?status=in_review", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/inbox%3Fstatus%3Din_review"
    page = app.get("/login")
    assert '<meta name="viewport"' in page.text and "访问令牌" in page.text


def test_the_root_page_sends_a_logged_in_browser_to_the_inbox(world: dict[str, Any], app: TestClient) -> None:
    assert app.get("/", follow_redirects=False).status_code == 200  # logged out: the index page
    csrf = login(app, world["tokens"]["operator"])
    response = app.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/inbox"
    app.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    page = app.get("/", follow_redirects=False)
    assert page.status_code == 200 and 'href="/login"' in page.text


def test_login_sets_an_httponly_lax_cookie_secure_only_over_https(
    world: dict[str, Any], app: TestClient
) -> None:
    token = world["tokens"]["operator"]
    form = app.get("/login")
    response = app.post("/login", data={"token": token, "csrf": csrf_of(form.text)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/inbox"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert token not in cookie  # the session holds the token's hash, never the token
    with TestClient(app.app, base_url="https://linli.example") as secure:
        form = secure.get("/login")
        response = secure.post(
            "/login", data={"token": token, "csrf": csrf_of(form.text)}, follow_redirects=False
        )
        assert response.status_code == 303
        assert "Secure" in response.headers["set-cookie"]


def test_a_bad_token_is_refused_and_a_login_without_csrf_too(world: dict[str, Any], app: TestClient) -> None:
    form = app.get("/login")
    bad = app.post("/login", data={"token": "lnl_nope", "csrf": csrf_of(form.text)})
    assert bad.status_code == 401 and "令牌无效" in bad.text
    no_csrf = app.post("/login", data={"token": world["tokens"]["operator"]}, follow_redirects=False)
    assert no_csrf.status_code == 403
    assert "linli_session" not in no_csrf.headers.get("set-cookie", "")
    assert app.get("/inbox", follow_redirects=False).status_code == 303


def test_every_form_needs_the_sessions_csrf_token(world: dict[str, Any], app: TestClient) -> None:
    operator = world["tokens"]["operator"]
    draft = world["script"]
    csrf = login(app, operator)
    url = f"/drafts/{draft['id']}/approve"
    missing = app.post(url, data={"revision": draft["revision"]})
    assert missing.status_code == 403 and "CSRF" in missing.text
    wrong = app.post(url, data={"revision": draft["revision"], "csrf": csrf[::-1]})
    assert wrong.status_code == 403
    # another session's token is no good either
    with TestClient(app.app) as other:
        other_csrf = login(other, operator)
    assert app.post(url, data={"revision": draft["revision"], "csrf": other_csrf}).status_code == 403
    assert app.post("/logout", data={}).status_code == 403
    assert status_of(app, operator, draft["id"]) == "in_review"
    ok = app.post(url, data={"revision": draft["revision"], "csrf": csrf}, follow_redirects=False)
    assert ok.status_code == 303
    assert status_of(app, operator, draft["id"]) == "approved"


def test_a_tampered_cookie_is_no_session(world: dict[str, Any], app: TestClient) -> None:
    login(app, world["tokens"]["operator"])
    value = app.cookies["linli_session"]
    app.cookies.clear()
    body, signature = value.split(".")
    assert app.get("/inbox", headers={"Cookie": f"linli_session={value}"}).status_code == 200
    for forged in (body + "x." + signature, body + "." + signature[::-1], "", "a.b.c"):
        response = app.get("/inbox", headers={"Cookie": f"linli_session={forged}"}, follow_redirects=False)
        assert response.status_code == 303, forged


def test_logout_and_revocation_end_the_session(world: dict[str, Any], app: TestClient) -> None:
    csrf = login(app, world["tokens"]["operator"])
    copied = app.cookies[
        "linli_session"
    ]  # a copy of the cookie, as a shared computer or a proxy log keeps it
    assert app.post("/logout", data={"csrf": csrf}, follow_redirects=False).headers["location"] == "/login"
    assert app.get("/inbox", follow_redirects=False).status_code == 303
    app.cookies.set(
        "linli_session", copied
    )  # the copy is refused server-side, not only deleted in the browser
    refused = app.get("/inbox", follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    approve = app.post(f"/drafts/{world['script']['id']}/approve", data={"revision": 1, "csrf": csrf})
    assert approve.status_code == 401  # its forms too
    app.cookies.clear()
    login(app, world["tokens"]["operator"])
    with db.session_scope() as s:
        revoke_tokens(s, CLI, "xiaozhou")
    assert app.get("/inbox", follow_redirects=False).status_code == 303


def test_a_host_reads_and_asks_but_cannot_approve(world: dict[str, Any], app: TestClient) -> None:
    draft = world["script"]
    csrf = login(app, world["tokens"]["host"])
    page = app.get(f"/drafts/{draft['id']}")
    assert page.status_code == 200
    assert 'id="approve-form"' not in page.text and 'id="reject-form"' not in page.text
    refused = app.post(f"/drafts/{draft['id']}/approve", data={"revision": draft["revision"], "csrf": csrf})
    assert refused.status_code == 403 and "没有权限" in refused.text
    assert status_of(app, world["tokens"]["operator"], draft["id"]) == "in_review"
    batch = app.post("/inbox/approve", data={"items": f"{draft['id']}:{draft['revision']}", "csrf": csrf})
    assert batch.status_code == 403


def test_another_communitys_draft_is_not_found(world: dict[str, Any], app: TestClient) -> None:
    draft = world["script"]
    csrf = login(app, world["tokens"]["stranger"])
    assert app.get(f"/drafts/{draft['id']}").status_code == 404
    assert app.get(f"/drafts/{draft['id']}/print").status_code == 404
    cited = next(c for s in draft["sentences"] for c in s["citations"])
    assert app.get(f"/drafts/{draft['id']}/chunks/{quote(cited)}").status_code == 404
    response = app.post(f"/drafts/{draft['id']}/approve", data={"revision": draft["revision"], "csrf": csrf})
    assert response.status_code == 404
    assert f"#{draft['id']}" not in app.get("/inbox").text
    assert status_of(app, world["tokens"]["operator"], draft["id"]) == "in_review"


def test_the_draft_page_shows_citations_with_their_source(world: dict[str, Any], app: TestClient) -> None:
    draft = world["script"]
    login(app, world["tokens"]["operator"])
    page = app.get(f"/drafts/{draft['id']}").text
    assert "AI 生成" in page and draft["prompt_version"] in page and "无（离线话术模板）" in page
    assert "EV2611A" in page and "有效期至" in page
    report = next(c for s in draft["sentences"] for c in s["citations"] if "report-ev2611a" in c)
    source = app.get(f"/drafts/{draft['id']}/chunks/{quote(report)}")
    assert source.status_code == 200
    assert "检测报告" in source.text and "EV2611A" in source.text and "2027-11-04" in source.text
    # only what this draft cites can be opened through it
    assert app.get(f"/drafts/{draft['id']}/chunks/soy-lowna-500-product%23000").status_code == 404


def test_findings_are_marked_in_place_with_their_rewrite(world: dict[str, Any], app: TestClient) -> None:
    typed = world["typed"]
    login(app, world["tokens"]["operator"])
    page = app.get(f"/drafts/{typed['id']}").text
    assert re.search(r'<mark class="sev-block" data-findings="\d+"><a href="#f-\d+">降血压</a></mark>', page)
    finding = next(f for f in typed["findings"] if f["text"] == "降血压")
    assert finding["suggestion"] and finding["suggestion"] in page
    assert "人工撰写" in page
    assert 'name="override_reason"' in page  # blocking findings: approval needs a written reason


def test_edit_then_approve_the_new_revision_and_see_it_in_the_audit(
    world: dict[str, Any], app: TestClient
) -> None:
    draft = world["script"]
    csrf = login(app, world["tokens"]["operator"])
    text = draft["text"].replace("家人们晚上好", "各位邻居晚上好")
    edited = app.post(
        f"/drafts/{draft['id']}/revisions",
        data={"text": text, "revision": 1, "csrf": csrf},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    page = app.get(edited.headers["location"]).text
    assert "各位邻居晚上好" in page and "第 2 版" in page
    stale = app.post(f"/drafts/{draft['id']}/approve", data={"revision": 1, "csrf": csrf})
    assert stale.status_code == 409 and "状态冲突" in stale.text
    approved = app.post(f"/drafts/{draft['id']}/approve", data={"revision": 2, "csrf": csrf})
    assert approved.status_code == 200 and "已批准此修订" in approved.text
    audit = app.get("/audit").text
    row = re.search(
        rf'<tr data-action="draft.approve" data-object="draft:{draft["id"]}">(.*?)</tr>', audit, re.S
    )
    assert row and "xiaozhou" in row.group(1) and "运营" in row.group(1)


def test_blocking_findings_need_a_written_override(world: dict[str, Any], app: TestClient) -> None:
    typed = world["typed"]
    csrf = login(app, world["tokens"]["operator"])
    url = f"/drafts/{typed['id']}/approve"
    refused = app.post(url, data={"revision": 1, "csrf": csrf})
    assert refused.status_code == 409 and "override" in refused.text
    assert (
        app.post(url, data={"revision": 1, "csrf": csrf, "override_reason": "主播会口头改掉"}).status_code
        == 200
    )
    assert "覆盖理由：主播会口头改掉" in app.get("/audit").text


def test_send_back_with_feedback_and_reject(
    world: dict[str, Any], app: TestClient, kb: KnowledgeBase
) -> None:
    draft = world["script"]
    csrf = login(app, world["tokens"]["operator"])
    revised = app.post(
        f"/drafts/{draft['id']}/revise", data={"feedback": "开场短一些", "revision": 1, "csrf": csrf}
    )
    assert revised.status_code == 200 and "开场短一些" in revised.text
    typed = world["typed"]
    assert app.post(f"/drafts/{typed['id']}/reject", data={"reason": "", "csrf": csrf}).status_code == 422
    assert app.post(f"/drafts/{typed['id']}/reject", data={"reason": "违规", "csrf": csrf}).status_code == 200
    assert status_of(app, world["tokens"]["operator"], typed["id"]) == "rejected"


def test_batch_approve_with_one_stale_revision(
    world: dict[str, Any], app: TestClient, kb: KnowledgeBase
) -> None:
    with db.session_scope() as s:
        second = create_draft(s, CLI, kb, community_id="linjia", kind="chain", sku="OIL-EVOO-500")
    csrf = login(app, world["tokens"]["operator"])
    inbox = app.get("/inbox?status=in_review").text
    assert f'value="{second["id"]}:1"' in inbox and f'value="{world["script"]["id"]}:1"' in inbox
    assert f'value="{world["typed"]["id"]}:1"' not in inbox  # blocking findings: one by one, with a reason
    result = app.post(
        "/inbox/approve",
        data={"items": [f"{second['id']}:1", f"{world['script']['id']}:7"], "csrf": csrf},
    )
    assert result.status_code == 200
    assert "已批准 1 条" in result.text and 'data-ok="no"' in result.text
    assert status_of(app, world["tokens"]["operator"], second["id"]) == "approved"
    assert status_of(app, world["tokens"]["operator"], world["script"]["id"]) == "in_review"


def test_inbox_filters_and_counts(world: dict[str, Any], app: TestClient) -> None:
    login(app, world["tokens"]["operator"])
    page = app.get("/inbox?sku=SOY-LOWNA-500").text
    assert f"#{world['typed']['id']}<" in page and f"#{world['script']['id']}<" not in page
    assert re.search(r'data-status="in_review"[^>]*>待审核 <b>1</b>', page)
    assert app.get("/inbox?status=bogus").status_code == 422


def test_the_inbox_rows_follow_every_change_to_a_listed_draft(world: dict[str, Any], app: TestClient) -> None:
    """The rows are rendered once per exact content: an edit and an approval show on the next list page."""
    draft = world["script"]
    csrf = login(app, world["tokens"]["operator"])

    def row() -> str:
        found = re.search(rf'<tr data-draft="{draft["id"]}">(.*?)</tr>', app.get("/inbox").text, re.S)
        assert found, "the script is not listed"
        return found.group(1)

    assert "待审核" in row() and 'data-label="修订">1<' in row()
    text = draft["text"].replace("家人们晚上好", "各位邻居晚上好")
    app.post(f"/drafts/{draft['id']}/revisions", data={"text": text, "revision": 1, "csrf": csrf})
    assert 'data-label="修订">2<' in row()
    app.post(f"/drafts/{draft['id']}/approve", data={"revision": 2, "csrf": csrf})
    assert "已批准" in row() and "待审核" not in row()


def test_host_asks_for_a_script_and_types_one(world: dict[str, Any], app: TestClient) -> None:
    csrf = login(app, world["tokens"]["host"])
    page = app.get("/host").text
    assert "OIL-EVOO-500" in page and "低盐控压" in page
    asked = app.post(
        "/host/drafts",
        data={
            "csrf": csrf,
            "community_id": "linjia",
            "kind": "script",
            "sku": "OIL-EVOO-500",
            "event": "周四晚8点",
        },
        follow_redirects=False,
    )
    assert asked.status_code == 303
    page = app.get(asked.headers["location"]).text
    assert "待审核" in page and "周四晚8点" in page
    typed = app.post(
        "/host/drafts",
        data={
            "csrf": csrf,
            "community_id": "linjia",
            "kind": "script",
            "sku": "SOY-LOWNA-500",
            "text": HAND_TYPED,
        },
    )
    assert typed.status_code == 200 and ">降血压</a></mark>" in typed.text
    assert (
        app.post(
            "/host/drafts", data={"csrf": csrf, "community_id": "other", "kind": "script", "sku": "X"}
        ).status_code
        == 404
    )
    printed = app.get(f"/drafts/{world['script']['id']}/print").text
    assert "证据卡" in printed and "EV2611A" in printed and "未经批准" in printed


def test_members_show_pseudonymised_evidence_and_the_original_only_to_operators(
    world: dict[str, Any], app: TestClient
) -> None:
    csrf = login(app, world["tokens"]["host"])
    listing = app.get("/members").text
    member_id = re.search(r'<a href="/members/(\d+)">王阿姨</a>', listing)
    assert member_id and "烘焙爱好" in listing
    url = f"/members/{member_id.group(1)}"
    for page in (app.get(url).text, app.get(url + "?original=1").text):
        assert "周末烤了吐司" in page and "[手机#" in page and "13812345678" not in page
        assert "确认标签" not in page
    assert app.post(f"{url}/tags/baking", data={"status": "confirmed", "csrf": csrf}).status_code == 403
    csrf = login(app, world["tokens"]["operator"])
    assert "13812345678" not in app.get(url).text
    assert "13812345678" in app.get(url + "?original=1").text
    confirmed = app.post(f"{url}/tags/baking", data={"status": "confirmed", "csrf": csrf})
    assert confirmed.status_code == 200 and "已确认" in confirmed.text
    assert 'data-action="tag.confirmed"' in app.get("/audit").text


def test_an_operator_marks_a_member_as_staff_and_back(world: dict[str, Any], app: TestClient) -> None:
    csrf = login(app, world["tokens"]["host"])
    member_id = re.search(r'<a href="/members/(\d+)">王阿姨</a>', app.get("/members").text)
    assert member_id
    url = f"/members/{member_id.group(1)}"
    assert "标为本店员工" not in app.get(url).text  # hosts may not
    assert app.post(f"{url}/staff", data={"staff": "true", "csrf": csrf}).status_code == 403
    csrf = login(app, world["tokens"]["operator"])
    marked = app.post(f"{url}/staff", data={"staff": "true", "csrf": csrf})
    assert marked.status_code == 200 and "本店员工" in marked.text and "改回普通成员" in marked.text
    assert "烘焙爱好" not in marked.text  # the inferred tag went with the marking
    assert (
        "员工</span>" in app.get("/members").text and 'data-action="member.staff"' in app.get("/audit").text
    )
    back = app.post(f"{url}/staff", data={"staff": "false", "csrf": csrf})
    assert back.status_code == 200 and "标为本店员工" in back.text


def test_an_operator_merges_one_person_under_two_ids_from_the_member_page(
    world: dict[str, Any], app: TestClient, tmp_path: Path, community: str
) -> None:
    archive = tmp_path / "room.jsonl"
    archive.write_text(
        '{"msgid": "w1", "action": "send", "from": "wmWang", "tolist": ["wr1"], "roomid": "wr1", '
        '"msgtime": 1763700000000, "msgtype": "text", "text": {"content": "戚风又塌了"}}\n',
        encoding="utf-8",
    )
    with db.session_scope() as s:
        import_file(s, CLI, archive, community, secret=b"k", roster={"wmWang": "王阿姨"})
    csrf = login(app, world["tokens"]["host"])
    listing = app.get("/members").text
    ids = re.findall(r'<a href="/members/(\d+)">王阿姨</a>', listing)
    assert len(ids) == 2 and listing.count("同名 ×2") == 2
    keep, other = ids
    api = f"/api/communities/{community}/members/duplicates"
    bearer = {"Authorization": f"Bearer {world['tokens']['host']}"}
    assert app.get(api, headers=bearer).json() == {"groups": [[int(keep), int(other)]]}
    refused = app.post(f"/api/members/{keep}/merge", json={"other": int(other)}, headers=bearer)
    assert refused.status_code == 403
    page = app.get(f"/members/{keep}").text
    assert (
        f"#{other} 王阿姨" in page and "wmWang" in page and "并入本成员</button>" not in page
    )  # hosts see, not merge
    assert app.post(f"/members/{keep}/merge", data={"other": other, "csrf": csrf}).status_code == 403
    csrf = login(app, world["tokens"]["operator"])
    assert "并入本成员</button>" in app.get(f"/members/{keep}").text
    merged = app.post(f"/members/{keep}/merge", data={"other": other, "csrf": csrf})
    assert merged.status_code == 200 and "同名成员" not in merged.text
    listing = app.get("/members").text
    assert len(re.findall(r'<a href="/members/(\d+)">王阿姨</a>', listing)) == 1 and "同名 ×" not in listing
    assert app.get(f"/members/{other}").status_code == 404
    assert 'data-action="member.merge"' in app.get("/audit").text
    operator = {"Authorization": f"Bearer {world['tokens']['operator']}"}
    assert app.get(api, headers=operator).json() == {"groups": []}
    again = app.post(f"/api/members/{keep}/merge", json={"other": int(other)}, headers=operator)
    assert again.status_code == 404 and f"merged into member {keep}" in again.json()["detail"]


def test_pages_refuse_framing_and_inline_script_and_are_not_cached(
    world: dict[str, Any], app: TestClient
) -> None:
    login(app, world["tokens"]["operator"])
    for url in ("/login", "/inbox", f"/drafts/{world['script']['id']}", "/audit"):
        headers = app.get(url).headers
        assert "default-src 'self'" in headers["content-security-policy"], url
        assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store", url
    assert "<script>" not in app.get(f"/drafts/{world['script']['id']}").text


def test_the_inbox_pages_through_long_lists(
    world: dict[str, Any], app: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.web import pages

    monkeypatch.setattr(pages, "INBOX_PAGE", 1)
    login(app, world["tokens"]["operator"])
    first = app.get("/inbox?kind=script").text
    assert f"#{world['typed']['id']}<" in first and f"#{world['script']['id']}<" not in first
    assert "共 2 条" in first
    link = re.search(r'<a href="\?([^"]+)">下一页</a>', first)
    assert link
    second = app.get("/inbox?" + link.group(1).replace("&amp;", "&")).text
    assert f"#{world['script']['id']}<" in second and "上一页" in second and "下一页" not in second


def test_a_chain_request_carries_price_and_deadline(world: dict[str, Any], app: TestClient) -> None:
    csrf = login(app, world["tokens"]["host"])
    data = {
        "csrf": csrf,
        "community_id": "linjia",
        "kind": "chain",
        "sku": "OIL-EVOO-500",
        "price": "¥89/瓶",
        "deadline": "11月25日 22:00",
    }
    page = app.post("/host/drafts", data=data).text
    assert "¥89/瓶" in page and "11月25日 22:00" in page
    assert app.post("/host/drafts", data={**data, "pickup": "南" * 201}).status_code == 422


def test_an_approved_chain_is_scheduled_then_recalled(
    world: dict[str, Any], app: TestClient, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session_scope() as s:
        chain = create_draft(s, CLI, kb, community_id="linjia", kind="chain", sku="OIL-EVOO-500")
    csrf = login(app, world["tokens"]["operator"])
    url = f"/drafts/{chain['id']}"
    app.post(f"{url}/approve", data={"revision": 1, "csrf": csrf})
    assert 'id="schedule-form"' in app.get(url).text
    assert (
        'id="schedule-form"' not in app.get(f"/drafts/{world['script']['id']}").text
    )  # a script is read live
    unconfigured = app.post(f"{url}/schedule", data={"csrf": csrf})
    assert unconfigured.status_code == 422 and "LINLI_OUTBOX_CHANNELS" in unconfigured.text
    channels = {
        "南门群": {
            "adapter": "webhook",
            "url": "http://127.0.0.1:9/hook",
            "community": "linjia",
            "secret": "k" * 32,
        }
    }
    monkeypatch.setenv("LINLI_OUTBOX_CHANNELS", json.dumps(channels, ensure_ascii=False))
    reset_settings()
    form = app.get(url).text
    assert 'name="channels" value="南门群"' in form
    scheduled = app.post(
        f"{url}/schedule", data={"csrf": csrf, "channels": "南门群", "at": "2026-12-24T20:00"}
    )
    assert scheduled.status_code == 200 and "已排入发送队列" in scheduled.text
    assert status_of(app, world["tokens"]["operator"], chain["id"]) == "scheduled"
    deliveries = app.get(
        f"/api/drafts/{chain['id']}", headers={"Authorization": f"Bearer {world['tokens']['operator']}"}
    ).json()["deliveries"]
    assert [d["scheduled_at"][:16] for d in deliveries] == ["2026-12-24T12:00"]  # 20:00 in UTC+8
    assert "南门群" in scheduled.text and "待发送" in scheduled.text
    assert app.post(f"{url}/recall", data={"csrf": csrf, "reason": ""}).status_code == 422
    recalled = app.post(f"{url}/recall", data={"csrf": csrf, "reason": "价格写错了"})
    assert recalled.status_code == 200 and "已撤回" in recalled.text and "已取消" in recalled.text


def test_products_offered_are_the_communitys_own_and_the_shared_ones(
    world: dict[str, Any], app: TestClient
) -> None:
    def product(sku: str, community_id: str | None) -> None:
        fields = {
            "sku": sku,
            "title": f"{sku} 产品资料",
            "doc_type": "product",
            "batch": None,
            "issuer": None,
            "issued_at": None,
            "valid_until": None,
            "content_hash": sku.lower(),
            "path": f"{sku}.md",
        }
        with db.session_scope() as s:
            documents.register(
                s,
                CLI,
                f"{sku}-product",
                fields,
                status="added",
                chunk_count=1,
                facts=[],
                community_id=community_id,
            )

    product("SHARED-TEA", None)
    product("LINJIA-HONEY", "linjia")
    product("OTHER-WINE", "other")
    login(app, world["tokens"]["host"])
    host = app.get("/host").text
    assert 'value="SHARED-TEA"' in host and 'value="LINJIA-HONEY"' in host and "OTHER-WINE" not in host
    login(app, world["tokens"]["stranger"])  # an operator of the other community
    inbox = app.get("/inbox").text
    assert 'value="OTHER-WINE"' in inbox and 'value="SHARED-TEA"' in inbox and "LINJIA-HONEY" not in inbox
