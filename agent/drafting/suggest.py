"""Suggested pushes: for each segment with enough members who may receive one, and each product whose valid
documents have facts for that segment's lawful angle, a push draft goes to the operator's inbox. Nothing is sent:
each is a draft like any other, checked, carrying its opt-out line, waiting for approval."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.drafting import create_draft
from agent.drafting.composer import TemplateComposer
from agent.taxonomy import taxonomy
from community import documents
from community.chains import list_chains
from community.errors import InvalidInput
from community.members import segment_members, segment_sizes
from community.models import Draft, utcnow
from community.principal import Principal
from community.users import get_community
from knowledge.index import KnowledgeBase

# a push for the same product and segment still on its way, or sent this past week, is not suggested again
OPEN_STATES = ("in_review", "changes_requested", "approved", "scheduled")
RECENT = timedelta(days=7)
# a segment whose angle is a warning (过敏忌口: 含麸质, 含鸡蛋), not a reason to sell to it
WARNING_ONLY = frozenset({"allergy"})
ZERO = re.compile(r"^\s*0(?:\.0+)?\s*(?:g|mg|克|毫克|%)?\s*(?:/|$)")


def _buyers(
    session: Session, actor: Principal, community_id: str, names: dict[str, str]
) -> dict[str, set[int]]:
    """sku → the members who joined one of its 接龙 (a chain names the product in its title)."""
    out: dict[str, set[int]] = {}
    for chain in list_chains(session, actor, community_id):
        for sku, name in names.items():
            if name and name in chain["title"]:
                out.setdefault(sku, set()).update(e["member_id"] for e in chain["entries"] if e["member_id"])
    return out


def suggest_pushes(
    session: Session,
    actor: Principal,
    kb: KnowledgeBase,
    community_id: str,
    *,
    event: str | None = None,
    min_members: int = 3,
    limit: int = 5,
) -> dict[str, Any]:
    """Draft up to ``limit`` segment pushes, the largest segments first, one product per segment: a segment
    qualifies when it reaches at least ``min_members`` members now (a sensitive tag counts only members with health
    consent); a product fits it when its valid documents state every fact the segment's lawful angle names
    (taxonomy ``fact_keys``), each a real amount; of the products that fit, the one most of the segment's members
    joined a 接龙 for is chosen, and none when that does not single one out. A pair with a push open or sent in the
    last week is passed over. Returns what was drafted and why the rest was not. Operators and admins only."""
    actor.require_reviewer()
    actor.require_community(community_id)
    get_community(session, community_id)
    if min_members < 1:
        raise InvalidInput(f"min_members: must be at least 1, got {min_members}")
    if not 1 <= limit <= 20:
        raise InvalidInput(f"limit: must be 1 to 20, got {limit}")
    tax = taxonomy()
    sizes = segment_sizes(session, community_id, tax.sensitive_ids)
    view = kb.for_community(community_id)
    composer = TemplateComposer(view)
    names = {
        d["sku"]: d["title"].removesuffix("产品资料").split()[0]
        for d in documents.list_documents(session)
        if d["doc_type"] == "product" and d["community_id"] in (None, community_id) and d["title"].strip()
    }
    books = {sku: composer.fact_book(sku) for sku in sorted(names)}
    buyers = _buyers(session, actor, community_id, names)
    recent = {
        (sku, segment)
        for sku, segment in session.execute(
            select(Draft.sku, Draft.segment).where(
                Draft.community_id == community_id,
                Draft.kind == "push",
                Draft.segment.is_not(None),
                Draft.status.in_(OPEN_STATES)
                | ((Draft.status == "sent") & (Draft.created_at >= utcnow() - RECENT)),
            )
        )
    }
    suggested: list[dict[str, Any]] = []
    passed: list[dict[str, Any]] = []
    for tag in sorted(tax.tags.values(), key=lambda t: (-sizes.get(t.id, 0), t.id)):
        reach = sizes.get(tag.id, 0)
        if tag.id in WARNING_ONLY:
            continue
        if reach < min_members:
            if reach:
                passed.append({"segment": tag.id, "members": reach, "why": "too_few_members"})
            continue
        audience = set(segment_members(session, community_id, tag.id, sensitive=tag.sensitive))
        # a product qualifies when its valid documents state every fact the angle names, each a real amount
        fits = {}
        for sku, book in books.items():
            facts, missing = composer.angle_facts(tag, book)
            if not missing and all(not ZERO.match(f.value) for f, _ in facts):
                fits[sku] = facts
        if not fits:
            passed.append({"segment": tag.id, "members": reach, "why": "no_product_for_angle"})
            continue
        ordered = {sku: len(buyers.get(sku, set()) & audience) for sku in fits}
        best = max(ordered.values())
        chosen = sorted(sku for sku, n in ordered.items() if n == best)
        if len(chosen) > 1:
            # several products fit the angle and the segment's own orders do not tell them apart: none is pushed
            passed.append(
                {"segment": tag.id, "members": reach, "why": "no_product_stands_out", "skus": chosen}
            )
            continue
        sku = chosen[0]
        if (sku, tag.id) in recent:
            passed.append({"segment": tag.id, "sku": sku, "members": reach, "why": "push_open_or_sent"})
            continue
        if len(suggested) >= limit:
            passed.append({"segment": tag.id, "sku": sku, "members": reach, "why": "limit_reached"})
            continue
        draft = create_draft(
            session, actor, kb, community_id=community_id, kind="push", sku=sku, segment=tag.id, event=event
        )
        suggested.append(
            {
                "draft_id": draft["id"],
                "sku": sku,
                "segment": tag.id,
                "members": reach,
                "ordered_before": best,
                "facts": [f.key for f, _ in fits[sku]],
                "blocking_findings": sum(1 for f in draft["findings"] if f["severity"] == "block"),
            }
        )
    return {"community_id": community_id, "suggested": suggested, "passed_over": passed}
