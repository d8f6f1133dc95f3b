"""接龙 as the group sees it now: each chain's latest post, its entries and the total ordered."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from community.members import iso
from community.models import ChainEntry
from community.principal import Principal
from community.users import get_community


def list_chains(session: Session, actor: Principal, community_id: str) -> list[dict[str, Any]]:
    """Entries are pseudonymised where they carried phone numbers or addresses (they came from chat text)."""
    actor.require_community(community_id)
    get_community(session, community_id)
    rows = session.scalars(
        select(ChainEntry)
        .where(ChainEntry.community_id == community_id)
        .order_by(ChainEntry.posted_at.desc(), ChainEntry.chain_key, ChainEntry.position)
    )
    chains: dict[str, dict[str, Any]] = {}
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for e in rows:
        chain = chains.setdefault(
            e.chain_key,
            {
                "chain": e.chain_key,
                "title": e.title,
                "posted_at": iso(e.posted_at),
                "message_id": e.message_id,
                "entries": [],
            },
        )
        chain["entries"].append(
            {"position": e.position, "who": e.who, "quantity": e.quantity, "unit": e.unit, "note": e.note}
        )
        if e.quantity is not None:
            totals[e.chain_key][e.unit or ""] += e.quantity
    for key, chain in chains.items():
        chain["totals"] = {unit: total for unit, total in totals[key].items()}
    return list(chains.values())
