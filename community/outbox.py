"""The outbox: approved pushes and 接龙 posts delivered to WeCom group robots and HMAC-signed webhooks.

Public functions:
- ``schedule(session, actor, draft_id, at=None, channels=None)`` → draft document (approved → scheduled; one
  ``Delivery`` per channel, its idempotency key derived from draft, revision, approved hash and channel)
- ``recall(session, actor, draft_id, reason)`` → draft document (approved | scheduled → recalled; pending
  deliveries cancelled)
- ``run_due(now=None, draft_id=None, limit=100)`` → ``{"sent", "retrying", "failed", "deferred", "skipped",
  "cancelled"}``: the worker. It opens its own units of work: a delivery is claimed (pending → sending, a
  compare-and-set committed before any request), sent, and its outcome committed; two workers never send the same
  delivery, and a delivery once sent is never sent again.
- ``list_deliveries(session, actor, status=None, draft_id=None, limit=100)`` → list of deliveries
- ``Worker(interval).start()`` / ``.stop()``: ``run_due`` on a thread (what `linli serve` runs in-process)
- ``wecom_payload(text, fmt)`` and ``sign(secret, timestamp, body)``: the adapters' wire formats

Only the approved content goes out: at schedule time and again right before each request, the draft's current
revision must be the approved one and its text must still hash to the approved hash; otherwise nothing is sent.
Retries (exponential backoff) on 5xx, timeouts, connection errors and WeCom's rate-limit errcode; no retry on 4xx or
any other non-zero errcode. Quiet hours and per-channel frequency caps defer a delivery, never drop it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session, aliased

from community import audit, review
from community.db import session_scope
from community.drafts import content_hash, delivery_dict, draft_document, get_draft, get_revision
from community.errors import Conflict, InvalidInput
from community.models import Delivery, Draft, utcnow
from community.principal import Principal
from community.workers import PeriodicWorker
from settings import OutboxChannel, Settings, get_settings

DELIVERABLE = ("push", "chain")
# WeCom group robot limits: text content up to 2048 bytes, markdown up to 4096 bytes (UTF-8)
WECOM_LIMITS = {"text": 2048, "markdown": 4096}
WECOM_RETRYABLE = {45009, -1}  # "api freq out of limit", "system busy"
WORKER = Principal(user_id=None, name="outbox", role="system", communities=None)


# -- wire formats --------------------------------------------------------------------------------------------------


def wecom_payload(text: str, fmt: str = "text") -> dict[str, Any]:
    """The WeCom group robot message: ``{"msgtype": "text", "text": {"content": …}}`` or the markdown form."""
    if fmt not in WECOM_LIMITS:
        raise InvalidInput(f"format: must be text or markdown, got {fmt!r}")
    return {"msgtype": fmt, fmt: {"content": text}}


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``timestamp + "." + body``, hex: the ``X-Linli-Signature`` header (``sha256=<hex>``)."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _idempotency_key(draft_id: int, revision: int, approved_hash: str, channel: str) -> str:
    raw = f"{draft_id}:{revision}:{approved_hash}:{channel}".encode()
    return hashlib.sha256(raw).hexdigest()[:40]


def _naive_utc(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def _channels(
    settings: Settings, community_id: str, names: list[str] | None
) -> list[tuple[str, OutboxChannel]]:
    configured = settings.outbox_channels
    if names:
        unknown = [n for n in names if n not in configured]
        if unknown:
            raise InvalidInput(f"channels: not configured in LINLI_OUTBOX_CHANNELS: {', '.join(unknown)}")
        foreign = [n for n in names if configured[n].community != community_id]
        if foreign:
            raise InvalidInput(f"channels: {', '.join(foreign)} belong to another community")
        return [(n, configured[n]) for n in names]
    found = [(n, c) for n, c in sorted(configured.items()) if c.community == community_id]
    if not found:
        raise InvalidInput(
            f"community {community_id!r} has no delivery channel: add one to LINLI_OUTBOX_CHANNELS "
            '(e.g. {"群1": {"adapter": "wecom", "url": "https://qyapi.weixin.qq.com/…", "community": "'
            f'{community_id}"}}}})'
        )
    return found


def _require_approved_content(session: Session, draft: Draft) -> Any:
    """The current revision must be the approved one, and its text must still hash to the approved hash."""
    rev = get_revision(session, draft)
    if (
        draft.approved_hash is None
        or draft.approved_revision != rev.number
        or rev.content_hash != draft.approved_hash
        or content_hash(rev.text, rev.audience) != draft.approved_hash
    ):
        raise Conflict(
            f"draft {draft.id}: revision {rev.number} is not the approved content "
            f"(approved revision {draft.approved_revision}); only approved text is sent",
            current=review.current_state(session, draft.id),
        )
    return rev


# -- schedule and recall ----------------------------------------------------------------------------------------


def schedule(
    session: Session,
    actor: Principal,
    draft_id: int,
    at: datetime | None = None,
    channels: list[str] | None = None,
) -> dict[str, Any]:
    """Queue an approved push or 接龙 post for its community's channels (or the ones named) at ``at`` (UTC)."""
    actor.require_reviewer()
    draft = get_draft(session, actor, draft_id)
    if draft.kind not in DELIVERABLE:
        raise InvalidInput(
            f"draft {draft.id} is a {draft.kind}: only pushes and 接龙 posts are delivered (a script is read live)"
        )
    review.require(draft, "schedule")
    rev = _require_approved_content(session, draft)
    settings = get_settings()
    targets = _channels(settings, draft.community_id, channels)
    for name, channel in targets:
        if channel.adapter == "wecom":
            size = len(rev.text.encode())
            if size > WECOM_LIMITS[channel.format]:
                raise InvalidInput(
                    f"text: {size} bytes is over WeCom's {channel.format} limit of "
                    f"{WECOM_LIMITS[channel.format]} bytes for channel {name}; shorten it (a new revision)"
                )
    when = _naive_utc(at) if at is not None else utcnow()
    before, after = review.move(session, draft, "schedule", revision=rev.number)
    keys = []
    for name, channel in targets:
        key = _idempotency_key(draft.id, rev.number, rev.content_hash, name)
        keys.append(key)
        session.add(
            Delivery(
                draft_id=draft.id,
                revision=rev.number,
                channel=name,
                adapter=channel.adapter,
                idempotency_key=key,
                status="pending",
                attempts=0,
                community_id=draft.community_id,
                content_hash=rev.content_hash,
                scheduled_at=when,
                next_attempt_at=when,
                updated_at=utcnow(),
            )
        )
    review.record_review(
        session,
        actor,
        draft,
        rev,
        "schedule",
        None,
        before,
        after,
        {"channels": [n for n, _ in targets], "at": when.isoformat() + "Z", "idempotency_keys": keys},
    )
    return draft_document(session, draft)


def recall(session: Session, actor: Principal, draft_id: int, reason: str) -> dict[str, Any]:
    """Withdraw an approved or scheduled draft; its deliveries not yet claimed are cancelled (one being sent at this
    moment cannot be stopped and is reported)."""
    actor.require_reviewer()
    if not reason or not reason.strip():
        raise InvalidInput("reason: a recall needs a reason")
    draft = get_draft(session, actor, draft_id)
    review.require(draft, "recall")
    rev = get_revision(session, draft)
    before, after = review.move(session, draft, "recall", revision=rev.number)
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Delivery)
            .where(Delivery.draft_id == draft.id, Delivery.status == "pending")
            .values(status="cancelled", updated_at=utcnow(), last_error=f"recalled: {reason.strip()}"),
            execution_options={"synchronize_session": False},
        ),
    )
    in_flight = session.scalar(
        select(func.count(Delivery.id)).where(Delivery.draft_id == draft.id, Delivery.status == "sending")
    )
    review.record_review(
        session,
        actor,
        draft,
        rev,
        "recall",
        reason.strip(),
        before,
        after,
        {"cancelled_deliveries": result.rowcount, "in_flight": in_flight},
    )
    return draft_document(session, draft)


def retry(session: Session, actor: Principal, draft_id: int) -> dict[str, Any]:
    """A failed draft's failed deliveries go out again (pending now, attempts counted afresh, the last error kept
    until the next attempt); what was sent is never sent again. Only the approved revision and hash, as ever."""
    actor.require_reviewer()
    draft = get_draft(session, actor, draft_id)
    review.require(draft, "retry")
    rev = _require_approved_content(session, draft)
    failed = list(
        session.scalars(select(Delivery).where(Delivery.draft_id == draft.id, Delivery.status == "failed"))
    )
    if not failed:
        raise Conflict(
            f"draft {draft.id} has no failed delivery to retry",
            current=review.current_state(session, draft.id),
        )
    stale = [d.channel for d in failed if d.revision != rev.number or d.content_hash != rev.content_hash]
    if stale:
        raise Conflict(
            f"draft {draft.id}: the failed deliveries to {', '.join(stale)} are not of the approved revision",
            current=review.current_state(session, draft.id),
        )
    before, after = review.move(session, draft, "retry", revision=rev.number)
    now = utcnow()
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_([d.id for d in failed]), Delivery.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=now, lease_until=None, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    review.record_review(
        session,
        actor,
        draft,
        rev,
        "retry",
        None,
        before,
        after,
        {"channels": [d.channel for d in failed], "idempotency_keys": [d.idempotency_key for d in failed]},
    )
    return draft_document(session, draft)


def list_deliveries(
    session: Session,
    actor: Principal,
    *,
    status: str | None = None,
    draft_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    stmt = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if actor.communities is not None:
        stmt = stmt.where(Delivery.community_id.in_(sorted(actor.communities)))
    if status:
        stmt = stmt.where(Delivery.status == status)
    if draft_id is not None:
        stmt = stmt.where(Delivery.draft_id == draft_id)
    return [{**delivery_dict(d), "draft_id": d.draft_id} for d in session.scalars(stmt)]


# -- the worker ----------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    retryable: bool
    error: str | None = None
    response: str | None = None


def _post(client: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response | Outcome:
    try:
        return client.post(url, content=body, headers={"Content-Type": "application/json", **headers})
    except httpx.TimeoutException as exc:
        return Outcome(False, True, f"timeout: {type(exc).__name__}")
    except httpx.TransportError as exc:
        return Outcome(False, True, f"connection error: {type(exc).__name__}: {exc}")


def _http_outcome(response: httpx.Response) -> Outcome | None:
    """5xx: retry; 4xx: final; None when the status is a success."""
    if response.status_code >= 500:
        return Outcome(False, True, f"HTTP {response.status_code}", response.text[:500])
    if response.status_code >= 400:
        return Outcome(False, False, f"HTTP {response.status_code} (not retried)", response.text[:500])
    if response.status_code >= 300:
        return Outcome(False, False, f"HTTP {response.status_code}: redirects are not followed", None)
    return None


def send_wecom(client: httpx.Client, channel: OutboxChannel, text: str) -> Outcome:
    """POST the robot message; WeCom answers 200 with ``{"errcode": 0, "errmsg": "ok"}`` — any other errcode fails."""
    body = json.dumps(wecom_payload(text, channel.format), ensure_ascii=False).encode()
    response = _post(client, channel.url, body, {})
    if isinstance(response, Outcome):
        return response
    bad = _http_outcome(response)
    if bad is not None:
        return bad
    try:
        answer = response.json()
        errcode = int(answer.get("errcode", -999))
    except (ValueError, AttributeError, TypeError):
        return Outcome(False, False, "WeCom answered something that is not its JSON", response.text[:500])
    if errcode != 0:
        return Outcome(
            False,
            errcode in WECOM_RETRYABLE,
            f"WeCom errcode {errcode}: {answer.get('errmsg', '')}",
            response.text[:500],
        )
    return Outcome(True, False, None, response.text[:500])


def send_webhook(client: httpx.Client, channel: OutboxChannel, payload: dict[str, Any]) -> Outcome:
    """POST a JSON document signed with HMAC-SHA256 over ``timestamp.body`` (``X-Linli-Signature``), with the
    delivery's ``Idempotency-Key`` so the receiver can drop a repeat."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    secret = channel.secret.get_secret_value().encode() if channel.secret else b""
    headers = {
        "X-Linli-Timestamp": timestamp,
        "X-Linli-Signature": sign(secret, timestamp, body),
        "Idempotency-Key": str(payload["idempotency_key"]),
    }
    response = _post(client, channel.url, body, headers)
    if isinstance(response, Outcome):
        return response
    bad = _http_outcome(response)
    return bad if bad is not None else Outcome(True, False, None, response.text[:500])


def _local(settings: Settings, at: datetime) -> datetime:
    return at + timedelta(hours=settings.outbox_utc_offset_hours)


def quiet_until(settings: Settings, now: datetime) -> datetime | None:
    """The UTC moment quiet hours end, when ``now`` (naive UTC) falls inside them; else None."""
    if not settings.outbox_quiet_hours:
        return None
    start_s, end_s = settings.outbox_quiet_hours.split("-")
    local = _local(settings, now)
    start = local.replace(hour=int(start_s[:2]), minute=int(start_s[3:]), second=0, microsecond=0)
    end = local.replace(hour=int(end_s[:2]), minute=int(end_s[3:]), second=0, microsecond=0)
    offset = timedelta(hours=settings.outbox_utc_offset_hours)
    if start <= end:  # e.g. 12:00-14:00
        return end - offset if start <= local < end else None
    # across midnight, e.g. 22:00-08:00
    if local >= start:
        return end + timedelta(days=1) - offset
    if local < end:
        return end - offset
    return None


def _day_start(settings: Settings, now: datetime) -> datetime:
    offset = timedelta(hours=settings.outbox_utc_offset_hours)
    return _local(settings, now).replace(hour=0, minute=0, second=0, microsecond=0) - offset


def _taking_a_place(d: Any, channel: str, since: datetime) -> Any:
    """A delivery (``Delivery`` or an alias of it) that uses one of the channel's places since ``since``: sent
    after it, or being sent right now."""
    return (d.channel == channel) & (((d.status == "sent") & (d.sent_at > since)) | (d.status == "sending"))


def _windows(settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    """The caps' windows: the last minute, and the group's local day so far (``sent_at >= midnight``)."""
    return now - timedelta(minutes=1), _day_start(settings, now) - timedelta(microseconds=1)


def _cap_until(session: Session, settings: Settings, channel: str, now: datetime) -> datetime | None:
    """When the channel may take its next message under the per-minute and per-day caps; None if it may now.
    A message another worker is sending right now counts as sent now."""
    minute_ago, today_since = _windows(settings, now)
    recent = sorted(
        (sent_at if status == "sent" and sent_at else now)
        for status, sent_at in session.execute(
            select(Delivery.status, Delivery.sent_at).where(_taking_a_place(Delivery, channel, minute_ago))
        )
    )
    if len(recent) >= settings.outbox_per_minute:
        return recent[len(recent) - settings.outbox_per_minute] + timedelta(minutes=1)
    today = session.scalar(
        select(func.count(Delivery.id)).where(_taking_a_place(Delivery, channel, today_since))
    )
    if (today or 0) >= settings.outbox_per_day:
        return _day_start(settings, now) + timedelta(days=1)
    return None


def _under_caps(channel: str, settings: Settings, now: datetime) -> list[Any]:
    """The caps as conditions of the claim itself: counted in the same statement that claims, so two workers
    can never both take the last free place of a minute or a day."""
    other = aliased(Delivery)
    minute_ago, today_since = _windows(settings, now)

    def used(since: datetime) -> Any:
        return select(func.count(other.id)).where(_taking_a_place(other, channel, since)).scalar_subquery()

    return [used(minute_ago) < settings.outbox_per_minute, used(today_since) < settings.outbox_per_day]


def _finish_draft(session: Session, draft_id: int) -> None:
    """A scheduled draft whose deliveries are all done becomes sent (every one sent) or failed (any failed)."""
    draft = session.get(Draft, draft_id)
    if draft is None or draft.status != "scheduled":
        return
    statuses = list(
        session.scalars(
            select(Delivery.status).where(
                Delivery.draft_id == draft_id, Delivery.revision == draft.current_revision
            )
        )
    )
    if not statuses or any(s in ("pending", "sending") for s in statuses):
        return
    action = "sent" if all(s in ("sent", "cancelled") for s in statuses) else "failed"
    rev = get_revision(session, draft)
    try:
        before, after = review.move(session, draft, action, revision=rev.number)
    except Conflict:
        return  # recalled or finished by another worker meanwhile
    audit.record(
        session,
        WORKER,
        f"draft.{action}",
        "draft",
        draft.id,
        community_id=draft.community_id,
        before_hash=rev.content_hash,
        after_hash=rev.content_hash if action == "sent" else None,
        detail={"revision": rev.number, "from": before, "to": after, "deliveries": statuses},
    )


def _defer(delivery_id: int, until: datetime, why: str) -> None:
    with session_scope() as s:
        s.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.status == "pending")
            .values(next_attempt_at=until, last_error=why, updated_at=utcnow()),
            execution_options={"synchronize_session": False},
        )


def _refuse(delivery_id: int, why: str, status: str = "failed") -> None:
    """End a pending delivery without sending it (content no longer the approved one, draft recalled …)."""
    with session_scope() as s:
        result = cast(
            CursorResult[Any],
            s.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.status == "pending")
                .values(status=status, last_error=why, updated_at=utcnow()),
                execution_options={"synchronize_session": False},
            ),
        )
        if result.rowcount == 1:
            d = s.get(Delivery, delivery_id)
            assert d is not None
            audit.record(
                s,
                WORKER,
                f"delivery.{'refused' if status == 'failed' else status}",
                "delivery",
                delivery_id,
                community_id=d.community_id,
                before_hash=d.content_hash,
                detail={"draft_id": d.draft_id, "channel": d.channel, "reason": why},
            )
            _finish_draft(s, d.draft_id)


def _reap(settings: Settings, now: datetime) -> int:
    """Deliveries claimed by a worker that vanished (lease over). A signed webhook is tried again (the receiver drops
    a repeat by its Idempotency-Key); a WeCom robot has no such key, so the delivery fails as 'outcome unknown'
    rather than risk a double post."""
    reaped = 0
    with session_scope() as s:
        stale = list(
            s.scalars(select(Delivery).where(Delivery.status == "sending", Delivery.lease_until < now))
        )
        for d in stale:
            if d.adapter == "webhook" and d.attempts < settings.outbox_max_attempts:
                values: dict[str, Any] = {"status": "pending", "next_attempt_at": now, "lease_until": None}
                values["last_error"] = "worker stopped mid-send; retried with the same Idempotency-Key"
            else:
                values = {
                    "status": "failed",
                    "lease_until": None,
                    "last_error": "outcome unknown: the worker stopped while sending; not resent to avoid a "
                    "double post (check the group)",
                }
            result = cast(
                CursorResult[Any],
                s.execute(
                    update(Delivery)
                    .where(Delivery.id == d.id, Delivery.status == "sending", Delivery.lease_until < now)
                    .values(updated_at=utcnow(), **values),
                    execution_options={"synchronize_session": False},
                ),
            )
            reaped += result.rowcount
            if values["status"] == "failed":
                _finish_draft(s, d.draft_id)
    return reaped


def _claim(delivery_id: int, channel: str, settings: Settings, now: datetime) -> bool:
    """pending → sending by compare-and-set, committed before the request goes out: one worker wins, and only
    while the channel is under its caps (counted in the same statement; on PostgreSQL under a per-channel lock,
    since its statements see the rows committed when they began)."""
    with session_scope() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"linli-outbox:{channel}"))))
        result = cast(
            CursorResult[Any],
            s.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.status == "pending",
                    *_under_caps(channel, settings, now),
                )
                .values(
                    status="sending",
                    attempts=Delivery.attempts + 1,
                    lease_until=now + timedelta(seconds=settings.outbox_lease_s),
                    updated_at=utcnow(),
                ),
                execution_options={"synchronize_session": False},
            ),
        )
        return result.rowcount == 1


def _record(delivery_id: int, outcome: Outcome, settings: Settings, now: datetime) -> str:
    with session_scope() as s:
        d = s.get(Delivery, delivery_id)
        assert d is not None
        if d.status != "sending":  # the lease ran out and the reaper took it back meanwhile
            return "skipped"
        if outcome.ok:
            status, values = "sent", {"sent_at": now, "last_error": None}
        elif outcome.retryable and d.attempts < settings.outbox_max_attempts:
            delay = settings.outbox_backoff_s * 2 ** (d.attempts - 1)
            status, values = "retrying", {"next_attempt_at": now + timedelta(seconds=delay)}
        else:
            status, values = "failed", {}
        s.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.status == "sending")
            .values(
                status="pending" if status == "retrying" else status,
                lease_until=None,
                updated_at=utcnow(),
                response=outcome.response,
                **({"last_error": outcome.error} | values),
            ),
            execution_options={"synchronize_session": False},
        )
        audit.record(
            s,
            WORKER,
            f"delivery.{status}",
            "delivery",
            d.id,
            community_id=d.community_id,
            before_hash=d.content_hash,
            after_hash=d.content_hash if status == "sent" else None,
            detail={
                "draft_id": d.draft_id,
                "revision": d.revision,
                "channel": d.channel,
                "attempt": d.attempts,
                "idempotency_key": d.idempotency_key,
                "error": outcome.error,
            },
        )
        s.flush()
        if status in ("sent", "failed"):
            _finish_draft(s, d.draft_id)
    return status


def run_due(
    now: datetime | None = None,
    *,
    draft_id: int | None = None,
    limit: int = 100,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """Process deliveries that are due (``now``: naive UTC, default the clock). Safe to run twice at once."""
    settings = get_settings()
    now = now or utcnow()
    counts = dict.fromkeys(("sent", "retrying", "failed", "deferred", "skipped", "cancelled", "reaped"), 0)
    counts["reaped"] = _reap(settings, now)
    with session_scope() as s:
        stmt = (
            select(Delivery.id)
            .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
        )
        if draft_id is not None:
            stmt = stmt.where(Delivery.draft_id == draft_id)
        due = list(s.scalars(stmt))
    own_client = client is None
    http = client or httpx.Client(timeout=settings.outbox_timeout_s, follow_redirects=False)
    try:
        for delivery_id in due:
            counts[_process(delivery_id, settings, now, http)] += 1
    finally:
        if own_client:
            http.close()
    return counts


def _verdict(
    session: Session, draft: Draft, d: Delivery, channel: OutboxChannel | None
) -> tuple[str, str] | None:
    """Why a due delivery must not go out (status to end it with, reason), or None when it may."""
    if draft.status != "scheduled":
        return ("cancelled", f"draft is {draft.status}")
    if channel is None:
        return ("failed", f"channel {d.channel!r} is no longer configured")
    try:
        rev = _require_approved_content(session, draft)
    except Conflict as exc:
        return ("failed", f"refused: {exc.detail}")
    if rev.number != d.revision or rev.content_hash != d.content_hash:
        return ("failed", "refused: the delivery's content is not the approved revision")
    return None


def _process(delivery_id: int, settings: Settings, now: datetime, http: httpx.Client) -> str:
    with session_scope() as s:
        d = s.get(Delivery, delivery_id)
        if d is None or d.status != "pending":
            return "skipped"
        draft = s.get(Draft, d.draft_id)
        assert draft is not None
        channel = settings.outbox_channels.get(d.channel)
        verdict = _verdict(s, draft, d, channel)
        wait: tuple[datetime, str] | None = None
        if verdict is None:
            text = get_revision(s, draft).text
            payload = {
                "delivery_id": d.id,
                "idempotency_key": d.idempotency_key,
                "draft_id": draft.id,
                "revision": d.revision,
                "kind": draft.kind,
                "community_id": draft.community_id,
                "channel": d.channel,
                "content_hash": d.content_hash,
                "text": text,
            }
            quiet = quiet_until(settings, now)
            if quiet is not None:
                wait = (quiet, f"quiet hours ({settings.outbox_quiet_hours}) until {quiet.isoformat()}Z")
            else:
                cap = _cap_until(s, settings, d.channel, now)
                if cap is not None:
                    wait = (cap, f"frequency cap of channel {d.channel} until {cap.isoformat()}Z")
    if verdict is not None:
        _refuse(delivery_id, verdict[1], verdict[0])
        return verdict[0]
    if wait is not None:
        _defer(delivery_id, *wait)
        return "deferred"
    if not _claim(delivery_id, d.channel, settings, now):
        with session_scope() as s:
            still = s.get(Delivery, delivery_id)
            cap = _cap_until(s, settings, d.channel, now) if still and still.status == "pending" else None
        if cap is None:
            return "skipped"  # another worker claimed it first
        # another worker took the channel's last free place between the check above and the claim
        _defer(delivery_id, cap, f"frequency cap of channel {d.channel} until {cap.isoformat()}Z")
        return "deferred"
    assert channel is not None
    if channel.adapter == "wecom":
        outcome = send_wecom(http, channel, text)
    else:
        outcome = send_webhook(http, channel, payload)
    return _record(delivery_id, outcome, settings, now)


class Worker(PeriodicWorker):
    """The in-process outbox worker of `linli serve`: ``run_due`` every ``interval`` seconds on a daemon thread
    (``LINLI_OUTBOX_WORKER_INTERVAL_S``; 0 = off, deliver with `linli outbox run` from cron instead). Running it
    next to a cron job is safe: deliveries are claimed, never sent twice."""

    name = "linli-outbox"

    def round(self) -> dict[str, Any]:
        return run_due()

    def stop_timeout(self) -> float:
        return self.interval + get_settings().outbox_timeout_s + 5
