"""接龙 as the group sees it now: each chain's latest post, its entries and the total ordered."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from community.errors import NotFound
from community.importers.formats import SYSTEM_SENDER
from community.members import iso
from community.models import ChainEntry, Member
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
    names = _members_by_name(session, community_id)
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
            {
                "position": e.position,
                "who": e.who,
                "member_id": names.get(e.who),
                "quantity": e.quantity,
                "unit": e.unit,
                "note": e.note,
            }
        )
        if e.quantity is not None:
            totals[e.chain_key][e.unit or ""] += e.quantity
    for key, chain in chains.items():
        chain["totals"] = {unit: total for unit, total in totals[key].items()}
    return list(chains.values())


def _members_by_name(session: Session, community_id: str) -> dict[str, int]:
    """Display name → member id, for names exactly one listed member has (an entry names a nickname, and two
    neighbours may share one: then the entry links to nobody)."""
    rows = session.execute(
        select(Member.display_name, Member.id).where(
            Member.community_id == community_id,
            Member.merged_into.is_(None),
            Member.erased_at.is_(None),
            Member.source_id != SYSTEM_SENDER,
        )
    )
    seen: dict[str, list[int]] = defaultdict(list)
    for name, member_id in rows:
        seen[name].append(member_id)
    return {name: ids[0] for name, ids in seen.items() if len(ids) == 1}


CSV_HEADER = ["序号", "昵称", "数量", "单位", "备注"]


def chain_csv(
    session: Session, actor: Principal, community_id: str, chain: str
) -> tuple[dict[str, Any], str]:
    """One chain as a pick list (配货单) for the pickup point: a CSV with a BOM, so that Excel opens the Chinese
    as UTF-8, one row per entry and a total row per unit. Notes are as stored: pseudonymised."""
    found = next((c for c in list_chains(session, actor, community_id) if c["chain"] == chain), None)
    if found is None:
        raise NotFound(f"chain {chain!r} not found in community {community_id}")
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f"#接龙 {found['title']}", f"最后更新 {found['posted_at']}"])
    writer.writerow(CSV_HEADER)
    for e in found["entries"]:
        writer.writerow([e["position"], e["who"], quantity_text(e["quantity"]), e["unit"] or "", e["note"]])
    for unit, total in found["totals"].items():
        writer.writerow(["合计", "", quantity_text(total), unit, f"{len(found['entries'])} 人接龙"])
    return found, out.getvalue()


def quantity_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
