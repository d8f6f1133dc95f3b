"""Members, their tags with evidence, consent; scoped to the caller's communities."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from agent.taxonomy import taxonomy
from api import services
from api.deps import CurrentUser, SessionDep
from api.schemas import ConsentIn, ErrorOut, MemberDetail, MemberList, MergeIn, StaffIn, TagLabel
from api.services import set_health_consent
from community import chains, members
from community.errors import InvalidInput
from community.users import get_community

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    404: {"model": ErrorOut},
    422: {"model": ErrorOut},
}
router = APIRouter(prefix="/api", tags=["members"], responses=ERRORS)


MEMBERS_PAGE = 200
MEMBERS_MAX_PAGE = 2000


@router.get("/communities/{community_id}/members", response_model=MemberList)
def list_members(
    community_id: str,
    session: SessionDep,
    user: CurrentUser,
    tag: str | None = None,
    consent: str | None = None,
    q: str | None = None,
    limit: int = Query(default=MEMBERS_PAGE, ge=1, le=MEMBERS_MAX_PAGE),
    offset: int = Query(default=0, ge=0),
) -> dict[str, Any]:
    """Members with their consent and tags, one page (default 200, in id order): ``tag`` (a taxonomy id) keeps
    those holding it, ``consent`` (granted, refused, unknown) those whose health consent is that, ``q`` those whose
    name or export id contains it. ``total`` counts the matches; ``tag_counts`` the members per tag."""
    found = members.find_members(
        session,
        user,
        community_id,
        tag=tag or None,
        consent=consent or None,
        search=q,
        limit=limit,
        offset=offset,
        known_tags=frozenset(taxonomy().tags),
    )
    return {**found, "limit": limit, "offset": offset}


@router.get("/members/{member_id}", response_model=MemberDetail)
def get_member(member_id: int, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """A member with tags and the (pseudonymised) messages behind them."""
    member = members.get_member(session, user, member_id)
    listed = members.member_summary(session, member)
    evidence = {mid for t in listed["tags"] for mid in t["evidence"]}
    # hosts see the pseudonymised text; operators and admins also the text as sent
    original = user.role in ("operator", "admin")
    messages = [
        m
        for m in members.member_messages(session, user, member.community_id, member.id, original=original)
        if m["message_id"] in evidence
    ]
    return {**listed, "evidence_messages": messages, "consent": members.consent_history(session, member.id)}


@router.get("/communities/{community_id}/chains", response_model=dict)
def list_chains(community_id: str, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Each 接龙's latest post with its entries and totals."""
    return {"chains": chains.list_chains(session, user, community_id)}


@router.post("/members/{member_id}/consent", response_model=dict)
def set_consent(member_id: int, body: ConsentIn, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    member = members.get_member(session, user, member_id)
    user.require_reviewer()
    return set_health_consent(session, user, member.id, member.community_id, body.health, source=body.source)


@router.post("/members/{member_id}/forget", response_model=dict)
def forget(member_id: int, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Erasure on the member's request (PIPL Art. 47): messages, tags, evidence, consent history and 接龙 lines go;
    an audit event without personal data stays. Operators and admins only."""
    member = members.get_member(session, user, member_id)
    user.require_reviewer()
    if member.erased_at is not None:
        raise InvalidInput(f"member {member_id} is already erased")
    return members.forget_member(session, user, member.id, member.community_id)


@router.post("/members/{member_id}/tags/{tag}", response_model=dict)
def label_tag(
    member_id: int, tag: str, body: TagLabel, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """An operator confirms or rejects a tag; the human label is kept and never overwritten by inference."""
    return services.label_tag(session, user, member_id, tag, body.status)


@router.post("/members/{member_id}/staff", response_model=dict)
def set_staff(member_id: int, body: StaffIn, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Mark a member as the brand's own staff (host, 团长, service account) or not: staff are never tagged or in an
    audience, and their names may appear in group copy. Operators and admins only."""
    return members.set_staff(session, user, member_id, None, body.staff)


@router.post("/members/{member_id}/merge", response_model=dict)
def merge(member_id: int, body: MergeIn, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The same person under two ids: ``other``'s messages, consent history and human tag labels move to this
    member (where consents differ the stricter stands); ``other`` is listed no more, and a later import of its id
    lands here. Operators and admins only; audited."""
    return services.merge_members(session, user, member_id, body.other)


@router.get("/communities/{community_id}/members/duplicates", response_model=dict)
def duplicates(community_id: str, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Groups of members sharing a display name: a hint of one person under two ids, never merged by itself."""
    return {"groups": members.possible_duplicates(session, user, community_id)}


@router.get("/communities/{community_id}/segments", response_model=dict)
def segments(community_id: str, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Each taxonomy tag as an audience: how many members a draft for that segment would be for now (a sensitive
    tag counts only members whose health consent is granted; staff and erased members never count)."""
    user.require_community(community_id)
    get_community(session, community_id)
    tax = taxonomy()
    sizes = members.segment_sizes(session, community_id, tax.sensitive_ids)
    return {
        "segments": [
            {"tag": t.id, "name": t.name, "sensitive": t.sensitive, "members": sizes.get(t.id, 0)}
            for t in tax.tags.values()
        ]
    }
