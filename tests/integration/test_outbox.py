"""The outbox against a real HTTP receiver on 127.0.0.1 that answers 200 / 500 / 400 / slow / WeCom errcodes on
demand: wire formats, signatures, retries and backoff, no double send with two workers, only approved content,
quiet hours, frequency caps, recall, and the CLI."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError

from agent.drafting import submit_text
from api.app import create_app
from community import db, outbox, review
from community.errors import Conflict, Forbidden, InvalidInput
from community.models import AuditEvent, Delivery, Draft
from community.principal import CLI, Principal
from knowledge.index import KnowledgeBase
from settings import get_settings

SECRET = "test-signing-secret-0123456789"
T0 = datetime(2026, 12, 1, 4, 0, 0)  # 12:00 in China: outside quiet hours

pytestmark = pytest.mark.both_databases  # the claim, the caps' lock and the leases differ by dialect


@dataclass
class Receiver:
    """A loopback HTTP server; ``script`` holds the answers to give, in order (then 200 ``ok``)."""

    port: int = 0
    script: list[tuple[int, Any, float]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, *answers: tuple[int, Any] | tuple[int, Any, float]) -> None:
        with self.lock:
            self.script.extend((a[0], a[1], a[2] if len(a) > 2 else 0.0) for a in answers)  # type: ignore[misc]

    def bodies(self) -> list[dict[str, Any]]:
        return [r["json"] for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                status, payload, delay = state.script.pop(0) if state.script else (200, None, state.delay)
                state.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body, "json": json.loads(body)}
                )
            if delay:
                time.sleep(delay)
            if payload is None:
                payload = {"errcode": 0, "errmsg": "ok"} if self.path.startswith("/wecom") else {"ok": True}
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def configure(monkeypatch: pytest.MonkeyPatch, receiver: Receiver, **settings: str) -> None:
    channels = {
        "群1": {"adapter": "wecom", "url": receiver.url("/wecom/1"), "community": "linjia"},
        "群2md": {
            "adapter": "wecom",
            "url": receiver.url("/wecom/2"),
            "community": "linjia",
            "format": "markdown",
        },
        "crm": {"adapter": "webhook", "url": receiver.url("/hook"), "community": "linjia", "secret": SECRET},
        "别家群": {"adapter": "wecom", "url": receiver.url("/wecom/other"), "community": "other"},
    }
    monkeypatch.setenv("LINLI_OUTBOX_CHANNELS", json.dumps(channels, ensure_ascii=False))
    monkeypatch.setenv("LINLI_OUTBOX_QUIET_HOURS", "")
    monkeypatch.setenv("LINLI_OUTBOX_BACKOFF_S", "30")
    monkeypatch.setenv("LINLI_OUTBOX_TIMEOUT_S", "2")
    for key, value in settings.items():
        monkeypatch.setenv(f"LINLI_OUTBOX_{key.upper()}", value)
    get_settings.cache_clear()


def approved(kind: str = "push", body: str = "今晚八点直播间见，橄榄油现场开瓶。") -> int:
    with db.session_scope() as s:
        doc = submit_text(s, CLI, None, community_id="linjia", kind=kind, sku="OIL-EVOO-500", text=body)
        review.approve(s, CLI, doc["id"], 1)
    return int(doc["id"])


def scheduled(channels: list[str], kind: str = "push", body: str | None = None, at: datetime = T0) -> int:
    draft_id = approved(kind, body) if body else approved(kind)
    with db.session_scope() as s:
        outbox.schedule(s, CLI, draft_id, at=at, channels=channels)
    return draft_id


def deliveries(draft_id: int) -> list[Delivery]:
    with db.session_scope() as s:
        return list(s.scalars(select(Delivery).where(Delivery.draft_id == draft_id).order_by(Delivery.id)))


def status(draft_id: int) -> str:
    with db.session_scope() as s:
        draft = s.get(Draft, draft_id)
        assert draft is not None
        return draft.status


def two_workers_at_once(now: datetime) -> list[dict[str, int]]:
    """Two outbox workers started on the same instant (a barrier), as `linli serve` and a cron job would be."""
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []

    def worker() -> None:
        barrier.wait()
        results.append(outbox.run_due(now))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


# -- wire formats --------------------------------------------------------------------------------------------------


def test_wecom_text_and_markdown_messages_and_the_draft_ends_sent(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver)
    text_id = scheduled(["群1"])
    chain_id = scheduled(["群2md"], kind="chain", body="**接龙**：橄榄油两瓶装，今晚十点截止。")
    counts = outbox.run_due(T0)
    assert counts["sent"] == 2 and counts["failed"] == counts["retrying"] == 0
    by_path = {r["path"]: r["json"] for r in receiver.requests}
    assert by_path["/wecom/1"] == {
        "msgtype": "text",
        "text": {"content": "今晚八点直播间见，橄榄油现场开瓶。"},
    }
    assert by_path["/wecom/2"] == {
        "msgtype": "markdown",
        "markdown": {"content": "**接龙**：橄榄油两瓶装，今晚十点截止。"},
    }
    assert status(text_id) == status(chain_id) == "sent"
    (d,) = deliveries(text_id)
    assert (d.status, d.attempts, d.last_error) == ("sent", 1, None) and d.sent_at == T0
    with db.session_scope() as s:
        actions = [
            e.action
            for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))
            if e.action.startswith(("delivery.", "draft.sent"))
        ]
    assert actions == ["delivery.sent", "draft.sent", "delivery.sent", "draft.sent"]
    assert outbox.run_due(T0 + timedelta(hours=1))["sent"] == 0 and len(receiver.requests) == 2


def test_generic_webhook_is_signed_over_timestamp_and_body(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver)
    draft_id = scheduled(["crm"])
    outbox.run_due(T0)
    (request,) = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    expected = hmac.new(
        SECRET.encode(), headers["x-linli-timestamp"].encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    assert headers["x-linli-signature"] == "sha256=" + expected
    assert abs(int(headers["x-linli-timestamp"]) - time.time()) < 60
    (d,) = deliveries(draft_id)
    assert headers["idempotency-key"] == d.idempotency_key == request["json"]["idempotency_key"]
    assert request["json"]["text"] == "今晚八点直播间见，橄榄油现场开瓶。"
    assert request["json"]["content_hash"] == d.content_hash and request["json"]["draft_id"] == draft_id
    tampered = request["body"].replace("八点".encode(), "九点".encode())
    forged = hmac.new(
        SECRET.encode(), headers["x-linli-timestamp"].encode() + b"." + tampered, hashlib.sha256
    )
    assert "sha256=" + forged.hexdigest() != headers["x-linli-signature"]


# -- retries -------------------------------------------------------------------------------------------------------


def test_5xx_is_retried_with_exponential_backoff_then_sent_under_one_key(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver)
    receiver.answer((500, {"error": "busy"}), (502, {"error": "gateway"}))
    draft_id = scheduled(["crm"])
    assert outbox.run_due(T0)["retrying"] == 1
    (d,) = deliveries(draft_id)
    assert (d.status, d.attempts, d.next_attempt_at, d.last_error) == (
        "pending",
        1,
        T0 + timedelta(seconds=30),
        "HTTP 500",
    )
    assert sum(outbox.run_due(T0 + timedelta(seconds=29)).values()) == 0  # not due yet
    assert outbox.run_due(T0 + timedelta(seconds=30))["retrying"] == 1
    (d,) = deliveries(draft_id)
    assert d.next_attempt_at == T0 + timedelta(seconds=30 + 60) and d.attempts == 2  # doubled
    assert outbox.run_due(T0 + timedelta(seconds=90))["sent"] == 1
    assert status(draft_id) == "sent" and deliveries(draft_id)[0].attempts == 3
    keys = {r["headers"]["Idempotency-Key"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(keys) == 1


def test_an_operator_retries_the_failed_channel_only(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver)
    receiver.answer((200, None), (400, {"error": "bad signature"}))  # 群1 takes it, the CRM refuses
    draft_id = scheduled(["群1", "crm"])
    first = outbox.run_due(T0)
    assert (first["sent"], first["failed"]) == (1, 1) and status(draft_id) == "failed", first
    host = Principal(user_id=None, name="laochen", role="host", communities=frozenset({community}))
    with pytest.raises(Forbidden), db.session_scope() as s:
        outbox.retry(s, host, draft_id)
    with db.session_scope() as s:
        again = outbox.retry(s, CLI, draft_id)
    assert again["status"] == "scheduled"
    assert outbox.run_due()["sent"] == 1 and status(draft_id) == "sent"  # due at once (the clock's now)
    paths = [r["path"] for r in receiver.requests]
    assert paths == ["/wecom/1", "/hook", "/hook"]  # 群1 once, never twice
    assert {d.channel: d.status for d in deliveries(draft_id)} == {"群1": "sent", "crm": "sent"}
    with pytest.raises(Conflict), db.session_scope() as s:  # a sent draft has nothing to retry
        outbox.retry(s, CLI, draft_id)
    with db.session_scope() as s:
        actions = [
            a for (a,) in s.execute(select(AuditEvent.action).where(AuditEvent.object_id == str(draft_id)))
        ]
    assert "draft.retry" in actions


def test_a_timeout_is_retried(community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, receiver, timeout_s="0.3")
    receiver.answer((200, None, 1.5))
    draft_id = scheduled(["群1"])
    assert outbox.run_due(T0)["retrying"] == 1
    (d,) = deliveries(draft_id)
    assert d.status == "pending" and d.last_error is not None and d.last_error.startswith("timeout")
    assert outbox.run_due(T0 + timedelta(minutes=1))["sent"] == 1
    assert status(draft_id) == "sent"


def test_4xx_fails_at_once_and_is_never_retried(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver)
    receiver.answer((400, {"error": "bad request"}))
    draft_id = scheduled(["crm"])
    assert outbox.run_due(T0)["failed"] == 1
    (d,) = deliveries(draft_id)
    assert (d.status, d.attempts) == ("failed", 1) and "HTTP 400" in (d.last_error or "")
    assert status(draft_id) == "failed"
    assert sum(outbox.run_due(T0 + timedelta(days=1)).values()) == 0 and len(receiver.requests) == 1


def test_wecom_errcode_other_than_zero_fails_and_its_rate_limit_retries(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver)
    receiver.answer((200, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    bad = scheduled(["群1"])
    assert outbox.run_due(T0)["failed"] == 1
    assert "93000" in (deliveries(bad)[0].last_error or "") and status(bad) == "failed"
    receiver.answer((200, {"errcode": 45009, "errmsg": "api freq out of limit"}))
    limited = scheduled(["群1"], body="明早十点到货，记得来取。")
    assert outbox.run_due(T0)["retrying"] == 1
    assert outbox.run_due(T0 + timedelta(minutes=5))["sent"] == 1 and status(limited) == "sent"


def test_retries_stop_after_the_last_attempt(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver, max_attempts="2")
    receiver.answer((503, {}), (503, {}), (503, {}))
    draft_id = scheduled(["crm"])
    outbox.run_due(T0)
    assert outbox.run_due(T0 + timedelta(minutes=10))["failed"] == 1
    (d,) = deliveries(draft_id)
    assert (d.status, d.attempts, d.last_error) == ("failed", 2, "HTTP 503")
    assert len(receiver.requests) == 2


# -- never twice, only what was approved ---------------------------------------------------------------------------


def test_two_workers_at_once_send_each_delivery_exactly_once(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver)
    receiver.delay = 0.15  # slow receiver: both workers are busy at the same time
    ids = [scheduled(["crm", "群1"], body=f"第{n}批到货，明早来取。") for n in "一二三四"]
    results = two_workers_at_once(T0)
    assert sum(r["sent"] for r in results) == 8 and all(r["sent"] for r in results)  # both did work
    keys = [
        r["headers"].get("Idempotency-Key") or r["path"] + r["json"]["text"]["content"]
        for r in receiver.requests
    ]
    assert len(keys) == 8 and len(set(keys)) == 8
    assert all(status(i) == "sent" for i in ids)
    assert outbox.run_due(T0 + timedelta(hours=2))["sent"] == 0 and len(receiver.requests) == 8
    taken = deliveries(ids[0])[0].idempotency_key
    with (
        pytest.raises(IntegrityError, match="UNIQUE|unique constraint"),
        db.session_scope() as s,
    ):  # unique in the database too
        s.add(Delivery(draft_id=ids[0], revision=1, channel="crm", idempotency_key=taken))


def test_text_changed_behind_the_approval_is_refused_and_nothing_is_sent(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver)
    draft_id = scheduled(["群1"])
    with db.get_engine().begin() as conn:  # someone bypasses the API and changes the stored text
        conn.execute(
            text("UPDATE draft_revisions SET text = '降血压神油，快抢！' WHERE draft_id = :d"),
            {"d": draft_id},
        )
    assert outbox.run_due(T0)["failed"] == 1
    (d,) = deliveries(draft_id)
    assert d.status == "failed" and "not the approved content" in (d.last_error or "")
    assert receiver.requests == [] and status(draft_id) == "failed"


def test_only_approved_content_can_be_scheduled_and_a_scheduled_draft_cannot_be_edited(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver)
    from api.services import edit_draft

    with db.session_scope() as s:
        doc = submit_text(s, CLI, None, community_id="linjia", kind="push", sku="X", text="明早到货。")
    with db.session_scope() as s, pytest.raises(Conflict, match="in_review"):
        outbox.schedule(s, CLI, doc["id"])
    draft_id = scheduled(["群1"])
    with db.session_scope() as s, pytest.raises(Conflict, match="scheduled"):
        edit_draft(s, CLI, None, draft_id, "改过的文字。")
    with db.session_scope() as s, pytest.raises(InvalidInput, match="another community"):
        outbox.schedule(s, CLI, approved(), channels=["别家群"])
    with db.session_scope() as s, pytest.raises(InvalidInput, match="not configured"):
        outbox.schedule(s, CLI, approved(), channels=["nowhere"])
    with db.session_scope() as s, pytest.raises(InvalidInput, match="limit of 2048 bytes"):
        outbox.schedule(s, CLI, approved(body="长" * 700), channels=["群1"])


def test_a_worker_that_vanished_mid_send_never_causes_a_double_wecom_post(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver)
    wecom = scheduled(["群1"])
    hook = scheduled(["crm"], body="明早十点到货，记得来取。")
    with db.get_engine().begin() as conn:  # both claimed by a worker that then died
        conn.execute(
            text("UPDATE deliveries SET status = 'sending', attempts = 1, lease_until = :t"),
            {"t": T0 - timedelta(minutes=1)},
        )
    counts = outbox.run_due(T0)
    assert counts["reaped"] == 2 and counts["sent"] == 1
    (w,) = deliveries(wecom)
    assert w.status == "failed" and "outcome unknown" in (w.last_error or "") and status(wecom) == "failed"
    (h,) = deliveries(hook)
    assert h.status == "sent" and status(hook) == "sent"
    assert [r["path"] for r in receiver.requests] == ["/hook"]
    assert receiver.requests[0]["headers"]["Idempotency-Key"] == h.idempotency_key


# -- quiet hours, caps, recall -------------------------------------------------------------------------------------


def test_quiet_hours_defer_until_they_end(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver, quiet_hours="22:00-08:00", utc_offset_hours="8")
    late = datetime(2026, 12, 1, 15, 0)  # 23:00 in China
    draft_id = scheduled(["群1"], at=late)
    assert outbox.run_due(late)["deferred"] == 1
    (d,) = deliveries(draft_id)
    assert d.next_attempt_at == datetime(2026, 12, 2, 0, 0) and "quiet hours" in (d.last_error or "")
    assert sum(outbox.run_due(datetime(2026, 12, 1, 23, 59)).values()) == 0  # 07:59 local: not yet due
    assert outbox.run_due(datetime(2026, 12, 2, 0, 0, 30))["sent"] == 1
    assert len(receiver.requests) == 1 and status(draft_id) == "sent"


def test_per_channel_frequency_caps_defer_the_rest(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver, per_minute="2", per_day="3")
    ids = [scheduled(["群1"], body=f"{n}号团购提醒：明早到货。") for n in "甲乙丙丁"]
    other = scheduled(["crm"])  # another channel is not held back by 群1's cap
    first = outbox.run_due(T0)
    assert (first["sent"], first["deferred"]) == (3, 2)
    held = [d for i in ids for d in deliveries(i) if d.status == "pending"]
    assert len(held) == 2 and all(d.next_attempt_at == T0 + timedelta(minutes=1) for d in held)
    assert deliveries(other)[0].status == "sent"
    second = outbox.run_due(T0 + timedelta(minutes=1))
    assert (second["sent"], second["deferred"]) == (
        1,
        1,
    )  # the third of the day; the fourth waits for tomorrow
    (last,) = [d for i in ids for d in deliveries(i) if d.status == "pending"]
    assert last.next_attempt_at == datetime(2026, 12, 1, 16, 0)  # midnight in China
    assert len([r for r in receiver.requests if r["path"] == "/wecom/1"]) == 3


def test_two_workers_at_once_never_send_past_the_frequency_cap(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cap is counted in the claim itself: the last free place of the minute goes to one worker only."""
    configure(monkeypatch, receiver, per_minute="2", per_day="10")
    receiver.delay = 0.3  # both workers check the cap while the other's messages are in flight
    ids = [scheduled(["群1"], body=f"{n}号团购提醒：明早到货。") for n in "甲乙丙丁戊己"]
    results = two_workers_at_once(T0)
    assert len([r for r in receiver.requests if r["path"] == "/wecom/1"]) == 2
    assert sum(r["sent"] for r in results) == 2
    held = [d for i in ids for d in deliveries(i) if d.status == "pending"]
    assert len(held) == 4 and all(d.next_attempt_at and d.next_attempt_at > T0 for d in held)
    later = outbox.run_due(T0 + timedelta(minutes=2))  # the next minute takes the next two
    assert later["sent"] == 2 and len(receiver.requests) == 4


def test_a_claim_waits_for_another_claim_on_its_channel_to_commit(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race the cap's lock closes, made certain: the first claim is held between its UPDATE and its commit
    while a second claim on the same channel runs. On PostgreSQL a statement sees only rows committed before it
    began, so without the per-channel lock the second claim would count no message in flight and take the
    minute's only place too; on SQLite the first claim's write lock holds the second back."""
    configure(monkeypatch, receiver, per_minute="1", per_day="10")
    first_id, second_id = (
        deliveries(scheduled(["群1"], body=f"{n}号团购提醒：明早到货。"))[0].id for n in "甲乙"
    )
    engine = db.get_engine()
    updated, release = threading.Event(), threading.Event()

    def hold(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if threading.current_thread().name == "first" and statement.lstrip().startswith("UPDATE deliveries"):
            updated.set()
            release.wait(10)

    claimed: dict[str, bool] = {}

    def claim(name: str, delivery_id: int) -> None:
        claimed[name] = outbox._claim(delivery_id, "群1", get_settings(), T0)

    event.listen(engine, "after_cursor_execute", hold)
    try:
        first = threading.Thread(target=claim, args=("first", first_id), name="first")
        first.start()
        assert updated.wait(10)  # the first claim has written and not yet committed
        second = threading.Thread(target=claim, args=("second", second_id), name="second")
        second.start()
        second.join(1.0)
        waited = second.is_alive()  # still waiting for the first claim's lock
        release.set()
        first.join(10)
        second.join(10)
    finally:
        release.set()
        event.remove(engine, "after_cursor_execute", hold)
    assert waited
    assert claimed == {"first": True, "second": False}  # the minute's one place went to the first claim only
    with db.session_scope() as s:
        assert s.get(Delivery, second_id).status == "pending"  # type: ignore[union-attr]


def test_recall_cancels_what_is_not_yet_sent(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver)
    draft_id = scheduled(["群1", "crm"], at=T0 + timedelta(hours=3))
    assert sum(outbox.run_due(T0).values()) == 0  # scheduled for later
    with db.session_scope() as s:
        doc = outbox.recall(s, CLI, draft_id, "价格写错了")
    assert doc["status"] == "recalled" and [d["status"] for d in doc["deliveries"]] == ["cancelled"] * 2
    assert sum(outbox.run_due(T0 + timedelta(hours=4)).values()) == 0
    assert receiver.requests == []
    with db.session_scope() as s:
        recall_event = s.scalars(select(AuditEvent).where(AuditEvent.action == "draft.recall")).one()
    assert recall_event.detail["cancelled_deliveries"] == 2 and recall_event.actor == "cli"


def test_a_script_is_never_delivered_and_a_community_needs_a_channel(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver)
    with db.session_scope() as s, pytest.raises(InvalidInput, match="script"):
        outbox.schedule(s, CLI, approved(kind="script"))
    monkeypatch.setenv("LINLI_OUTBOX_CHANNELS", "{}")
    get_settings.cache_clear()
    with db.session_scope() as s, pytest.raises(InvalidInput, match="no delivery channel"):
        outbox.schedule(s, CLI, approved())


def test_settings_refuse_a_webhook_without_a_real_secret_and_bad_quiet_hours(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "LINLI_OUTBOX_CHANNELS",
        '{"x": {"adapter": "webhook", "url": "http://127.0.0.1:1/", "community": "c", "secret": "changeme"}}',
    )
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="signing secret"):
        get_settings()
    monkeypatch.setenv("LINLI_OUTBOX_CHANNELS", "{}")
    monkeypatch.setenv("LINLI_OUTBOX_QUIET_HOURS", "10pm-8am")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="22:00-08:00"):
        get_settings()
    get_settings.cache_clear()


def test_linli_serve_delivers_in_process_on_its_own(
    community: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, receiver, worker_interval_s="0.2")
    draft_id = scheduled(["群1"], at=datetime(2026, 1, 1))
    with TestClient(create_app(kb=KnowledgeBase(get_settings()))) as client:
        worker = client.app.state.outbox_worker  # type: ignore[attr-defined]
        assert worker is not None
        deadline = time.time() + 20
        while not receiver.requests and time.time() < deadline:
            time.sleep(0.1)
    assert not worker.thread.is_alive() and worker.error is None
    assert len(receiver.requests) == 1 and status(draft_id) == "sent"


# -- the command line ----------------------------------------------------------------------------------------------


def test_cli_send_and_outbox_run(community: str, receiver: Receiver, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_LLM_")}
    env["LINLI_HOME"] = str(get_settings().home)
    env["LINLI_OUTBOX_QUIET_HOURS"] = ""
    env["LINLI_OUTBOX_CHANNELS"] = json.dumps(
        {"群1": {"adapter": "wecom", "url": receiver.url("/wecom/1"), "community": "linjia"}}
    )
    first, second = approved(), approved(body="明早十点到货，记得来取。")
    db.reset_engine()

    def linli(*args: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", *args, "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    sent = linli("drafts", "send", str(first))
    assert sent["status"] == "sent" and sent["outbox"]["sent"] == 1
    scheduled_doc = linli("drafts", "schedule", str(second))
    assert scheduled_doc["status"] == "scheduled"
    assert linli("outbox", "run")["sent"] == 1
    listed = linli("outbox", "list", "--status", "sent")["deliveries"]
    assert {d["draft_id"] for d in listed} == {first, second}
    assert [r["json"]["text"]["content"] for r in receiver.requests] == [
        "今晚八点直播间见，橄榄油现场开瓶。",
        "明早十点到货，记得来取。",
    ]
