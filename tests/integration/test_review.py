"""Review over real HTTP and a real SQLite file: every transition, 403 / 404 / 409, the override rule, batch approval
with one stale revision, the compare-and-set under two sessions and many threads, the inbox page, the audit log and
the OpenAPI error contract."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from agent.drafting import submit_text
from api.app import create_app
from community import db, drafts, review
from community.errors import Conflict
from community.models import AuditEvent, Draft, Review
from community.principal import CLI
from community.users import add_user, principal_for_token
from evals.llm_stub import StubServer
from knowledge.index import KnowledgeBase
from settings import get_settings
from tests.conftest import use_llm

pytestmark = pytest.mark.both_databases

CLEAN = "今晚八点直播间见，橄榄油现场开瓶。\n喜欢凉拌的家人可以来看看。"
BLOCKED = "这款酱油天天吃能降血压。\n最近很多邻居在问。"

Client = tuple[TestClient, dict[str, str]]


def _users() -> dict[str, str]:
    tokens = {}
    with db.session_scope() as s:
        for name, role, scope in (
            ("host", "host", ["linjia"]),
            ("op", "operator", ["linjia"]),
            ("op2", "operator", ["linjia"]),
            ("other-op", "operator", ["other"]),
        ):
            tokens[name] = add_user(s, CLI, name, role, scope)[1]
    return tokens


@pytest.fixture
def api(community: str, kb: KnowledgeBase) -> Iterator[Client]:
    """The app over the demo documents (a typed draft is checked against its sku's documents too)."""
    tokens = _users()
    with TestClient(create_app(kb=kb)) as client:
        yield client, tokens


api_kb = api


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def typed(client: TestClient, token: str, text: str = CLEAN, kind: str = "script", **extra: Any) -> dict:
    body = {"kind": kind, "sku": "OIL-EVOO-500", "community_id": "linjia", "text": text, **extra}
    response = client.post("/api/drafts", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    return response.json()


def post(client: TestClient, url: str, token: str, body: dict | None = None) -> Any:
    return client.post(url, json=body if body is not None else {}, headers=auth(token))


def audit_actions(client: TestClient, token: str, draft_id: int) -> list[str]:
    events = client.get(
        "/api/audit", params={"object_type": "draft", "object_id": str(draft_id)}, headers=auth(token)
    ).json()["events"]
    return [e["action"] for e in reversed(events)]


# -- transitions ---------------------------------------------------------------------------------------------------


def test_every_review_transition_over_http(api: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    client, tokens = api
    op, host = tokens["op"], tokens["host"]
    monkeypatch.setenv(
        "LINLI_OUTBOX_CHANNELS",
        '{"群1": {"adapter": "wecom", "url": "http://127.0.0.1:9/never", "community": "linjia"}}',
    )
    monkeypatch.setenv("LINLI_OUTBOX_WORKER_INTERVAL_S", "0")  # nothing is delivered behind this test's back
    get_settings.cache_clear()

    d = typed(client, host, kind="push")
    assert d["status"] == "in_review" and d["revision"] == 1 and d["version"] == 1
    base = f"/api/drafts/{d['id']}"

    # in_review → changes_requested: a hand-typed draft has no composer to re-run; it waits for its author
    sent_back = post(client, f"{base}/revise", op, {"feedback": "开头加上活动时间"})
    assert sent_back.status_code == 200, sent_back.text
    assert sent_back.json()["status"] == "changes_requested" and sent_back.json()["revision"] == 1
    assert sent_back.json()["reviews"][-1]["reason"] == "开头加上活动时间"

    # changes_requested → in_review by an edit (the host's), revision 2 made from revision 1
    edited = post(
        client, f"{base}/revisions", host, {"text": "周四晚八点直播。\n" + CLEAN, "base_revision": 1}
    )
    assert edited.status_code == 201, edited.text
    e = edited.json()
    assert (e["status"], e["revision"], e["parent_revision"], e["edited_by"]) == ("in_review", 2, 1, "host")
    assert [r["number"] for r in e["revisions"]] == [1, 2]

    # in_review → approved: binds revision 2 and its hash
    approved = post(client, f"{base}/approve", op, {"revision": 2}).json()
    assert approved["status"] == "approved"
    assert approved["approved_revision"] == 2 and approved["approved_hash"] == e["content_hash"]

    # approved → in_review by an edit: the approval is withdrawn
    again = post(
        client, f"{base}/revisions", op, {"text": "周四晚八点直播。\n" + CLEAN + "\n不见不散。"}
    ).json()
    assert again["status"] == "in_review" and again["revision"] == 3
    assert again["approved_revision"] is None and again["approved_hash"] is None
    withdrawn = client.get("/api/audit", params={"action": "draft.edit"}, headers=auth(op)).json()["events"][
        0
    ]
    assert withdrawn["detail"]["approval_withdrawn"] is True
    assert withdrawn["before_hash"] == e["content_hash"] and withdrawn["after_hash"] == again["content_hash"]

    # approved → scheduled → recalled → (edit) in_review
    assert post(client, f"{base}/approve", op, {"revision": 3}).json()["status"] == "approved"
    scheduled = post(client, f"{base}/schedule", op, {}).json()
    assert scheduled["status"] == "scheduled"
    assert [(x["channel"], x["status"]) for x in scheduled["deliveries"]] == [("群1", "pending")]
    queued = client.get("/api/outbox", params={"status": "pending"}, headers=auth(op)).json()["deliveries"]
    assert [(x["draft_id"], x["channel"]) for x in queued] == [(d["id"], "群1")]
    assert client.get("/api/outbox", headers=auth(tokens["other-op"])).json()["deliveries"] == []
    recalled = post(client, f"{base}/recall", op, {"reason": "价格要改"}).json()
    assert recalled["status"] == "recalled"
    assert [x["status"] for x in recalled["deliveries"]] == ["cancelled"]
    back = post(client, f"{base}/revisions", op, {"text": "周五晚八点直播。\n" + CLEAN}).json()
    assert back["status"] == "in_review" and back["revision"] == 4

    # approved → recalled directly, and the rejections: in_review → rejected, changes_requested → rejected
    assert post(client, f"{base}/approve", op, {"revision": 4}).json()["status"] == "approved"
    assert post(client, f"{base}/recall", op, {"reason": "不发了"}).json()["status"] == "recalled"
    other = typed(client, host)
    assert (
        post(client, f"/api/drafts/{other['id']}/reject", op, {"reason": "重复"}).json()["status"]
        == "rejected"
    )
    third = typed(client, host)
    post(client, f"/api/drafts/{third['id']}/revise", op, {"feedback": "太长"})
    assert (
        post(client, f"/api/drafts/{third['id']}/reject", op, {"reason": "算了"}).json()["status"]
        == "rejected"
    )

    assert audit_actions(client, op, d["id"]) == [
        "draft.create",
        "draft.request_changes",
        "draft.edit",
        "draft.approve",
        "draft.edit",
        "draft.approve",
        "draft.schedule",
        "draft.recall",
        "draft.edit",
        "draft.approve",
        "draft.recall",
    ]
    final = client.get(base, headers=auth(op)).json()
    assert final["version"] == 1 + 10  # one step per move: every change went through the compare-and-set


def test_illegal_moves_answer_409_naming_the_current_state(api: Client) -> None:
    client, tokens = api
    op = tokens["op"]
    d = typed(client, tokens["host"], kind="push")
    base = f"/api/drafts/{d['id']}"
    assert post(client, f"{base}/schedule", op, {}).status_code == 409  # in_review cannot be scheduled
    assert post(client, f"{base}/recall", op, {"reason": "x"}).status_code == 409
    post(client, f"{base}/reject", op, {"reason": "不要了"})
    for url, body in (
        (f"{base}/approve", {"revision": 1}),
        (f"{base}/reject", {"reason": "再拒一次"}),
        (f"{base}/revise", {"feedback": "改"}),
        (f"{base}/revisions", {"text": "新的文字"}),
        (f"{base}/schedule", {}),
        (f"{base}/recall", {"reason": "收回"}),
    ):
        response = post(client, url, op, body)
        assert response.status_code == 409, (url, response.text)
        payload = response.json()
        assert payload["error"] == "conflict" and "rejected" in payload["detail"]
        assert payload["current"]["status"] == "rejected" and payload["current"]["revision"] == 1
    # a script is never delivered, and an approved draft cannot be edited while scheduled
    script = typed(client, tokens["host"])
    post(client, f"/api/drafts/{script['id']}/approve", op, {"revision": 1})
    refused = post(client, f"/api/drafts/{script['id']}/schedule", op, {})
    assert refused.status_code == 422 and "script" in refused.json()["detail"]


def test_a_host_gets_403_on_every_review_action_but_may_edit(api: Client) -> None:
    client, tokens = api
    host = tokens["host"]
    d = typed(client, host)
    base = f"/api/drafts/{d['id']}"
    for url, body in (
        (f"{base}/approve", {"revision": 1}),
        (f"{base}/approve", {"revision": 1, "override_reason": "我说可以"}),
        (f"{base}/reject", {"reason": "x"}),
        (f"{base}/revise", {"feedback": "x"}),
        (f"{base}/schedule", {}),
        (f"{base}/recall", {"reason": "x"}),
        ("/api/drafts/approve-batch", {"items": [{"id": d["id"], "revision": 1}]}),
    ):
        response = post(client, url, host, body)
        assert response.status_code == 403, (url, response.text)
        assert response.json()["error"] == "forbidden"
    assert client.get(base, headers=auth(tokens["op"])).json()["status"] == "in_review"
    assert post(client, f"{base}/revisions", host, {"text": CLEAN + "\n欢迎来问。"}).status_code == 201


def test_another_community_gets_404_everywhere(api: Client) -> None:
    client, tokens = api
    other = tokens["other-op"]
    d = typed(client, tokens["host"], kind="push")
    base = f"/api/drafts/{d['id']}"
    assert client.get(base, headers=auth(other)).status_code == 404
    for url, body in (
        (f"{base}/approve", {"revision": 1}),
        (f"{base}/reject", {"reason": "x"}),
        (f"{base}/revise", {"feedback": "x"}),
        (f"{base}/revisions", {"text": "别家的改动"}),
        (f"{base}/schedule", {}),
        (f"{base}/recall", {"reason": "x"}),
    ):
        response = post(client, url, other, body)
        assert response.status_code == 404, (url, response.text)
    batch = post(
        client, "/api/drafts/approve-batch", other, {"items": [{"id": d["id"], "revision": 1}]}
    ).json()
    assert batch["results"][0]["status_code"] == 404 and batch["approved"] == 0
    assert client.get("/api/drafts", headers=auth(other)).json()["total"] == 0
    assert client.get(base, headers=auth(tokens["op"])).json()["status"] == "in_review"


def test_stale_revisions_answer_409_with_the_current_one(api: Client) -> None:
    client, tokens = api
    op, op2 = tokens["op"], tokens["op2"]
    d = typed(client, tokens["host"])
    base = f"/api/drafts/{d['id']}"
    assert (
        post(client, f"{base}/revisions", op, {"text": "第一版修改。", "base_revision": 1}).status_code == 201
    )
    # op2 edited what they read (revision 1) after op saved revision 2
    lost = post(client, f"{base}/revisions", op2, {"text": "第二位的修改。", "base_revision": 1})
    assert lost.status_code == 409 and lost.json()["current"]["revision"] == 2
    stale = post(client, f"{base}/approve", op2, {"revision": 1})
    assert stale.status_code == 409 and "revision 2 is current" in stale.json()["detail"]
    assert stale.json()["current"] == {"status": "in_review", "revision": 2, "version": 2}
    same = post(client, f"{base}/revisions", op, {"text": "第一版修改。"})
    assert same.status_code == 422 and "nothing to save" in same.json()["detail"]


# -- override ------------------------------------------------------------------------------------------------------


def test_blocking_findings_need_a_written_override_which_the_review_and_audit_keep(api: Client) -> None:
    client, tokens = api
    op = tokens["op"]
    d = typed(client, tokens["host"], text=BLOCKED)
    assert [f["rule"] for f in d["findings"] if f["severity"] == "block"]
    url = f"/api/drafts/{d['id']}/approve"
    for body in ({"revision": 1}, {"revision": 1, "override_reason": "   "}):
        refused = post(client, url, op, body)
        assert refused.status_code == 409 and "override" in refused.json()["detail"]
        assert refused.json()["current"]["status"] == "in_review"
    ok = post(client, url, op, {"revision": 1, "override_reason": "主播口播时改说钠含量"})
    assert ok.status_code == 200 and ok.json()["reviews"][-1]["reason"] == "主播口播时改说钠含量"
    event_ = client.get("/api/audit", params={"action": "draft.approve"}, headers=auth(op)).json()["events"][
        0
    ]
    assert (event_["actor"], event_["actor_role"]) == ("op", "operator")
    assert event_["detail"]["override_reason"] == "主播口播时改说钠含量"
    assert event_["detail"]["blocking_overridden"] >= 1 and event_["detail"]["overridden_rules"]
    assert event_["before_hash"] == event_["after_hash"] == d["content_hash"]
    with db.session_scope() as s:
        snapshot = s.scalars(select(Review.findings_snapshot).where(Review.draft_id == d["id"])).one()
    assert [f["text"] for f in snapshot if f["severity"] == "block"] == ["降血压"]

    # an edit that removes the claim withdraws that approval, is checked again and approves without an override
    fixed = post(client, f"/api/drafts/{d['id']}/revisions", op, {"text": "这款酱油是低钠的。"})
    assert fixed.status_code == 201 and fixed.json()["status"] == "in_review"
    assert not [f for f in fixed.json()["findings"] if f["severity"] == "block"]
    assert post(client, url, op, {"revision": 2}).json()["status"] == "approved"


# -- batch ---------------------------------------------------------------------------------------------------------


def test_batch_approval_with_one_stale_revision_fails_that_one_alone(api: Client) -> None:
    client, tokens = api
    op = tokens["op"]
    a, b, c = (typed(client, tokens["host"], text=f"{CLEAN}\n第{n}场。") for n in "一二三")
    post(client, f"/api/drafts/{b['id']}/revisions", tokens["host"], {"text": CLEAN + "\n改过的第二场。"})
    response = post(
        client,
        "/api/drafts/approve-batch",
        op,
        {
            "items": [
                {"id": a["id"], "revision": 1},
                {"id": b["id"], "revision": 1},
                {"id": c["id"], "revision": 1},
            ]
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["approved"], body["failed"]) == (2, 1)
    ok = {r["id"]: r for r in body["results"]}
    assert ok[a["id"]]["ok"] and ok[c["id"]]["ok"] and ok[a["id"]]["status"] == "approved"
    stale = ok[b["id"]]
    assert not stale["ok"] and stale["status_code"] == 409 and stale["error"] == "conflict"
    assert stale["current"] == {"status": "in_review", "revision": 2, "version": 2}
    states = {
        x["id"]: (x["status"], x["revision"])
        for x in client.get("/api/drafts", headers=auth(op)).json()["drafts"]
    }
    assert states == {a["id"]: ("approved", 1), b["id"]: ("in_review", 2), c["id"]: ("approved", 1)}
    with db.session_scope() as s:
        assert s.scalar(select(func.count(Review.id)).where(Review.draft_id == b["id"])) == 0
    assert client.post("/api/drafts/approve-batch", json={"items": []}, headers=auth(op)).status_code == 422


# -- concurrency ---------------------------------------------------------------------------------------------------


def test_two_sessions_on_the_same_revision_one_wins_the_other_gets_409(api: Client) -> None:
    client, tokens = api
    d = typed(client, tokens["host"])
    with db.session_scope() as s:
        op = principal_for_token(s, tokens["op"])
        op2 = principal_for_token(s, tokens["op2"])
    first = db.session_scope()
    second = db.session_scope()
    s1, s2 = first.__enter__(), second.__enter__()
    try:
        # both operators have the draft open at version 1 (the sessions hold their loaded copies)
        seen1, seen2 = drafts.get_draft(s1, op, d["id"]), drafts.get_draft(s2, op2, d["id"])
        assert (seen1.version, seen2.version, seen2.status) == (1, 1, "in_review")
        review.approve(s1, op, d["id"], 1)
        first.__exit__(None, None, None)
        # op2's loaded copy still says in_review at version 1: only the database can refuse
        with pytest.raises(Conflict) as lost:
            review.reject(s2, op2, d["id"], "不行")
        assert lost.value.current == {"status": "approved", "revision": 1, "version": 2}
        assert "changed by someone else" in lost.value.detail and "now approved" in lost.value.detail
    finally:
        second.__exit__(None, None, None)
    with db.session_scope() as s:
        assert [r.action for r in s.scalars(select(Review).where(Review.draft_id == d["id"]))] == ["approve"]
        assert s.get(Draft, d["id"]).status == "approved"  # type: ignore[union-attr]


def test_many_threads_approving_and_rejecting_at_once_exactly_one_wins(api: Client) -> None:
    client, tokens = api
    d = typed(client, tokens["host"])
    with db.session_scope() as s:
        op = principal_for_token(s, tokens["op"])
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def act(n: int) -> None:
        try:
            with db.session_scope() as s:
                drafts.get_draft(s, op, d["id"])  # read first, like a page that was open
                barrier.wait()
                if n % 2:
                    review.approve(s, op, d["id"], 1)
                else:
                    review.reject(s, op, d["id"], f"reason {n}")
            result = "won"
        except Conflict:
            result = "409"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=act, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["409"] * 7 + ["won"]
    with db.session_scope() as s:
        assert s.scalar(select(func.count(Review.id)).where(Review.draft_id == d["id"])) == 1
        moves = s.scalars(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "draft",
                AuditEvent.object_id == str(d["id"]),
                AuditEvent.action != "draft.create",
            )
        ).all()
        assert len(moves) == 1 and s.get(Draft, d["id"]).version == 2  # type: ignore[union-attr]


def test_concurrent_edits_of_the_same_revision_over_http_one_wins(api: Client) -> None:
    client, tokens = api
    d = typed(client, tokens["host"])
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def edit(token: str, text: str) -> None:
        barrier.wait()
        codes.append(
            post(
                client, f"/api/drafts/{d['id']}/revisions", token, {"text": text, "base_revision": 1}
            ).status_code
        )

    threads = [
        threading.Thread(target=edit, args=(tokens["op"], "甲的修改。")),
        threading.Thread(target=edit, args=(tokens["op2"], "乙的修改。")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(codes) == [201, 409]
    doc = client.get(f"/api/drafts/{d['id']}", headers=auth(tokens["op"])).json()
    assert doc["revision"] == 2 and [r["number"] for r in doc["revisions"]] == [1, 2]


# -- edit and revise re-run the checks -----------------------------------------------------------------------------


def test_an_edit_reruns_every_check_and_an_ai_draft_stays_ai_generated(api_kb: Client) -> None:
    client, tokens = api_kb
    op = tokens["op"]
    body = {"kind": "script", "sku": "OIL-EVOO-500", "community_id": "linjia", "event": "今晚8点直播"}
    d = client.post("/api/drafts", json=body, headers=auth(tokens["host"])).json()
    assert d["ai_generated"] and not [f for f in d["findings"] if f["severity"] == "block"]
    lines = d["text"].splitlines()
    edited_text = "\n".join([*lines, "天天吃能降血压。"])
    e = post(client, f"/api/drafts/{d['id']}/revisions", op, {"text": edited_text}).json()
    assert e["revision"] == 2 and e["composer"] == "human" and e["ai_generated"] is True
    assert e["edited_by"] == "op" and e["parent_revision"] == 1
    assert [f["text"] for f in e["findings"] if f["severity"] == "block"] == ["降血压"]
    # the lines kept as they were keep their citations; the new line stands on nothing
    cited_before = {s["text"]: s["citations"] for s in d["sentences"] if s["citations"]}
    cited_after = {s["text"]: s["citations"] for s in e["sentences"]}
    assert cited_before and all(cited_after[t] == c for t, c in cited_before.items() if t in cited_after)
    assert cited_after["天天吃能降血压。"] == []
    # the first revision is still there to read
    first = client.get(f"/api/drafts/{d['id']}", params={"revision": 1}, headers=auth(op)).json()
    assert first["text"] == d["text"] and first["revision"] == 1


def test_revise_composes_again_with_the_feedback_and_keeps_the_history(api_kb: Client) -> None:
    client, tokens = api_kb
    op = tokens["op"]
    body = {"kind": "chain", "sku": "SOY-LOWNA-500", "community_id": "linjia", "price": "¥19.9"}
    d = client.post("/api/drafts", json=body, headers=auth(tokens["host"])).json()
    revised = post(client, f"/api/drafts/{d['id']}/revise", op, {"feedback": "价格写清楚", "revision": 1})
    assert revised.status_code == 200, revised.text
    r = revised.json()
    assert r["status"] == "in_review" and r["revision"] == 2 and r["composer"] != "human"
    assert r["feedback"] == "价格写清楚" and r["trace"]["operator_feedback"] == "价格写清楚"
    assert [(h["number"], h["feedback"]) for h in r["revisions"]] == [(1, None), (2, "价格写清楚")]
    assert [x["action"] for x in r["reviews"]] == ["request_changes"]
    assert audit_actions(client, op, d["id"]) == ["draft.create", "draft.request_changes", "draft.recompose"]


def test_revise_gives_the_llm_composer_the_feedback_as_the_operators_instruction(
    api_kb: Client, stub: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, tokens = api_kb
    body = {"kind": "push", "sku": "OIL-EVOO-500", "community_id": "linjia"}
    d = client.post("/api/drafts", json=body, headers=auth(tokens["host"])).json()  # offline: templates
    use_llm(monkeypatch, stub, "stub-composer-honest")
    seen = len(stub.app.state.requests)
    response = post(client, f"/api/drafts/{d['id']}/revise", tokens["op"], {"feedback": "开头先说检测报告"})
    prompts = [m["content"] for r in stub.app.state.requests[seen:] for m in r["messages"]]
    assert response.status_code == 200, response.text
    r = response.json()
    assert (r["revision"], r["composer"], r["model"]) == (2, "llm", "stub-composer-honest")
    assert r["trace"]["operator_feedback"] == "开头先说检测报告"
    asked = [p for p in prompts if "<operator_feedback>" in p]
    assert asked and "开头先说检测报告" in asked[0] and "以铁律为准" in asked[0]


# -- inbox, audit, OpenAPI -----------------------------------------------------------------------------------------


def test_inbox_pages_with_counts_per_state(api: Client) -> None:
    client, tokens = api
    op = tokens["op"]
    made = [typed(client, tokens["host"], text=f"{CLEAN}\n{n}组见。")["id"] for n in "甲乙丙丁戊己庚"]
    for draft_id in made[:2]:
        post(client, f"/api/drafts/{draft_id}/approve", op, {"revision": 1})
    post(client, f"/api/drafts/{made[2]}/reject", op, {"reason": "重复"})
    page = client.get("/api/drafts", params={"limit": 3}, headers=auth(op)).json()
    assert [x["id"] for x in page["drafts"]] == made[::-1][:3]
    assert (page["total"], page["limit"], page["offset"], page["next_offset"]) == (7, 3, 0, 3)
    assert (
        page["counts"]["in_review"] == 4
        and page["counts"]["approved"] == 2
        and page["counts"]["rejected"] == 1
    )
    assert page["counts"]["sent"] == 0 and set(page["counts"]) == set(drafts.STATES)
    last = client.get("/api/drafts", params={"limit": 3, "offset": 6}, headers=auth(op)).json()
    assert [x["id"] for x in last["drafts"]] == [made[0]] and last["next_offset"] is None
    approved = client.get("/api/drafts", params={"status": "approved"}, headers=auth(op)).json()
    assert approved["total"] == 2 and {x["id"] for x in approved["drafts"]} == set(made[:2])
    assert approved["counts"]["in_review"] == 4  # the counts ignore the status filter
    assert client.get("/api/drafts", headers=auth(op)).json()["limit"] == 50
    bad = client.get("/api/drafts", params={"status": "done"}, headers=auth(op))
    assert bad.status_code == 422 and "status" in bad.json()["detail"]
    assert client.get("/api/drafts", params={"limit": 0}, headers=auth(op)).status_code == 422


def test_the_inbox_page_is_one_indexed_query_whatever_the_number_of_drafts(community: str) -> None:
    with db.session_scope() as s:
        for n in range(30):
            submit_text(
                s, CLI, None, community_id="linjia", kind="push", sku="X", text=f"第{n}条。\n降血压。"
            )
    statements: list[tuple[str, Any]] = []

    def count(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    engine = db.get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        with db.session_scope() as s:
            rows = drafts.list_drafts(s, CLI, limit=20)
            assert len(statements) == 1 and "JOIN draft_revisions" in statements[0][0]
            page = drafts.draft_page(s, CLI, limit=20)
            assert len(statements) == 4  # the page: the drafts' change stamp, the rows, the counts per state
            again = drafts.draft_page(s, CLI, limit=20)
            assert len(statements) == 5 and again == page  # the same stamp: only the stamp is read
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(rows) == 20 and all(r["findings"]["block"] == 1 for r in rows)
    assert page["total"] == 30
    # the join and the finding counts go through indexes: no revision or finding is scanned
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            # on 30 rows PostgreSQL's planner prefers a sequential scan anyway; with scans priced out, one that
            # stays in the plan means there is no index it could use instead
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + statements[0][0], statements[0][1])
            plan = [r[0] for r in cursor.fetchall()]
            scans = [p for p in plan if "Seq Scan on draft_revisions" in p or "Seq Scan on findings" in p]
            assert not scans, plan
            assert any("Index" in p and "findings" in p for p in plan), plan
        else:
            plan = [r[-1] for r in cursor.execute("EXPLAIN QUERY PLAN " + statements[0][0], statements[0][1])]
            assert not [
                p for p in plan if p.startswith("SCAN") and ("draft_revisions" in p or "findings" in p)
            ], plan
            assert any("findings USING" in p and "INDEX" in p for p in plan), plan
    finally:
        raw.close()


def test_audit_filters_and_has_no_write_path(api: Client) -> None:
    client, tokens = api
    op = tokens["op"]
    a = typed(client, tokens["host"])
    b = typed(client, tokens["host"])
    post(client, f"/api/drafts/{a['id']}/approve", op, {"revision": 1})
    post(client, f"/api/drafts/{b['id']}/reject", op, {"reason": "不要"})
    only_a = client.get(
        "/api/audit", params={"object_type": "draft", "object_id": str(a["id"])}, headers=auth(op)
    ).json()["events"]
    assert {e["object_id"] for e in only_a} == {str(a["id"])}
    by_op = client.get("/api/audit", params={"actor": "op"}, headers=auth(op)).json()["events"]
    assert [e["action"] for e in by_op] == ["draft.reject", "draft.approve"]
    assert all(e["actor_role"] == "operator" and e["at"].endswith("Z") for e in by_op)
    prefix = client.get("/api/audit", params={"action": "draft."}, headers=auth(op)).json()["events"]
    assert len(prefix) == 4
    older = client.get("/api/audit", params={"before_id": by_op[0]["id"]}, headers=auth(op)).json()["events"]
    assert older and all(e["id"] < by_op[0]["id"] for e in older)
    assert [e["action"] for e in older if e["object_type"] == "draft"] == [
        "draft.approve",
        "draft.create",
        "draft.create",
    ]
    future = client.get("/api/audit", params={"since": "2100-01-01T00:00:00Z"}, headers=auth(op)).json()
    assert future["events"] == []
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]["/api/audit"]) == {"get"}
    for verb in ("put", "patch", "delete", "post"):
        assert client.request(verb.upper(), "/api/audit", headers=auth(op)).status_code == 405


def test_openapi_every_api_operation_declares_its_error_responses(api: Client) -> None:
    client, _ = api
    spec = client.get("/openapi.json").json()
    error_ref = "#/components/schemas/ErrorOut"
    checked = 0
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/") or path == "/api/health":
            continue
        for verb, operation in operations.items():
            responses = operation["responses"]
            where = f"{verb.upper()} {path}"
            required = {"401", "422"}
            if "{" in path:
                required.add("404")
            if verb == "post" and path.startswith("/api/drafts/"):
                required |= {"403", "409"}
            assert required <= set(responses), f"{where} declares {sorted(responses)}"
            for code in required:
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": error_ref}, f"{where} {code}"
            ok = [c for c in responses if c.startswith("2")]
            assert ok, f"{where} declares no success response"
            checked += 1
    assert checked >= 19
    error = spec["components"]["schemas"]["ErrorOut"]
    assert {"error", "detail"} <= set(error["properties"]) and error["required"] == ["error", "detail"]
