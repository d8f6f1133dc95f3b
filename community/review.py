"""The review state machine: approve, send back, reject, new revisions; every move a compare-and-set, audited.

States::

    in_review ──approve──► approved ──schedule──► scheduled ──► sent | failed
        │  └──request_changes──► changes_requested            approved | scheduled ──recall──► recalled
        └──reject──► rejected ◄──reject── changes_requested
    in_review | changes_requested | approved | recalled ──new revision (edit, recompose)──► in_review

An illegal move raises ``Conflict`` (409) naming the current state. Every move is one
``UPDATE drafts SET status = …, version = version + 1 WHERE id = ? AND version = ? [AND current_revision = ?]``:
of two operators acting on what they both read, one wins and the other gets a 409 with the state now in place.

Public functions (each takes the caller's session and ``Principal``; the caller's unit of work commits):
- ``approve(session, actor, draft_id, revision, override_reason=None)`` → draft document. Binds the revision, its
  content hash, audience and a findings snapshot; blocking findings need an operator's written override reason.
- ``approve_batch(session, actor, items)`` → ``{"results": [{"id", "revision", "ok", ...}], "approved", "failed"}``;
  ``items`` are ``{"id", "revision", "override_reason"?}``; each item stands or fails alone.
- ``request_changes(session, actor, draft_id, feedback, revision=None)`` → draft document (changes_requested)
- ``reject(session, actor, draft_id, reason)`` → draft document
- ``new_revision(session, actor, draft_id, composed, findings, base_revision=None, feedback=None, action="edit")``
  → draft document: stores an already checked revision and returns the draft to in_review (an approved draft
  loses its approval). ``api.services.edit_draft`` / ``revise_draft`` run the checks and call this.
- ``move(session, draft, action, actor, ...)`` → (before, after): the compare-and-set itself, for the outbox.
- ``current_state(session, draft_id)`` → ``{"status", "revision", "version"}`` as committed now.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from community import audit
from community.drafts import (
    ComposedRevision,
    content_hash,
    draft_document,
    finding_dict,
    get_draft,
    get_revision,
    store_revision,
)
from community.errors import AppError, Conflict, InvalidInput
from community.models import Draft, DraftRevision, Review, utcnow
from community.principal import Principal

TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({"in_review"}), "approved"),
    "request_changes": (frozenset({"in_review"}), "changes_requested"),
    "reject": (frozenset({"in_review", "changes_requested"}), "rejected"),
    "new_revision": (frozenset({"in_review", "changes_requested", "approved", "recalled"}), "in_review"),
    "schedule": (frozenset({"approved"}), "scheduled"),
    "recall": (frozenset({"approved", "scheduled"}), "recalled"),
    "sent": (frozenset({"scheduled"}), "sent"),
    "failed": (frozenset({"scheduled"}), "failed"),
    "retry": (frozenset({"failed"}), "scheduled"),  # the failed deliveries again; sent ones never twice
}
MAX_BATCH = 200


def current_state(session: Session, draft_id: int) -> dict[str, Any]:
    """The draft's state as committed now (read past the session's identity map)."""
    row = session.execute(
        select(Draft.status, Draft.current_revision, Draft.version).where(Draft.id == draft_id)
    ).one()
    return {"status": row.status, "revision": row.current_revision, "version": row.version}


def _illegal(draft: Draft, action: str) -> Conflict:
    allowed = sorted(TRANSITIONS[action][0])
    return Conflict(
        f"draft {draft.id} is {draft.status}; cannot {action.replace('_', ' ')} "
        f"(allowed from: {', '.join(allowed)})",
        current={"status": draft.status, "revision": draft.current_revision, "version": draft.version},
    )


def require(draft: Draft, action: str) -> None:
    """Refuse an action the draft's (loaded) state does not allow."""
    if draft.status not in TRANSITIONS[action][0]:
        raise _illegal(draft, action)


def _require_revision(session: Session, draft: Draft, revision: int, verb: str) -> None:
    if revision != draft.current_revision:
        raise Conflict(
            f"draft {draft.id}: you {verb} revision {revision}, but revision {draft.current_revision} is current "
            f"(status {draft.status}); reload it and decide on what it says now",
            current=current_state(session, draft.id),
        )


def move(
    session: Session,
    draft: Draft,
    action: str,
    *,
    revision: int | None = None,
    values: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """The compare-and-set: move ``draft`` by ``action`` only if nobody changed it since it was read.

    Returns (state before, state after). Raises ``Conflict`` with the committed state when the loaded state does
    not allow the move or another session moved the draft first."""
    require(draft, action)
    allowed, target = TRANSITIONS[action]
    before = draft.status
    stmt = update(Draft).where(
        Draft.id == draft.id, Draft.version == draft.version, Draft.status.in_(sorted(allowed))
    )
    if revision is not None:
        stmt = stmt.where(Draft.current_revision == revision)
    stmt = stmt.values(status=target, version=Draft.version + 1, updated_at=utcnow(), **(values or {}))
    result = cast(CursorResult[Any], session.execute(stmt, execution_options={"synchronize_session": False}))
    if result.rowcount != 1:
        now = current_state(session, draft.id)
        raise Conflict(
            f"draft {draft.id} was changed by someone else meanwhile: it is now {now['status']} at revision "
            f"{now['revision']}; reload it and decide again",
            current=now,
        )
    session.refresh(draft)
    return before, target


def record_review(
    session: Session,
    actor: Principal,
    draft: Draft,
    rev: DraftRevision,
    action: str,
    reason: str | None,
    before: str,
    after: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """The review row (what was decided on which revision and hash, findings as they stood) and its audit event."""
    session.add(
        Review(
            draft_id=draft.id,
            revision=rev.number,
            action=action,
            reason=reason,
            content_hash=rev.content_hash,
            findings_snapshot=[finding_dict(f) for f in rev.findings],
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
        after_hash=rev.content_hash if after in ("approved", "scheduled", "sent") else None,
        detail={"revision": rev.number, "from": before, "to": after, **(detail or {})},
    )
    session.flush()


def approve(
    session: Session, actor: Principal, draft_id: int, revision: int, override_reason: str | None = None
) -> dict[str, Any]:
    """Approve exactly one revision: binds its number, content hash, audience and findings snapshot. Blocking
    findings need an operator's written override reason, which the review and the audit keep."""
    actor.require_reviewer()
    draft = get_draft(session, actor, draft_id)
    require(draft, "approve")
    _require_revision(session, draft, revision, "approved")
    rev = get_revision(session, draft)
    if content_hash(rev.text, rev.audience) != rev.content_hash:
        raise Conflict(f"draft {draft.id} revision {rev.number}: stored text does not match its content hash")
    blocking = [f for f in rev.findings if f.severity == "block"]
    reason = override_reason.strip() if override_reason and override_reason.strip() else None
    if blocking and reason is None:
        raise Conflict(
            f"draft {draft.id} revision {revision} has {len(blocking)} blocking finding(s) "
            f"({', '.join(sorted({f.rule for f in blocking}))}); approval needs a written override reason",
            current=current_state(session, draft.id),
        )
    before, after = move(
        session,
        draft,
        "approve",
        revision=revision,
        values={"approved_revision": rev.number, "approved_hash": rev.content_hash},
    )
    record_review(
        session,
        actor,
        draft,
        rev,
        "approve",
        reason,
        before,
        after,
        {
            "override_reason": reason if blocking else None,
            "note": reason if not blocking else None,
            "blocking_overridden": len(blocking),
            "overridden_rules": sorted({f.rule for f in blocking}),
            "audience": rev.audience,
        },
    )
    return draft_document(session, draft)


def approve_batch(session: Session, actor: Principal, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Approve several drafts, each on its own: a stale revision, an illegal state or a missing override fails that
    item alone (nothing of it is written; every check comes before its compare-and-set) and the others pass."""
    actor.require_reviewer()
    if not items:
        raise InvalidInput("items: name at least one {id, revision}")
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"items: at most {MAX_BATCH} per batch, got {len(items)}")
    results: list[dict[str, Any]] = []
    for item in items:
        draft_id, revision = item["id"], item["revision"]
        try:
            doc = approve(session, actor, draft_id, revision, item.get("override_reason"))
        except AppError as exc:
            results.append(
                {
                    "id": draft_id,
                    "revision": revision,
                    "ok": False,
                    "status_code": exc.status_code,
                    "error": exc.error,
                    "detail": exc.detail,
                    "current": exc.current,
                }
            )
        else:
            results.append(
                {
                    "id": draft_id,
                    "revision": revision,
                    "ok": True,
                    "status": doc["status"],
                    "content_hash": doc["content_hash"],
                }
            )
    approved = sum(1 for r in results if r["ok"])
    return {"results": results, "approved": approved, "failed": len(results) - approved}


def request_changes(
    session: Session, actor: Principal, draft_id: int, feedback: str, revision: int | None = None
) -> dict[str, Any]:
    """Send a draft back with the operator's words (``changes_requested``); a new revision returns it to review."""
    actor.require_reviewer()
    if not feedback or not feedback.strip():
        raise InvalidInput("feedback: say what should change")
    draft = get_draft(session, actor, draft_id)
    require(draft, "request_changes")
    if revision is not None:
        _require_revision(session, draft, revision, "sent back")
    rev = get_revision(session, draft)
    before, after = move(session, draft, "request_changes", revision=rev.number)
    record_review(session, actor, draft, rev, "request_changes", feedback.strip(), before, after)
    return draft_document(session, draft)


def reject(session: Session, actor: Principal, draft_id: int, reason: str) -> dict[str, Any]:
    """Reject with a reason (final)."""
    actor.require_reviewer()
    if not reason or not reason.strip():
        raise InvalidInput("reason: a rejection needs a reason")
    draft = get_draft(session, actor, draft_id)
    require(draft, "reject")
    rev = get_revision(session, draft)
    before, after = move(session, draft, "reject", revision=rev.number)
    record_review(session, actor, draft, rev, "reject", reason.strip(), before, after, {"reason": reason})
    return draft_document(session, draft)


def new_revision(
    session: Session,
    actor: Principal,
    draft_id: int,
    composed: ComposedRevision,
    findings: list[dict[str, Any]],
    *,
    base_revision: int | None = None,
    feedback: str | None = None,
    action: str = "edit",
) -> dict[str, Any]:
    """Store a new, already checked revision made from the current one and return the draft to ``in_review``.

    ``base_revision`` is the revision the editor read: if another revision became current meanwhile, 409. An
    approved draft loses its approval (the approved hash is cleared; a new approval is needed)."""
    draft = get_draft(session, actor, draft_id)
    require(draft, "new_revision")
    base = base_revision if base_revision is not None else draft.current_revision
    _require_revision(session, draft, base, "edited")
    parent = get_revision(session, draft)
    if action == "edit" and composed.text == parent.text and composed.audience == parent.audience:
        raise InvalidInput(f"text: the same as revision {parent.number}; nothing to save")
    number = draft.current_revision + 1
    before, after = move(
        session,
        draft,
        "new_revision",
        revision=base,
        values={"current_revision": number, "approved_revision": None, "approved_hash": None},
    )
    rev = store_revision(session, actor, draft, number, composed, findings, parent=parent, feedback=feedback)
    audit.record(
        session,
        actor,
        f"draft.{action}",
        "draft",
        draft.id,
        community_id=draft.community_id,
        before_hash=parent.content_hash,
        after_hash=rev.content_hash,
        detail={
            "revision": number,
            "parent_revision": parent.number,
            "from": before,
            "to": after,
            "composer": composed.composer,
            "findings": len(findings),
            "blocking": sum(1 for f in findings if f["severity"] == "block"),
            "feedback": feedback,
            "approval_withdrawn": before == "approved",
        },
    )
    session.flush()
    return draft_document(session, draft)
