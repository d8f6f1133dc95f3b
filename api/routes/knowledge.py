"""Search the knowledge base, check a text, list documents, read the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query

from agent.checks import run_checks
from api.deps import CurrentUser, KnowledgeDep, SessionDep
from api.schemas import AuditList, CheckIn, CheckOut, ErrorOut, SearchOut
from community import audit, documents
from community.principal import Principal

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut},
    404: {"model": ErrorOut},
    422: {"model": ErrorOut},
}
router = APIRouter(prefix="/api", tags=["knowledge"], responses=ERRORS)


@router.get("/search", response_model=SearchOut)
def search(
    user: CurrentUser,
    kb: KnowledgeDep,
    q: str = Query(min_length=1, max_length=500),
    sku: str | None = None,
    doc_type: str | None = None,
    community_id: str | None = None,
    k: int = Query(default=5, ge=1, le=50),
) -> dict[str, Any]:
    """Hybrid search; documents scoped to another community are never returned."""
    community_id = _community_of(user, community_id)
    hits = kb.search(q, sku=sku, doc_type=doc_type, community=community_id, k=k)
    if community_id is None and user.communities is not None:
        hits = [h for h in hits if h.community in ("", *user.communities)]
    return {"hits": [h.as_dict() for h in hits]}


@router.post("/check", response_model=CheckOut)
def check(body: CheckIn, user: CurrentUser, kb: KnowledgeDep) -> dict[str, Any]:
    """Run every check on a text, e.g. a script a host typed by hand. Its claims are judged on the documents the
    community sees (``community_id``, or the caller's only community): the shared ones and its own."""
    community_id = _community_of(user, body.community_id)
    scoped = kb.for_community(community_id) if community_id else kb
    return {"findings": run_checks(body.text, sku=body.sku, kb=scoped)}


@router.get("/documents", response_model=dict)
def list_documents(session: SessionDep, user: CurrentUser, sku: str | None = None) -> dict[str, Any]:
    """The documents the caller may see: those shared by every community and those of the caller's communities."""
    return {
        "documents": [
            d
            for d in documents.list_documents(session, sku)
            if d["community_id"] is None or user.can_see(d["community_id"])
        ]
    }


def _community_of(user: Principal, wanted: str | None) -> str | None:
    """The community a request is about: the one named (if the caller may see it), else the caller's only one;
    None for a caller of every community (an admin) who names none."""
    if wanted:
        user.require_community(wanted)
        return wanted
    if user.communities is not None and len(user.communities) == 1:
        return next(iter(user.communities))
    return None


@router.get("/audit", response_model=AuditList)
def get_audit(
    session: SessionDep,
    user: CurrentUser,
    community_id: str | None = None,
    action: str | None = Query(default=None, description="Exact, or a prefix ending in '.' (e.g. 'draft.')."),
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = Query(default=None, description="User name."),
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = Query(default=None, ge=1, description="Page backwards: the last id you got."),
    limit: int = Query(default=200, ge=1, le=1000),
) -> dict[str, Any]:
    """The append-only audit log, newest first: who (name, role), when, what, content hashes before and after."""
    return {
        "events": audit.list_events(
            session,
            user,
            community_id=community_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            who=actor,
            since=since,
            until=until,
            before_id=before_id,
            limit=limit,
        )
    }
