"""Drafts, their revisions and findings: store, read, list (the review state machine is ``community.review``).

Public functions (routes, CLI and the web pages call these):
- ``create_draft(session, actor, community_id=, kind=, sku=, segment=, event=, composed=, findings=)`` → draft document
- ``get_draft(session, actor, draft_id)`` → ``Draft`` (404 for another community's draft)
- ``draft_document(session, draft, revision=None)`` → the full document: text, sentences, findings, reviews,
  revision history, deliveries
- ``list_drafts(session, actor, community_id=, status=, kind=, sku=, limit=50, offset=0)`` → list rows
- ``draft_page(session, actor, …same filters…)`` → ``{"drafts", "total", "limit", "offset", "counts"}``
- ``content_hash(text, audience)``; ``ComposedRevision`` (what a composer hands over)

``approve`` and ``reject`` are kept here for old callers; they are ``community.review.approve`` / ``reject``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from community import audit, stamps
from community.errors import InvalidInput, NotFound
from community.members import iso
from community.models import Delivery, Draft, DraftRevision, Finding, Review
from community.principal import Principal
from community.users import get_community

KINDS = ("script", "chain", "push")
SEVERITIES = ("block", "warn", "info")
STATES = ("in_review", "changes_requested", "approved", "rejected", "scheduled", "sent", "failed", "recalled")
DEFAULT_PAGE = 50
MAX_PAGE = 500


@dataclass
class ComposedRevision:
    """What a composer hands over: the text, its sentences with citations, and who wrote it."""

    text: str
    sentences: list[dict[str, Any]]
    composer: str
    prompt_version: str
    model: str | None = None
    audience: dict[str, Any] = field(default_factory=dict)
    trace: dict[str, Any] = field(default_factory=dict)


def content_hash(text: str, audience: dict[str, Any]) -> str:
    payload = json.dumps({"text": text, "audience": audience}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "category": f.category,
        "severity": f.severity,
        "start": f.start,
        "end": f.end,
        "text": f.text,
        "message": f.message,
        "suggestion": f.suggestion,
        "rewrite": f.rewrite,
        "rewrite_citations": list(f.rewrite_citations or []),
    }


def get_revision(session: Session, draft: Draft, number: int | None = None) -> DraftRevision:
    number = number or draft.current_revision
    rev = session.scalar(
        select(DraftRevision).where(DraftRevision.draft_id == draft.id, DraftRevision.number == number)
    )
    if rev is None:
        raise NotFound(f"draft {draft.id} has no revision {number}")
    return rev


def _head(draft: Draft, rev: DraftRevision) -> dict[str, Any]:
    """What both the full draft document and a list row start with."""
    return {
        "id": draft.id,
        "revision": rev.number,
        "kind": draft.kind,
        "status": draft.status,
        "community_id": draft.community_id,
        "sku": draft.sku,
        "segment": draft.segment,
    }


_REVIEWS = (
    select(
        Review.action,
        Review.revision,
        Review.reason,
        Review.content_hash,
        Review.actor,
        Review.actor_role,
        Review.created_at,
    )
    .where(Review.draft_id == bindparam("draft_id"))
    .order_by(Review.id)
)
_HISTORY = (
    select(
        DraftRevision.number,
        DraftRevision.composer,
        DraftRevision.ai_generated,
        DraftRevision.content_hash,
        DraftRevision.parent_revision,
        DraftRevision.edited_by,
        DraftRevision.feedback,
        DraftRevision.created_at,
    )
    .where(DraftRevision.draft_id == bindparam("draft_id"))
    .order_by(DraftRevision.number)
)
_DELIVERIES = (
    select(*Delivery.__table__.columns)
    .where(Delivery.draft_id == bindparam("draft_id"))
    .order_by(Delivery.id)
)


def draft_document(session: Session, draft: Draft, revision: int | None = None) -> dict[str, Any]:
    """The whole draft as the API shows it: the current (or the named) revision, its findings, the review
    history, every revision's lineage and the deliveries."""
    rev = get_revision(session, draft, revision)
    # the history as plain rows: no revision texts, no findings of older revisions
    conn = session.connection()
    reviews = conn.execute(_REVIEWS, {"draft_id": draft.id})
    history = conn.execute(_HISTORY, {"draft_id": draft.id})
    deliveries = conn.execute(_DELIVERIES, {"draft_id": draft.id})
    return {
        **_head(draft, rev),
        "current_revision": draft.current_revision,
        "version": draft.version,
        "approved_revision": draft.approved_revision,
        "approved_hash": draft.approved_hash,
        "event": draft.event,
        "text": rev.text,
        "sentences": rev.sentences,
        "findings": [finding_dict(f) for f in rev.findings],
        "content_hash": rev.content_hash,
        "audience": rev.audience,
        "composer": rev.composer,
        "prompt_version": rev.prompt_version,
        "model": rev.model,
        "ai_generated": rev.ai_generated,
        "parent_revision": rev.parent_revision,
        "edited_by": rev.edited_by,
        "feedback": rev.feedback,
        "trace": rev.trace,
        "created_at": iso(draft.created_at),
        "updated_at": iso(draft.updated_at),
        "reviews": [
            {
                "action": r.action,
                "revision": r.revision,
                "reason": r.reason,
                "content_hash": r.content_hash,
                "by": r.actor,
                "role": r.actor_role,
                "at": iso(r.created_at),
            }
            for r in reviews
        ],
        "revisions": [
            {
                "number": h.number,
                "composer": h.composer,
                "ai_generated": h.ai_generated,
                "content_hash": h.content_hash,
                "parent_revision": h.parent_revision,
                "edited_by": h.edited_by,
                "feedback": h.feedback,
                "created_at": iso(h.created_at),
            }
            for h in history
        ],
        "deliveries": [delivery_dict(d) for d in deliveries],
    }


def delivery_dict(d: Any) -> dict[str, Any]:
    """A delivery (the model or a row of its columns) as the API shows it."""
    return {
        "id": d.id,
        "revision": d.revision,
        "channel": d.channel,
        "adapter": d.adapter,
        "status": d.status,
        "attempts": d.attempts,
        "idempotency_key": d.idempotency_key,
        "content_hash": d.content_hash,
        "scheduled_at": iso(d.scheduled_at) if d.scheduled_at else None,
        "next_attempt_at": iso(d.next_attempt_at) if d.next_attempt_at else None,
        "sent_at": iso(d.sent_at) if d.sent_at else None,
        "last_error": d.last_error,
    }


def create_draft(
    session: Session,
    actor: Principal,
    *,
    community_id: str,
    kind: str,
    sku: str,
    segment: str | None,
    event: str | None,
    composed: ComposedRevision,
    findings: list[dict[str, Any]],
) -> dict[str, Any]:
    actor.require_community(community_id)
    get_community(session, community_id)
    if kind not in KINDS:
        raise InvalidInput(f"kind: must be one of {', '.join(KINDS)}, got {kind!r}")
    draft = Draft(
        community_id=community_id,
        kind=kind,
        sku=sku,
        segment=segment,
        event=event,
        status="in_review",
        current_revision=1,
        created_by=actor.user_id,
    )
    session.add(draft)
    session.flush()
    rev = store_revision(session, actor, draft, 1, composed, findings)
    audit.record(
        session,
        actor,
        "draft.create",
        "draft",
        draft.id,
        community_id=community_id,
        after_hash=rev.content_hash,
        detail={
            "kind": kind,
            "sku": sku,
            "segment": segment,
            "composer": composed.composer,
            "findings": len(findings),
            "blocking": sum(1 for f in findings if f["severity"] == "block"),
        },
    )
    session.flush()
    return draft_document(session, draft)


def store_revision(
    session: Session,
    actor: Principal,
    draft: Draft,
    number: int,
    composed: ComposedRevision,
    findings: list[dict],
    *,
    parent: DraftRevision | None = None,
    feedback: str | None = None,
) -> DraftRevision:
    """Store one revision with its findings. An edit of an AI draft stays ``ai_generated`` (it derives from the
    model's text) and names its parent and its editor."""
    ai_generated = composed.composer != "human" or bool(parent is not None and parent.ai_generated)
    rev = DraftRevision(
        draft_id=draft.id,
        number=number,
        text=composed.text,
        content_hash=content_hash(composed.text, composed.audience),
        sentences=composed.sentences,
        composer=composed.composer,
        prompt_version=composed.prompt_version,
        model=composed.model,
        ai_generated=ai_generated,
        audience=composed.audience,
        trace=composed.trace,
        parent_revision=parent.number if parent is not None else None,
        edited_by=actor.name if parent is not None and composed.composer == "human" else None,
        feedback=feedback,
        created_by=actor.user_id,
    )
    session.add(rev)
    session.flush()
    for f in findings:
        if f["severity"] not in SEVERITIES:
            raise InvalidInput(f"finding {f['rule']}: unknown severity {f['severity']!r}")
        session.add(
            Finding(
                revision_id=rev.id,
                **{
                    k: f.get(k)
                    for k in ("rule", "category", "severity", "start", "end", "text", "message", "suggestion")
                },
                rewrite=f.get("rewrite"),
                rewrite_citations=list(f.get("rewrite_citations") or []) or None,
            )
        )
    session.flush()
    session.refresh(rev)
    return rev


def get_draft(session: Session, actor: Principal, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None or not actor.can_see(draft.community_id):
        raise NotFound(f"draft {draft_id} not found")
    return draft


def _check_filters(status: str | None, kind: str | None, limit: int, offset: int) -> None:
    if status and status not in STATES:
        raise InvalidInput(f"status: must be one of {', '.join(STATES)}, got {status!r}")
    if kind and kind not in KINDS:
        raise InvalidInput(f"kind: must be one of {', '.join(KINDS)}, got {kind!r}")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit: must be between 1 and {MAX_PAGE}, got {limit}")
    if offset < 0:
        raise InvalidInput(f"offset: must not be negative, got {offset}")


def _severity_count(severity: str) -> Any:
    return (
        select(func.count())
        .where(Finding.revision_id == DraftRevision.id, Finding.severity == severity)
        .correlate(DraftRevision)
        .scalar_subquery()
        .label(severity)
    )


def _filtered(stmt: Any, scope: str, status: bool, kind: bool, sku: bool) -> Any:
    """The filters as bound parameters, so each shape of query is built and compiled once."""
    if scope == "one":
        stmt = stmt.where(Draft.community_id == bindparam("community_id"))
    elif scope == "some":
        stmt = stmt.where(Draft.community_id.in_(bindparam("communities", expanding=True)))
    for column, used, name in (
        (Draft.status, status, "status"),
        (Draft.kind, kind, "kind"),
        (Draft.sku, sku, "sku"),
    ):
        if used:
            stmt = stmt.where(column == bindparam(name))
    return stmt


@lru_cache(maxsize=64)
def _page_statement(scope: str, status: bool, kind: bool, sku: bool) -> Any:
    stmt = select(
        Draft.id,
        Draft.kind,
        Draft.status,
        Draft.community_id,
        Draft.sku,
        Draft.segment,
        Draft.event,
        Draft.created_at,
        Draft.updated_at,
        DraftRevision.number,
        DraftRevision.composer,
        DraftRevision.content_hash,
        *[_severity_count(s) for s in SEVERITIES],
    ).join(
        DraftRevision,
        (DraftRevision.draft_id == Draft.id) & (DraftRevision.number == Draft.current_revision),
    )
    stmt = _filtered(stmt, scope, status, kind, sku)
    return stmt.order_by(Draft.id.desc()).limit(bindparam("limit")).offset(bindparam("offset"))


@lru_cache(maxsize=64)
def _count_statement(scope: str, kind: bool, sku: bool) -> Any:
    stmt = _filtered(select(Draft.status, func.count()), scope, False, kind, sku)
    return stmt.group_by(Draft.status)


def _scope_params(actor: Principal, community_id: str | None) -> tuple[str, dict[str, Any]]:
    if community_id:
        actor.require_community(community_id)
        return "one", {"community_id": community_id}
    if actor.communities is not None:
        return "some", {"communities": sorted(actor.communities)}
    return "all", {}


def list_drafts(
    session: Session,
    actor: Principal,
    *,
    community_id: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    sku: str | None = None,
    limit: int = DEFAULT_PAGE,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Drafts newest first, one page. One query: each draft joined to its current revision, findings counted
    per severity by an indexed subquery; no revision text or finding rows are loaded."""
    _check_filters(status, kind, limit, offset)
    scope, params = _scope_params(actor, community_id)
    stmt = _page_statement(scope, bool(status), bool(kind), bool(sku))
    params.update(status=status, kind=kind, sku=sku, limit=limit, offset=offset)
    rows = session.connection().execute(stmt, {k: v for k, v in params.items() if v is not None})
    return [
        {
            "id": draft_id,
            "revision": number,
            "kind": kind_,
            "status": status_,
            "community_id": community,
            "sku": sku_,
            "segment": segment,
            "event": event_,
            "findings": {"block": block, "warn": warn, "info": info},
            "composer": composer,
            "content_hash": digest,
            "created_at": iso(created),
            "updated_at": iso(updated),
        }
        for (
            draft_id,
            kind_,
            status_,
            community,
            sku_,
            segment,
            event_,
            created,
            updated,
            number,
            composer,
            digest,
            block,
            warn,
            info,
        ) in rows
    ]


def status_counts(
    session: Session,
    actor: Principal,
    *,
    community_id: str | None = None,
    kind: str | None = None,
    sku: str | None = None,
) -> dict[str, int]:
    """How many drafts stand in each state (every state named, zeros included), within the caller's scope."""
    scope, params = _scope_params(actor, community_id)
    params.update(kind=kind, sku=sku)
    stmt = _count_statement(scope, bool(kind), bool(sku))
    counts = dict.fromkeys(STATES, 0)
    for state, n in session.connection().execute(stmt, {k: v for k, v in params.items() if v is not None}):
        counts[state] = n
    return counts


def draft_page(session: Session, actor: Principal, **filters: Any) -> dict[str, Any]:
    """One page of the inbox with the total that matches the filters and the counts per state (the counts ignore
    the status filter, so the tabs show every state). ``filters``: those of :func:`draft_page_keyed`."""
    return draft_page_keyed(session, actor, **filters)[1]


_pages: stamps.StampedCache[dict[str, Any]] = stamps.StampedCache(512)


def draft_page_keyed(
    session: Session,
    actor: Principal,
    *,
    community_id: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    sku: str | None = None,
    limit: int = DEFAULT_PAGE,
    offset: int = 0,
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """:func:`draft_page` and the key it is cached under: the drafts tables' change stamp (read before the data)
    and everything the page depends on (scope, filters, page). The same key means the same page, exactly; the
    page is shared between callers and must not be changed."""
    _check_filters(status, kind, limit, offset)
    scope, params = _scope_params(actor, community_id)  # refuses a community outside the caller's scope
    key = (
        stamps.read(session, "drafts"),
        scope,
        tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items())),
        status,
        kind,
        sku,
        limit,
        offset,
    )

    def compute() -> dict[str, Any]:
        rows = list_drafts(
            session,
            actor,
            community_id=community_id,
            status=status,
            kind=kind,
            sku=sku,
            limit=limit,
            offset=offset,
        )
        counts = status_counts(session, actor, community_id=community_id, kind=kind, sku=sku)
        total = counts[status] if status else sum(counts.values())
        return {
            "drafts": rows,
            "total": total,
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if offset + limit < total else None,
            "counts": counts,
        }

    return key, _pages.get(key, compute)


def approve(
    session: Session, actor: Principal, draft_id: int, revision: int, override_reason: str | None = None
) -> dict[str, Any]:
    """Kept for old callers: :func:`community.review.approve`."""
    from community import review

    return review.approve(session, actor, draft_id, revision, override_reason)


def reject(session: Session, actor: Principal, draft_id: int, reason: str) -> dict[str, Any]:
    """Kept for old callers: :func:`community.review.reject`."""
    from community import review

    return review.reject(session, actor, draft_id, reason)
