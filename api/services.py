"""Application services that span packages (knowledge + agent + community); routes and CLI commands call these.

Review services (the state machine itself is ``community.review``):
- ``edit_draft(session, actor, kb, draft_id, text, base_revision=None)`` → draft document (new revision, checked)
- ``revise_draft(session, actor, kb, draft_id, feedback, revision=None)`` → draft document (sent back with
  feedback; composed again when a composer wrote it)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from agent.checks import grounder_for, run_checks, typed_sentences
from agent.taxonomy import taxonomy
from community import documents, drafts, members, review
from community.errors import Forbidden, InvalidInput
from community.principal import Principal
from knowledge.documents import DocumentError
from knowledge.index import KnowledgeBase

# the composer's request details a draft's trace may carry, handed back to the composer on a re-composition
REQUEST_DETAILS = ("host", "price", "deadline", "pickup", "limit")


def ingest_documents(
    session: Session,
    actor: Principal,
    kb: KnowledgeBase,
    paths: list[Path],
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Ingest files into the vector store and record them in the registry; bad files change nothing."""
    if actor.role != "admin":
        raise Forbidden("only an admin may change the knowledge base")
    try:
        reports = kb.ingest(paths, progress=progress)
    except DocumentError as exc:
        raise InvalidInput(str(exc)) from exc
    for r in reports:
        m = r.meta
        documents.register(
            session,
            actor,
            m.doc_id,
            {name: getattr(m, name) for name in documents.DOCUMENT_FIELDS},
            status=r.status,
            chunk_count=r.chunks,
            facts=[
                {
                    "chunk_id": f.chunk_id,
                    "key": f.key[:120],
                    "value": f.value,
                    "number": f.number,
                    "unit": f.unit,
                }
                for f in r.facts
            ],
            community_id=m.community,
        )
    return {
        "documents": [
            {
                "doc_id": r.doc_id,
                "sku": r.meta.sku,
                "doc_type": r.meta.doc_type,
                "status": r.status,
                "chunks": r.chunks,
                "facts": len(r.facts),
            }
            for r in reports
        ],
        "added": sum(r.status == "added" for r in reports),
        "updated": sum(r.status == "updated" for r in reports),
        "unchanged": sum(r.status == "unchanged" for r in reports),
    }


def remove_document(session: Session, actor: Principal, kb: KnowledgeBase, doc_id: str) -> dict[str, Any]:
    if actor.role != "admin":
        raise Forbidden("only an admin may change the knowledge base")
    documents.unregister(session, actor, doc_id)
    return {"doc_id": doc_id, "chunks_removed": kb.remove(doc_id)}


def set_health_consent(
    session: Session,
    actor: Principal,
    member_id: int,
    community_id: str,
    status: str,
    source: str = "operator",
) -> dict[str, Any]:
    return members.set_consent(
        session,
        actor,
        member_id,
        community_id,
        "health",
        status,
        sensitive_tags=taxonomy().sensitive_ids,
        source=source,
    )


def merge_members(
    session: Session, actor: Principal, keep_id: int, other_id: int, community_id: str | None = None
) -> dict[str, Any]:
    """One person under two ids: the other's history moves to ``keep`` (see :func:`community.members.merge_members`)."""
    return members.merge_members(
        session, actor, keep_id, other_id, community_id, sensitive_tags=taxonomy().sensitive_ids
    )


def label_tag(session: Session, actor: Principal, member_id: int, tag: str, status: str) -> dict[str, Any]:
    """An operator's confirm/reject of a member's tag (kept over any later inference)."""
    member = members.get_member(session, actor, member_id)
    return members.set_tag_status(
        session, actor, member.id, member.community_id, tag, status, known_tags=frozenset(taxonomy().tags)
    )


def edit_draft(
    session: Session,
    actor: Principal,
    kb: KnowledgeBase | None,
    draft_id: int,
    text: str,
    base_revision: int | None = None,
) -> dict[str, Any]:
    """An operator's (or host's) edit: a new ``human`` revision from the current one, every check run again on
    it, the draft back in review (an approved draft needs a new approval)."""
    draft = drafts.get_draft(session, actor, draft_id)
    review.require(draft, "new_revision")
    if not text.strip():
        raise InvalidInput("text: must not be empty")
    parent = drafts.get_revision(session, draft)
    asked = request_details(session, draft)
    kb = kb.for_community(draft.community_id) if kb is not None else None
    grounder = grounder_for(draft.sku, kb, [asked.get("price")])  # judges the text once, for both uses
    composed = drafts.ComposedRevision(
        # a line kept as it was keeps its citations; a changed line cites what the grounding check finds it on
        text=text,
        sentences=typed_sentences(text, sku=draft.sku, kb=kb, keep=parent.sentences, grounder=grounder),
        composer="human",
        prompt_version=parent.prompt_version,
        model=parent.model,
        audience=dict(parent.audience),
        trace={"edited_by": actor.name, "parent_revision": parent.number, "parent_composer": parent.composer},
    )
    findings = run_checks(
        text,
        sku=draft.sku,
        member_names=members.member_names(session, draft.community_id),
        kb=kb,
        prices=[asked.get("price")],
        given=[draft.event, *asked.values()],
        grounder=grounder,
    )
    return review.new_revision(
        session, actor, draft.id, composed, findings, base_revision=base_revision, action="edit"
    )


def request_details(session: Session, draft: Any) -> dict[str, str]:
    """What the draft's request set (price, deadline, pickup, limit, host), from its first composed revision's
    trace: an edit keeps standing on the request's own figures."""
    first = drafts.get_revision(session, draft, 1)
    asked = dict((first.trace or {}).get("request") or {})
    return {k: str(v) for k, v in asked.items() if k in REQUEST_DETAILS and v}


def revise_draft(
    session: Session,
    actor: Principal,
    kb: KnowledgeBase,
    draft_id: int,
    feedback: str,
    revision: int | None = None,
) -> dict[str, Any]:
    """Send back with feedback: the draft goes to ``changes_requested`` with the operator's words; a composed draft
    is then composed again (the LLM composer gets the feedback as the operator's instruction; the template
    composer records it) and returns to review as a new revision. A hand-typed draft has no composer to re-run:
    it waits in ``changes_requested`` for its author's edit."""
    from agent.drafting import compose_draft

    doc = review.request_changes(session, actor, draft_id, feedback, revision)
    draft = drafts.get_draft(session, actor, draft_id)
    parent = drafts.get_revision(session, draft)
    if parent.composer == "human" and not parent.ai_generated:
        return doc
    details = {k: v for k, v in dict(parent.trace.get("request") or {}).items() if k in REQUEST_DETAILS}
    composed = compose_draft(
        kb.for_community(draft.community_id),
        kind=draft.kind,
        sku=draft.sku,
        segment=draft.segment,
        event=draft.event,
        member_names=members.member_names(session, draft.community_id),
        feedback=feedback.strip(),
        **details,
    )
    composed.revision.audience = dict(parent.audience)
    return review.new_revision(
        session,
        actor,
        draft.id,
        composed.revision,
        composed.findings,
        feedback=feedback.strip(),
        action="recompose",
    )
