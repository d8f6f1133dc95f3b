"""The offline tagger: taxonomy lexicon with negation, past-tense hedges, speaker vs. family, injection guard.

Input is one member's messages; output is tags with the ids of the messages behind them. Whether a sensitive
tag may be stored at all (health consent) is decided by the caller, not here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from agent.taxonomy import Taxonomy, looks_like_injection, taxonomy

PROMPT_VERSION = "rules-v1"
CLAUSE = re.compile(r"[，,。.!！?？~～;；\n]+|\s{2,}")
NEGATION_WINDOW = 4
EVIDENCE_BELIEF = 0.55  # what one fresh message showing an interest is worth
HALF_LIFE_DAYS = 180
# "血压一直正常", "血糖没问题": the state after the word cancels it
NEGATED_STATE = re.compile(r"^.{0,6}?(正常|不高|不算高|没事|没问题|挺好|OK|ok|过了)")


@dataclass
class TagVote:
    tag: str
    about: str
    evidence: list[int] = field(default_factory=list)
    weights: list[float] = field(
        default_factory=list
    )  # one per evidence message: 1.0 today, halving every 180 days

    @property
    def confidence(self) -> float:
        """Each piece of evidence adds belief; old evidence adds less (people's diets and families change)."""
        doubt = 1.0
        for weight in self.weights or [1.0] * len(self.evidence):
            doubt *= 1 - EVIDENCE_BELIEF * weight
        return round(min(0.95, 1 - doubt), 3)


def _clause_hits(clause: str, tax: Taxonomy) -> list[tuple[str, int, str]]:
    """(tag id, position, word) for every lexicon word in a clause: leftmost-longest, no overlaps."""
    pattern, owners = tax.lexicon_index
    return [(tag, m.start(), m.group()) for m in pattern.finditer(clause) for tag in owners[m.group()]]


def _negated(clause: str, pos: int, word: str, tax: Taxonomy) -> bool:
    before = clause[max(0, pos - NEGATION_WINDOW) : pos]
    if any(neg in before for neg in tax.negations):
        return True
    return bool(NEGATED_STATE.match(clause[pos + len(word) :]))


def age_weight(sent_at: datetime | None, today: date | None) -> float:
    if sent_at is None or today is None:
        return 1.0
    days = max(0, (today - sent_at.date()).days)
    return float(0.5 ** (days / HALF_LIFE_DAYS))


def tag_messages(
    messages: Sequence[tuple[int, str]],
    tax: Taxonomy | None = None,
    sent: dict[int, datetime] | None = None,
    today: date | None = None,
) -> list[TagVote]:
    """Tags for one member's (message id, text) pairs.

    A tag is about the member's family when any of its evidence names a family member ("我爸血压高"); hearsay,
    past states, negations and other people's interests ("我闺蜜吃素") are not evidence at all.
    """
    tax = tax or taxonomy()
    votes: dict[str, TagVote] = {}
    for message_id, text in messages:
        if not text or looks_like_injection(text):
            continue  # instructions inside chat never create or change a tag
        if text.lstrip().startswith(("#接龙", "＃接龙")):
            continue  # a 接龙 re-post repeats other people's lines: not this member's evidence
        if any(marker in text for marker in tax.third_party_markers):
            continue
        family_in_message = any(marker in text for marker in tax.family_markers)
        for clause in CLAUSE.split(text):
            for tag_id, pos, word in _clause_hits(clause, tax):
                head = clause[:pos]
                if _negated(clause, pos, word, tax):
                    continue
                if any(marker in head for marker in tax.past_markers + tax.hedges):
                    continue
                family = not tax.tags[tag_id].family_is_self and (
                    any(marker in clause for marker in tax.family_markers)
                    or (family_in_message and not head.strip().startswith("我"))
                )
                vote = votes.setdefault(tag_id, TagVote(tag_id, "self"))
                if family:
                    vote.about = "family"
                if message_id not in vote.evidence:
                    vote.evidence.append(message_id)
                    vote.weights.append(age_weight((sent or {}).get(message_id), today))
    return sorted(votes.values(), key=lambda v: (-len(v.evidence), v.tag))
