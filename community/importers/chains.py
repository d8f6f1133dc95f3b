"""接龙 (group-buy chain) posts: a header (``#接龙 橄榄油 …``) and numbered lines, each participant re-posting the
whole list with their own line added. The latest post of a chain is the chain's state."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

ENTRY = re.compile(r"^\s*(\d{1,4})\s*[.、．:：)）]\s*(.*\S)?\s*$")
QUANTITY = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*(瓶|盒|袋|份|件|斤|公斤|个|箱|桶|枚|包|提|罐|只|套|把|条|块|组|支|kg|KG|g)"
)
HEADER_NOISE = re.compile(r"[#＃]\s*接龙\s*")


@dataclass(frozen=True)
class Entry:
    position: int
    who: str
    quantity: float | None
    unit: str | None
    note: str


@dataclass(frozen=True)
class ChainPost:
    key: str
    title: str
    entries: list[Entry]


def chain_key(group: str, title: str) -> str:
    """Posts of one chain share their header line within a group."""
    return hashlib.sha256(f"{group}\x1f{title}".encode()).hexdigest()[:32]


def parse_chain(text: str, group: str) -> ChainPost | None:
    """The chain's title and entries, or None when the text is not a 接龙 post."""
    lines = [line for line in text.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.strip().startswith(("#接龙", "＃接龙"))), None)
    if start is None:
        return None
    title = HEADER_NOISE.sub("", lines[start]).strip() or "接龙"
    entries = []
    for line in lines[start + 1 :]:
        match = ENTRY.match(line)
        if match is None:
            continue
        position, body = int(match.group(1)), (match.group(2) or "").strip()
        if not body:
            continue  # an empty slot ("5. ") waiting for the next participant
        who, _, rest = body.partition(" ")
        quantity = QUANTITY.search(rest) or QUANTITY.search(who)
        if quantity and quantity.string is who:
            who = who[: quantity.start()].strip() or who
        note = rest
        if quantity and quantity.string is rest:
            note = (rest[: quantity.start()] + rest[quantity.end() :]).strip()
        entries.append(
            Entry(
                position=position,
                who=who,
                quantity=float(quantity.group(1)) if quantity else None,
                unit=quantity.group(2) if quantity else None,
                note=note.strip(" ，,"),
            )
        )
    return ChainPost(chain_key(group, title), title, entries)
