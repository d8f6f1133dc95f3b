"""Drafts, their revisions and findings, and the review state machine (approve / reject).

States: ``in_review → approved | changes_requested | rejected``. Approval binds one revision's content hash and
audience; a blocking finding can be overridden only with a written reason. Every transition is audited.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from community import audit
from community.errors import Conflict, InvalidInput, NotFound
from community.members import iso
from community.models import Draft, DraftRevision, Finding, Review, utcnow
from community.principal import Principal
from community.users import get_community

KINDS = ("script", "chain", "push")
SEVERITIES = ("block", "warn", "info")
TRANSITIONS = {
    "approve": ({"in_review"}, "approved"),
    "reject": ({"in_review", "changes_requested"}, "rejected"),
}


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


def _finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "category": f.category,
        "severity": f.severity,
        "start": f.start,
        "end": f.end,
        "text": f.text,
        "message": f.message,
        "suggestion": f.suggestion,
    }


def _revision(session: Session, draft: Draft, number: int | None = None) -> DraftRevision:
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


def draft_document(session: Session, draft: Draft) -> dict[str, Any]:
    rev = _revision(session, draft)
    reviews = session.scalars(select(Review).where(Review.draft_id == draft.id).order_by(Review.id))
    return {
        **_head(draft, rev),
        "event": draft.event,
        "text": rev.text,
        "sentences": rev.sentences,
        "findings": [_finding_dict(f) for f in rev.findings],
        "content_hash": rev.content_hash,
        "audience": rev.audience,
        "composer": rev.composer,
        "prompt_version": rev.prompt_version,
        "model": rev.model,
        "ai_generated": rev.ai_generated,
        "trace": rev.trace,
        "created_at": iso(draft.created_at),
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
    rev = _add_revision(session, actor, draft, 1, composed, findings)
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


def _add_revision(
    session: Session,
    actor: Principal,
    draft: Draft,
    number: int,
    composed: ComposedRevision,
    findings: list[dict],
) -> DraftRevision:
    rev = DraftRevision(
        draft_id=draft.id,
        number=number,
        text=composed.text,
        content_hash=content_hash(composed.text, composed.audience),
        sentences=composed.sentences,
        composer=composed.composer,
        prompt_version=composed.prompt_version,
        model=composed.model,
        ai_generated=composed.composer != "human",
        audience=composed.audience,
        trace=composed.trace,
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


def list_drafts(
    session: Session,
    actor: Principal,
    *,
    community_id: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    sku: str | None = None,
) -> list[dict[str, Any]]:
    stmt = select(Draft).order_by(Draft.id.desc())
    if community_id:
        actor.require_community(community_id)
        stmt = stmt.where(Draft.community_id == community_id)
    elif actor.communities is not None:
        stmt = stmt.where(Draft.community_id.in_(sorted(actor.communities)))
    for column, value in ((Draft.status, status), (Draft.kind, kind), (Draft.sku, sku)):
        if value:
            stmt = stmt.where(column == value)
    out = []
    for draft in session.scalars(stmt):
        rev = _revision(session, draft)
        out.append(
            {
                **_head(draft, rev),
                "findings": {s: sum(1 for f in rev.findings if f.severity == s) for s in SEVERITIES},
                "composer": rev.composer,
                "created_at": iso(draft.created_at),
            }
        )
    return out


def _transition(draft: Draft, action: str) -> str:
    allowed, target = TRANSITIONS[action]
    if draft.status not in allowed:
        raise Conflict(
            f"draft {draft.id} is {draft.status}; cannot {action} (allowed from: {', '.join(sorted(allowed))})"
        )
    return target


def _review(
    session: Session,
    actor: Principal,
    draft: Draft,
    rev: DraftRevision,
    action: str,
    reason: str | None,
    detail: dict[str, Any],
) -> dict[str, Any]:
    """Move a draft to the state the action leads to; record the review and its audit event in one unit."""
    target = _transition(draft, action)
    before = draft.status
    draft.status = target
    draft.updated_at = utcnow()
    session.add(
        Review(
            draft_id=draft.id,
            revision=rev.number,
            action=action,
            reason=reason,
            content_hash=rev.content_hash,
            findings_snapshot=[_finding_dict(f) for f in rev.findings],
            user_id=actor.user_id,
            actor=actor.name,
            actor_role=actor.role,
        )
    )
    audit.record(
        session,
        actor,
        f"draft.{action}",
        "draft",
        draft.id,
        community_id=draft.community_id,
        before_hash=rev.content_hash,
        after_hash=rev.content_hash if action == "approve" else None,
        detail={"revision": rev.number, "from": before, "to": target, **detail},
    )
    session.flush()
    return draft_document(session, draft)


def approve(
    session: Session, actor: Principal, draft_id: int, revision: int, override_reason: str | None = None
) -> dict[str, Any]:
    """Approve exactly one revision. Blocking findings need an operator's written override reason."""
    actor.require_reviewer()
    draft = get_draft(session, actor, draft_id)
    _transition(draft, "approve")
    if revision != draft.current_revision:
        raise Conflict(
            f"draft {draft.id}: revision {revision} is not the current revision {draft.current_revision}"
        )
    rev = _revision(session, draft)
    blocking = [f for f in rev.findings if f.severity == "block"]
    if blocking and not (override_reason and override_reason.strip()):
        raise Conflict(
            f"draft {draft.id} revision {revision} has {len(blocking)} blocking finding(s); "
            "approval needs a written override reason"
        )
    detail = {
        "override_reason": override_reason,
        "blocking_overridden": len(blocking),
        "audience": rev.audience,
    }
    return _review(session, actor, draft, rev, "approve", override_reason, detail)


def reject(session: Session, actor: Principal, draft_id: int, reason: str) -> dict[str, Any]:
    actor.require_reviewer()
    if not reason or not reason.strip():
        raise InvalidInput("reason: a rejection needs a reason")
    draft = get_draft(session, actor, draft_id)
    return _review(session, actor, draft, _revision(session, draft), "reject", reason, {"reason": reason})
