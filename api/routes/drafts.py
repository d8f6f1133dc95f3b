"""Drafts: request (hosts, operators), read, edit, and the review actions (operators and admins only).

Every route is an adapter: parse, call one service (``community.review``, ``community.outbox``,
``api.services``), return. Errors are ``{"error", "detail"}``; a 409 also says where the draft stands now.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ValidationError

from agent.drafting import create_draft, submit_text
from agent.drafting.suggest import suggest_pushes
from api import services
from api.deps import CurrentUser, KnowledgeDep, SessionDep
from api.schemas import (
    Approve,
    ApproveBatch,
    BatchOut,
    DeliveryList,
    DraftCreate,
    DraftList,
    DraftOut,
    ErrorOut,
    RecallIn,
    Reject,
    ReviseIn,
    RevisionIn,
    ScheduleIn,
    SuggestIn,
)
from community import drafts, outbox, review

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No or an invalid Bearer token."},
    403: {"model": ErrorOut, "description": "The caller's role may not do this (e.g. a host approving)."},
    404: {"model": ErrorOut, "description": "No such draft in the caller's communities."},
    409: {"model": ErrorOut, "description": "Illegal or stale: the detail and `current` say the state now."},
    422: {"model": ErrorOut, "description": "Invalid input; the detail names the field."},
}
router = APIRouter(prefix="/api/drafts", tags=["drafts"], responses=ERRORS)


def validated(model: type[BaseModel], data: dict[str, Any]) -> Response:
    """The read routes' answer: validated against the declared model and serialised in one step on the request's
    thread (FastAPI would validate in one more thread-pool hop; the inbox is the page that is hit hardest)."""
    try:
        checked = model.model_validate(data)
    except (
        ValidationError
    ) as exc:  # our bug, not the caller's: a 500, never the 422 a ValueError would become
        raise RuntimeError(f"response does not match {model.__name__}: {exc}") from exc
    return Response(checked.model_dump_json(), media_type="application/json")


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
            segment=body.segment,
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
    limit: int = Query(default=drafts.DEFAULT_PAGE, ge=1, le=drafts.MAX_PAGE),
    offset: int = Query(default=0, ge=0),
) -> Response:
    """The inbox, newest first, one page (default 50), with the total and the counts per state."""
    page = drafts.draft_page(
        session,
        user,
        community_id=community_id,
        status=status,
        kind=kind,
        sku=sku,
        limit=limit,
        offset=offset,
    )
    return validated(DraftList, page)


@router.post("/suggest", response_model=dict, status_code=201)
def suggest(body: SuggestIn, session: SessionDep, user: CurrentUser, kb: KnowledgeDep) -> dict[str, Any]:
    """Draft pushes for the segments worth one (operators): each waits for review like any draft."""
    return suggest_pushes(session, user, kb, body.community_id, **body.model_dump(exclude={"community_id"}))


@router.post("/approve-batch", response_model=BatchOut)
def approve_batch(body: ApproveBatch, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Approve several drafts, each on its own: a stale or illegal item fails alone (see its `ok` and `error`)."""
    return review.approve_batch(session, user, [item.model_dump() for item in body.items])


@router.get("/{draft_id}", response_model=DraftOut)
def get_draft(
    draft_id: int, session: SessionDep, user: CurrentUser, revision: int | None = Query(default=None, ge=1)
) -> Response:
    """A draft's current revision (or, with `revision`, an earlier one), its findings and its history."""
    return validated(
        DraftOut, drafts.draft_document(session, drafts.get_draft(session, user, draft_id), revision)
    )


@router.post("/{draft_id}/revisions", status_code=201, response_model=DraftOut)
def post_revision(
    draft_id: int, body: RevisionIn, session: SessionDep, user: CurrentUser, kb: KnowledgeDep
) -> dict[str, Any]:
    """Edit: a new revision with every check run again; the draft returns to review (approval withdrawn)."""
    return services.edit_draft(session, user, kb, draft_id, body.text, body.base_revision)


@router.post("/{draft_id}/approve", response_model=DraftOut)
def approve(draft_id: int, body: Approve, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Approve exactly the revision named; blocking findings need `override_reason`."""
    return review.approve(session, user, draft_id, body.revision, body.override_reason)


@router.post("/{draft_id}/reject", response_model=DraftOut)
def reject(draft_id: int, body: Reject, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Reject with a reason (final)."""
    return review.reject(session, user, draft_id, body.reason)


@router.post("/{draft_id}/revise", response_model=DraftOut)
def revise(
    draft_id: int, body: ReviseIn, session: SessionDep, user: CurrentUser, kb: KnowledgeDep
) -> dict[str, Any]:
    """Send back with feedback: composed again with the operator's words (a hand-typed draft waits for its
    author's edit)."""
    return services.revise_draft(session, user, kb, draft_id, body.feedback, body.revision)


@router.post("/{draft_id}/schedule", response_model=DraftOut)
def schedule(draft_id: int, body: ScheduleIn, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Queue an approved push or 接龙 post for delivery to its community's channels (`linli outbox run` sends)."""
    return outbox.schedule(session, user, draft_id, at=body.at, channels=body.channels)


@router.post("/{draft_id}/recall", response_model=DraftOut)
def recall(draft_id: int, body: RecallIn, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Withdraw an approved or scheduled draft; deliveries not yet sent are cancelled."""
    return outbox.recall(session, user, draft_id, body.reason)


@router.post("/{draft_id}/retry", response_model=DraftOut)
def retry(draft_id: int, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Send a failed draft's failed deliveries again (the channels that got it are not sent to twice)."""
    return outbox.retry(session, user, draft_id)


outbox_router = APIRouter(prefix="/api/outbox", tags=["outbox"], responses=ERRORS)


@outbox_router.get("", response_model=DeliveryList)
def list_deliveries(
    session: SessionDep,
    user: CurrentUser,
    status: Literal["pending", "sending", "sent", "failed", "cancelled"] | None = None,
    draft_id: int | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> dict[str, Any]:
    """Deliveries in the caller's communities, newest first: what is due, sent, or failed and why."""
    return {
        "deliveries": outbox.list_deliveries(session, user, status=status, draft_id=draft_id, limit=limit)
    }
