"""A lawful rewrite, built from the product's own documents, for a sentence the compliance check blocks.

A rule's suggestion says what kind of sentence is lawful (说钠含量，不说降血压); a host on air needs the sentence
itself. For a sentence with a disease, health-function, guarantee or safety claim about a product, this module
writes one: the sentence's clauses that no rule objects to, then the talking points the product sheet sanctions
(its “可以说的：” line) on the topic the claim was about (降血压 → 钠; 控糖 → 蔗糖), or failing those the facts of
that topic's lawful angle from the taxonomy. The rewrite is offered only if it passes the compliance check itself
and every figure, batch and certificate in it is grounded in the sku's valid documents; it carries the chunks it
stands on. Nothing is invented: with no documents on the topic there is no rewrite, only the rule's suggestion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agent.checks.compliance import Finding
from agent.checks.grounding import Grounder
from agent.taxonomy import TagDef, taxonomy
from knowledge.index import KnowledgeBase

# the families whose sentences say what a product does to a body: the ones a figure from the sheet can replace
REWRITE_FAMILIES = frozenset({"disease_claims", "health_function", "guarantees", "safety_absolutes"})
SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*")
CLAUSE = re.compile(r"[^，,；;：:。！？!?]+")
FIGURE = re.compile(
    r"\d|未检出|未添加|不添加"
)  # a point worth saying instead: a figure or a 未检出/未添加 result
MAX_POINTS = 2
BASIS = re.compile(r"每\s*100\s*(?:g|克|ml|mL|毫升)")  # a nutrition table's header
# a clause that says what eating it does, or names a health topic, is not kept in a rewrite even when no rule
# flagged it: the rewrite must not carry on a claim the rules happened to miss (宝宝吃了长得快)
EFFECT = re.compile(r"吃了|喝了|用了|吃完|喝完|坚持吃|常吃|天天吃|每天吃|效果|见效|管用")


@dataclass(frozen=True)
class Rewrite:
    text: str
    citations: list[str]


def _topic(sentence: str, spans: list[Finding]) -> TagDef | None:
    """The taxonomy tag a claim is about: the longest lexicon word of a tag with lawful fact keys, found in a
    flagged span first (降血压 → blood_pressure), else anywhere in the sentence."""
    tags = [t for t in taxonomy().tags.values() if t.fact_keys]
    for where in [*(f.text for f in spans), sentence]:
        best = max(
            ((len(word), tag) for tag in tags for word in tag.lexicon if len(word) >= 2 and word in where),
            key=lambda pair: pair[0],
            default=None,
        )
        if best is not None:
            return best[1]
    return None


def _on_topic(point: str, tag: TagDef) -> bool:
    return any(key in point for key in tag.fact_keys) or any(w in point for w in tag.lexicon if len(w) >= 2)


class Rewriter:
    """Rewrites for one sku: the sheet's points and the grounder are read once per checked text."""

    def __init__(self, kb: KnowledgeBase, sku: str, grounder: Grounder | None = None) -> None:
        from agent.drafting.composer import TemplateComposer, sanctioned_points

        self.kb, self.sku = kb, sku
        # the checking caller's grounder when it has one (the request's prices change no claim but a price's)
        self.grounder = grounder if grounder is not None and grounder.sku == sku else Grounder(kb, sku, ())
        self.points = [(p, hit.chunk_id) for items, hit in sanctioned_points(kb, sku) for p in items]
        self._composer = TemplateComposer(kb)
        self._book: Any = None

    def _fits(self, text: str) -> bool:
        """Lawful and grounded: nothing any check on quoted document text objects to (compliance, PII, injection:
        the sheet's points are document text, untrusted too), every claim supported, at least one to stand on."""
        from agent.drafting.composer import _lawful

        if not _lawful(text):
            return False
        claims = self.grounder.claims(text)
        # a rewrite stands on the documents: a price only the request sets (a grounder with the request's
        # prices finds it supported, but no chunk states it) does not
        return bool(claims) and all(
            c.label == "supported" and (c.kind != "price" or c.citation) for c in claims
        )

    def _cite(self, text: str, sheet: str | None) -> list[str]:
        cited = [*self.grounder.sources(text), *([sheet] if sheet else [])]
        for claim in self.grounder.claims(text):
            if claim.citation:
                cited.append(claim.citation)
        return list(dict.fromkeys(cited))

    def _statements(self, tag: TagDef) -> list[tuple[str, str | None]]:
        """What may be said instead, best first: the sheet's own points on the topic, then the angle's facts."""
        out: list[tuple[str, str | None]] = [
            (p, chunk) for p, chunk in self.points if FIGURE.search(p) and _on_topic(p, tag) and self._fits(p)
        ]
        if len(out) < MAX_POINTS:
            if self._book is None:
                self._book = self._composer.fact_book(self.sku)
            picked, _ = self._composer.angle_facts(tag, self._book)
            for fact, hit in picked:
                said = (
                    f"{fact.key}{fact.value}"
                    if re.match(r"[\d<≤＜]", fact.value)
                    else f"{fact.key}：{fact.value}"
                )
                basis = BASIS.search(hit.text) if "|" in fact.line else None
                if basis and basis.group() not in said:  # a nutrition table's row: say per what (每100ml)
                    said = basis.group() + said
                if self._fits(said) and all(said not in p for p, _ in out):
                    out.append((said, hit.chunk_id))
        return out[:MAX_POINTS]

    def rewrite(self, text: str, start: int, end: int, flagged: list[Finding]) -> Rewrite | None:
        """A rewrite of ``text[start:end]`` (one sentence), whose ``flagged`` compliance findings it must lose."""
        sentence = text[start:end]
        tag = _topic(sentence, [f for f in flagged if f.family in REWRITE_FAMILIES])
        if tag is None:  # no topic, nothing on it to say instead: the rule's own suggestion (删去…) stands
            return None
        said = self._statements(tag)
        if not said:
            return None
        health_words = [w for t in taxonomy().tags.values() if t.sensitive for w in t.lexicon if len(w) >= 2]
        kept = [
            m.group().strip()
            for m in CLAUSE.finditer(sentence)
            if m.group().strip()
            and not any(f.start < start + m.end() and start + m.start() < f.end for f in flagged)
            and not EFFECT.search(m.group())
            and not any(w in m.group() for w in health_words)
        ]
        body = "、".join(p for p, _ in said)
        tail = f"，{tag.audience}可以对照着选" if tag.audience else ""
        ending = "。" if not sentence.rstrip().endswith(("！", "!", "？", "?")) else sentence.rstrip()[-1]
        for lead in (["，".join(kept)] if kept else []) + [""]:
            candidate = (f"{lead}：{body}" if lead else body) + tail + ending
            if self._fits(candidate):
                cited: list[str] = []
                for point, chunk in said:
                    cited += self._cite(point, chunk)
                return Rewrite(candidate, list(dict.fromkeys(cited)))
        return None


def attach_rewrites(
    text: str,
    findings: list[dict[str, Any]],
    compliance: list[Finding],
    sku: str,
    kb: KnowledgeBase,
    grounder: Grounder | None = None,
) -> None:
    """Adds ``rewrite`` and ``rewrite_citations`` to the first blocking finding of each sentence that has a
    disease, health-function, guarantee or safety claim, when a grounded, lawful rewrite exists. ``grounder``: the
    caller's for this sku, reused rather than built again."""
    wanted = [f for f in compliance if f.family in REWRITE_FAMILIES and f.severity == "block"]
    if not wanted:
        return
    rewriter = Rewriter(kb, sku, grounder)
    for sentence in SENTENCE.finditer(text):
        inside = [f for f in compliance if sentence.start() <= f.start < sentence.end()]
        if not any(f in wanted for f in inside):
            continue
        found = rewriter.rewrite(text, sentence.start(), sentence.end(), inside)
        if found is None:
            continue
        first = next(f for f in inside if f in wanted)
        for finding in findings:
            if (finding["rule"], finding["start"], finding["end"]) == (first.rule, first.start, first.end):
                finding["rewrite"] = found.text
                finding["rewrite_citations"] = found.citations
                break
