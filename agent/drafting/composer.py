"""The offline TemplateComposer: fills a 话术 template with facts retrieved for the batch on sale.

Every sentence that states a fact carries the ids of the chunks it came from. Only facts from the current batch's
report and from valid documents are used; a quoted sentence that itself fails a compliance rule is never used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agent.checks.compliance import check_compliance
from agent.checks.grounding import Grounder
from agent.drafting.templates import PLACEHOLDER, Template, TemplateError
from agent.taxonomy import TagDef
from knowledge.documents import Fact
from knowledge.index import Hit, KnowledgeBase

META_KEYS = re.compile(
    r"编号|日期|机构|单位|名称|批号|数量|方式|型号|依据|生产商|签发|委托|地址|电话|结论|判定|备注|规格|净含量"
)
SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")
MARKDOWN = re.compile(r"\*\*|__|^#+\s*|^[-*]\s+|^\d+[.、]\s*")
MISSING = "【待填写】"
# what a segment's angle may state: a figure, a 未检出/未添加 result, or a certificate number
STATABLE = re.compile(r"\d|未检出|未添加|不添加")
# what a fact's name may add to the taxonomy's key and still name the same item (钠含量, 证书编号)
SAY_LINE = re.compile(r"可以说的[：:]([^\n]+)")  # a product sheet's sanctioned talking points
SAME_ITEM_SUFFIXES = ("含量", "总量", "证书编号", "证书")
OPT_OUT = "不想收到这类推荐的家人，回复“退订”即可，我们不再推送。"


@dataclass
class Sentence:
    text: str
    citations: list[str]
    segment: str

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "citations": self.citations, "segment": self.segment}


@dataclass
class Request:
    kind: str
    sku: str
    segment: TagDef | None = None
    event: str | None = None
    host: str | None = None
    price: str | None = None
    deadline: str | None = None
    pickup: str | None = None
    limit: str | None = None
    # an operator's "send back with feedback": the LLM composer gets it as the reviewer's instruction
    feedback: str | None = None


@dataclass
class FactBook:
    """The facts a draft may state: current batch and valid documents only, each with its chunk."""

    entries: list[tuple[Fact, Hit]] = field(default_factory=list)

    def find(self, keyword: str, doc_types: tuple[str, ...] = ()) -> tuple[Fact, Hit] | None:
        candidates = [
            (f, h) for f, h in self.entries if keyword in f.key and (not doc_types or h.doc_type in doc_types)
        ]
        exact = [(f, h) for f, h in candidates if f.key == keyword]
        best = exact or candidates
        return best[0] if best else None

    def measurements(self, doc_type: str) -> list[tuple[Fact, Hit]]:
        seen: set[str] = set()
        out = []
        for fact, hit in self.entries:
            if hit.doc_type != doc_type or META_KEYS.search(fact.key) or fact.key in seen:
                continue
            if fact.number is None and "未检出" not in fact.value:
                continue
            seen.add(fact.key)
            out.append((fact, hit))
        return out


def _clean(text: str) -> str:
    return " ".join(MARKDOWN.sub("", line.strip()) for line in text.splitlines() if line.strip())


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(_clean(text)) if len(s.strip()) >= 6]


def _lawful(sentence: str) -> bool:
    """A document sentence may be quoted only if no check objects to it: documents are untrusted data too, and a
    link, a phone number or an instruction planted in one must not ride into group copy."""
    from agent.checks import check_injection, check_pii

    return not check_compliance(sentence) and not check_pii(sentence) and not check_injection(sentence)


def fact_match(key: str, fact_key: str) -> int:
    """How well a fact's name matches a taxonomy fact key: 3 the item itself (钠, 蔗糖（天然存在，实测）), 2 a name
    built on it (钠含量, 每15ml含钠, 有机产品认证证书编号), 0 another item that merely contains the word (脂肪酸值,
    苯甲酸及其钠盐, 酸度（以游离脂肪酸计）)."""
    base = re.sub(r"[（(].*?[)）]", "", fact_key).strip()
    if base == key:
        return 3
    if base.startswith(key) and base[len(key) :] in SAME_ITEM_SUFFIXES:
        return 2
    if base.endswith("含" + key):
        return 2
    return 0


def sanctioned_points(kb: KnowledgeBase, sku: str) -> list[tuple[list[str], Hit]]:
    """The talking points the valid product sheets of ``sku`` sanction (their “可以说的：” lines), unchecked, each
    line's points with the sheet's chunk. Callers check each point before saying it."""
    out = []
    for hit in kb.chunks_for_sku(sku):
        if hit.flags or hit.sku != sku or hit.doc_type != "product":
            continue
        found = SAY_LINE.search(hit.text)
        if found:
            out.append(
                ([i.strip() for i in re.split(r"[、；;]", found.group(1).rstrip("。 ")) if i.strip()], hit)
            )
    return out


class TemplateComposer:
    name = "template"

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._grounder: Grounder | None = None

    def fact_book(self, sku: str) -> FactBook:
        entries = [
            (f, h) for f, h in self.kb.facts_for(sku) if not h.flags and _lawful(f"{f.key}：{f.value}")
        ]
        order = {"traceability": 0, "product": 1, "certificate": 2, "faq": 3, "policy": 4}
        entries.sort(key=lambda e: (order.get(e[1].doc_type, 9), e[1].doc_id, e[1].start))
        return FactBook(entries)

    def variables(self, request: Request, book: FactBook) -> dict[str, tuple[str, list[str]]]:
        """Declared template variables with the chunks that support them."""
        values: dict[str, tuple[str, list[str]]] = {}
        name = book.find("产品名称")
        if name:
            values["title"] = (name[0].value, [])
        else:
            values["title"] = (request.sku, [])
        batch = self.kb.current_batches().get(request.sku)
        report = next((h for f, h in book.entries if h.doc_type == "traceability" and h.batch == batch), None)
        if batch and report:
            values["batch"] = (batch, [report.chunk_id])
            issuer = book.find("检测机构", ("traceability",))
            if issuer:
                values["issuer"] = (issuer[0].value, [issuer[1].chunk_id])
            if report.valid_until:
                values["valid_until"] = (report.valid_until, [report.chunk_id])
        values["event"] = (request.event, []) if request.event else ("", [])
        values["host"] = (request.host or "主播", [])
        for key in ("price", "deadline", "pickup", "limit"):
            values[key] = (getattr(request, key) or MISSING, [])
        if request.segment:
            values["audience"] = (request.segment.audience, [])
        return {k: v for k, v in values.items() if v[0]}

    def _fill(self, text: str, values: dict[str, tuple[str, list[str]]], book: FactBook) -> Sentence | None:
        citations: list[str] = []
        parts: list[str] = []
        pos = 0
        for match in PLACEHOLDER.finditer(text):
            parts.append(text[pos : match.start()])
            pos = match.end()
            if match.group(1):
                found = book.find(match.group(2))
                if found is None:
                    return None
                parts.append(found[0].value)
                citations.append(found[1].chunk_id)
            else:
                if match.group(2) not in values:
                    return None
                value, cites = values[match.group(2)]
                parts.append(value)
                citations.extend(cites)
        parts.append(text[pos:])
        return Sentence("".join(parts), list(dict.fromkeys(citations)), "")

    def compose(self, template: Template, request: Request) -> tuple[list[Sentence], dict[str, Any]]:
        if template.kind != request.kind:
            raise TemplateError(f"template {template.version} is for {template.kind}, not {request.kind}")
        book = self.fact_book(request.sku)
        # a quoted document sentence must also pass grounding: a current FAQ may well speak of an expired
        # certificate or the last batch ("以前的有机证书到2026-06-30到期"), and such a sentence would block the draft
        self._grounder = Grounder(self.kb, request.sku, (request.price,) if request.price else ())
        if not book.entries:
            raise TemplateError(
                f"no valid documents for sku {request.sku!r}: ingest its product sheet and report first"
            )
        values = self.variables(request, book)
        sentences: list[Sentence] = []
        trace: dict[str, Any] = {"retrieved": [], "template": template.version}
        for segment in template.segments:
            start = len(sentences)
            for alternatives in segment.lines:
                for alternative in alternatives:
                    sentence = self._fill(alternative, values, book)
                    if sentence is not None:
                        sentences.append(sentence)
                        break
            if "points" in segment.blocks:
                sentences.extend(self._points(segment.blocks["points"], request))
            if "quote" in segment.blocks:
                sentences.extend(self._quote(segment.blocks["quote"], request, trace, sentences))
            if "segment_facts" in segment.blocks and request.segment:
                sentences.extend(
                    self._segment_facts(segment.blocks["segment_facts"], request.segment, book, values, trace)
                )
            if "facts" in segment.blocks:
                block = segment.blocks["facts"]
                stated = {s.text for s in sentences}
                fresh = [
                    (f, h)
                    for f, h in book.measurements(block.get("doc_type", "traceability"))
                    if not any(f.key in text and f.value in text for text in stated)
                ]
                for fact, hit in fresh[: int(block.get("limit", 3))]:
                    line = block["line"].format(key=fact.key, value=fact.value)
                    sentences.append(Sentence(line, [hit.chunk_id], ""))
            if "faq" in segment.blocks:
                sentences.extend(self._faq(segment.blocks["faq"], request, trace))
            for sentence in sentences[start:]:
                sentence.segment = segment.name
        if request.kind == "push" and request.segment:
            sentences.append(Sentence(OPT_OUT, [], "退订"))
        return sentences, trace

    def _points(self, block: dict[str, Any], request: Request) -> list[Sentence]:
        """The talking points the product sheet itself sanctions (its “可以说的：” line), each kept only if it
        passes every check, said in one sentence that cites the sheet."""
        for items, hit in sanctioned_points(self.kb, request.sku):
            kept = [i for i in items if self._fits(i)][: int(block.get("limit", 6))]
            if kept:
                cited = [c for i in kept for c in (self._grounder.sources(i) if self._grounder else [])]
                cited = [c for n, c in enumerate(cited) if c not in cited[:n] and c != hit.chunk_id]
                return [Sentence(block["intro"].format(points="；".join(kept)), [*cited, hit.chunk_id], "")]
        return []

    def _repeats(self, sentence: str, said: str) -> bool:
        """Whether every claim of a document sentence (places, figures, batches) is already in the draft: 这瓶油
        产自西班牙南部安达卢西亚的哈恩省 after 原产国西班牙，产区安达卢西亚自治区 哈恩省 tells the group nothing new."""
        if self._grounder is None:
            return False
        claims = self._grounder.claims(sentence)
        return bool(claims) and all("".join(c.text.split()) in said for c in claims)

    def _quote(
        self, block: dict[str, Any], request: Request, trace: dict[str, Any], before: list[Sentence]
    ) -> list[Sentence]:
        hits = self.kb.search(str(block["query"]), sku=request.sku, doc_type=block.get("doc_type"), k=4)
        trace["retrieved"].extend(h.chunk_id for h in hits)
        said = "".join("".join(s.text.split()) for s in before)
        for hit in hits:
            if hit.flags:
                continue
            chosen = [
                s
                for s in _sentences(hit.text)
                if self._fits(s) and len(s) <= 120 and not self._repeats(s, said)
            ][: int(block.get("sentences", 2))]
            if chosen:
                return [Sentence(s, [hit.chunk_id], "") for s in chosen]
        return []

    def _fits(self, sentence: str) -> bool:
        """A document sentence may be quoted when no check objects to it and every claim in it is grounded."""
        if not _lawful(sentence):
            return False
        return self._grounder is None or all(c.label == "supported" for c in self._grounder.claims(sentence))

    def angle_facts(self, tag: TagDef, book: FactBook) -> tuple[list[tuple[Fact, Hit]], list[str]]:
        """The facts the segment's lawful angle (taxonomy ``fact_keys``) can stand on for this product, the best
        match per key, and the keys the product's valid documents say nothing about."""
        picked: list[tuple[Fact, Hit]] = []
        missing: list[str] = []
        for key in tag.fact_keys:
            scored = [
                (fact_match(key, f.key), n, f, h)
                for n, (f, h) in enumerate(book.entries)
                if STATABLE.search(f.value) and f not in [p[0] for p in picked]
            ]
            scored = [s for s in scored if s[0] > 0]
            if not scored:
                missing.append(key)
                continue
            _, _, fact, hit = max(scored, key=lambda s: (s[0], -s[1]))
            picked.append((fact, hit))
        return picked, missing

    def _segment_facts(
        self,
        block: dict[str, Any],
        tag: TagDef,
        book: FactBook,
        values: dict[str, tuple[str, list[str]]],
        trace: dict[str, Any],
    ) -> list[Sentence]:
        picked, missing = self.angle_facts(tag, book)
        picked = picked[: int(block.get("limit", 3))]
        audience = values.get("audience", ("", []))[0]
        trace["angle"] = {
            "tag": tag.id,
            "angle": tag.angle,
            "facts": [{"key": f.key, "value": f.value, "chunk_id": h.chunk_id} for f, h in picked],
            "missing": missing,
        }
        if not picked:
            # nothing in the documents for this angle: say so rather than reach for something else
            none = block.get("none")
            return [Sentence(none.format(audience=audience, keys="、".join(missing)), [], "")] if none else []
        out = [Sentence(block["intro"].format(audience=audience), [], "")]
        out.extend(
            Sentence(block["line"].format(key=f.key, value=f.value), [h.chunk_id], "") for f, h in picked
        )
        return out

    def _faq(self, block: dict[str, Any], request: Request, trace: dict[str, Any]) -> list[Sentence]:
        query = (
            f"{request.segment.name} {request.segment.audience}"
            if request.segment
            else "常见问题 怎么吃 怎么保存"
        )
        hits = self.kb.search(query, sku=request.sku, doc_type="faq", k=int(block.get("limit", 3)) * 2)
        trace["retrieved"].extend(h.chunk_id for h in hits)
        out: list[Sentence] = []
        asked: set[str] = set()
        for hit in hits:
            if hit.flags or not hit.heading_path or hit.sku != request.sku:
                continue
            question = hit.heading_path[-1]
            answer = [s for s in _sentences(hit.text) if self._fits(s)][:2]
            if question in asked or not answer or not self._fits(question):
                continue
            asked.add(question)
            # the question is the FAQ heading: it cites the chunk too (有家人问：酸度0.2%是什么意思？)
            out.append(Sentence(block["question"].format(question=question), [hit.chunk_id], ""))
            out.append(Sentence(block["answer"].format(answer="".join(answer)), [hit.chunk_id], ""))
            if len(asked) >= int(block.get("limit", 3)):
                break
        return out


def render(sentences: list[Sentence], kind: str) -> str:
    """The draft text: segments under 【headers】 for scripts, plain lines for 接龙 and pushes."""
    lines: list[str] = []
    current = None
    for sentence in sentences:
        if kind == "script" and sentence.segment != current:
            if lines:
                lines.append("")
            lines.append(f"【{sentence.segment}】")
            current = sentence.segment
        lines.append(sentence.text)
    return "\n".join(lines)
