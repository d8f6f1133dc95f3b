"""Drafts: request (hosts, operators), read, approve / reject (operators and admins only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from agent.drafting import create_draft, submit_text
from api.deps import CurrentUser, KnowledgeDep, SessionDep
from api.schemas import Approve, DraftCreate, DraftList, DraftOut, ErrorOut, Reject
from community import drafts

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    404: {"model": ErrorOut},
    409: {"model": ErrorOut},
    422: {"model": ErrorOut},
}
router = APIRouter(prefix="/api/drafts", tags=["drafts"], responses=ERRORS)


@router.post("", status_code=201, response_model=DraftOut)
def post_draft(body: DraftCreate, session: SessionDep, user: CurrentUser, kb: KnowledgeDep) -> dict[str, Any]:
    """Compose (or, with `text`, take a hand-typed text) and check a draft; it waits for an operator's review."""
    if body.text is not None:
        return submit_text(
            session,
            user,
            kb,
            community_id=body.community_id,
            kind=body.kind,
            sku=body.sku,
            text=body.text,
            event=body.event,
        )
    return create_draft(session, user, kb, **body.model_dump(exclude={"text"}))


@router.get("", response_model=DraftList)
def get_drafts(
    session: SessionDep,
    user: CurrentUser,
    status: str | None = None,
    kind: str | None = None,
    sku: str | None = None,
    community_id: str | None = Query(default=None),
) -> dict[str, Any]:
    return {
        "drafts": drafts.list_drafts(
            session, user, community_id=community_id, status=status, kind=kind, sku=sku
        )
    }


@router.get("/{draft_id}", response_model=DraftOut)
def get_draft(draft_id: int, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return drafts.draft_document(session, drafts.get_draft(session, user, draft_id))


@router.post("/{draft_id}/approve", response_model=DraftOut)
def approve(draft_id: int, body: Approve, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Approve exactly the revision named; blocking findings need `override_reason`."""
    return drafts.approve(session, user, draft_id, body.revision, body.override_reason)


@router.post("/{draft_id}/reject", response_model=DraftOut)
def reject(draft_id: int, body: Reject, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return drafts.reject(session, user, draft_id, body.reason)
