"""One function per dataset: labelled rows in, per-row outcomes and aggregate metrics out.

Each evaluator returns ``(metrics, failures)``: ``metrics`` maps a metric name to its value for the rows given,
``failures`` lists the rows that went wrong with what was expected and what came back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from agent.checks.compliance import check_compliance
from agent.tagging.rules import tag_messages
from community.privacy import Pseudonymizer
from knowledge.index import KnowledgeBase

MEASUREMENT = re.compile(r"\d+(?:\.\d+)?\s*(?:%|mg|g|ml|kJ|kcal|μg|克|毫升|毫克|千焦|天|个月)")
Metrics = dict[str, float]
Failures = list[dict[str, Any]]


Searcher = Callable[[str, "str | None", int], list[tuple[str, str]]]  # (query, sku, k) → [(doc_id, text)]


def _relevant(doc_id: str, text: str, gold: list[dict[str, str]]) -> bool:
    return any(doc_id == g["doc_id"] and g["contains"] in text for g in gold)


def linli_searchers(kb: KnowledgeBase) -> dict[str, Searcher]:
    def searcher(mode: str) -> Searcher:
        return lambda q, sku, k: [(h.doc_id, h.text) for h in kb.search(q, sku=sku, k=k, mode=mode)]

    return {mode: searcher(mode) for mode in ("dense", "bm25", "hybrid")}


def retrieval(rows: list[dict[str, Any]], searchers: dict[str, Searcher]) -> tuple[Metrics, Failures]:
    """recall@5 (a relevant chunk in the top 5), MRR@10 and binary nDCG@10 per retriever. A chunk is relevant when
    it comes from the gold document and contains the gold passage's text (chunk ids change with chunking)."""
    metrics: Metrics = {}
    failures: Failures = []
    for name, search in searchers.items():
        recall = mrr = ndcg = 0.0
        for row in rows:
            hits = search(row["query"], row.get("sku"), 10)
            flags = [_relevant(doc_id, text, row["relevant"]) for doc_id, text in hits]
            first = next((i for i, f in enumerate(flags) if f), None)
            recall += 1.0 if first is not None and first < 5 else 0.0
            mrr += 1.0 / (first + 1) if first is not None else 0.0
            dcg = sum(1.0 / math.log2(i + 2) for i, f in enumerate(flags) if f)
            ideal = sum(1.0 / math.log2(i + 2) for i in range(min(max(sum(flags), 1), 10)))
            ndcg += dcg / ideal
            if name == "hybrid" and (first is None or first >= 5):
                failures.append(
                    {
                        "id": row["id"],
                        "query": row["query"],
                        "expected": row["relevant"],
                        "got": [d for d, _ in hits[:5]],
                        "rank": None if first is None else first + 1,
                    }
                )
        n = max(len(rows), 1)
        metrics[f"{name}.recall@5"] = recall / n
        metrics[f"{name}.mrr@10"] = mrr / n
        metrics[f"{name}.ndcg@10"] = ndcg / n
    if "hybrid" in searchers and "langchain" in searchers:
        metrics["hybrid_gain.recall@5"] = metrics["hybrid.recall@5"] - metrics["langchain.recall@5"]
    return metrics, failures


def tagging(rows: list[dict[str, Any]]) -> tuple[Metrics, Failures]:
    """Micro and per-tag precision/recall over (member, tag) pairs; precision on sensitive tags; share of right
    'about'; evidence validity (true-positive assertions whose evidence messages are all among the messages a human
    marked for that tag); injection success (rows with an injected instruction where a tag the member never showed
    appears only because of it, or an injected line is cited as evidence)."""
    from agent.taxonomy import taxonomy

    tax = taxonomy()
    per_tag = {t: {"tp": 0, "fp": 0, "fn": 0} for t in tax.tags}
    about_right = evidence_checked = evidence_ok = 0
    injection_rows = injection_hits = 0
    failures: Failures = []
    for row in rows:
        votes = tag_messages(list(enumerate(row["messages"])))
        predicted = {v.tag: v for v in votes}
        gold = set(row["gold"])
        for tag in gold | set(predicted):
            key = "tp" if tag in gold and tag in predicted else ("fp" if tag in predicted else "fn")
            per_tag[tag][key] += 1
        for tag in gold & set(predicted):
            about_right += predicted[tag].about == (row.get("about") or {}).get(tag, "self")
            marked = (row.get("evidence") or {}).get(tag)
            if marked is not None:
                evidence_checked += 1
                evidence_ok += set(predicted[tag].evidence) <= set(marked)
        injected = set(row.get("injection_lines") or [])
        if injected:
            # an injection succeeds when the instruction changes the outcome: the tags found with and without the
            # injected lines differ, or an injected line is cited as evidence
            injection_rows += 1
            cited = {i for v in votes for i in v.evidence}
            clean = [(i, m) for i, m in enumerate(row["messages"]) if i not in injected]
            without = {(v.tag, v.about) for v in tag_messages(clean)}
            injection_hits += without != {(v.tag, v.about) for v in votes} or bool(cited & injected)
        if set(predicted) != gold:
            failures.append(
                {
                    "id": row["id"],
                    "expected": sorted(gold),
                    "got": sorted(predicted),
                    "messages": row["messages"][:4],
                }
            )

    def prf(counts: list[dict[str, int]]) -> tuple[float, float, float]:
        tp = sum(c["tp"] for c in counts)
        fp = sum(c["fp"] for c in counts)
        fn = sum(c["fn"] for c in counts)
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    precision, recall, f1 = prf(list(per_tag.values()))
    sensitive_precision, _, _ = prf([per_tag[t] for t in tax.sensitive_ids])
    true_positives = sum(c["tp"] for c in per_tag.values())
    metrics: Metrics = {
        "precision": precision,
        "recall": recall,
        "micro_f1": f1,
        "sensitive_precision": sensitive_precision,
        "about_accuracy": about_right / true_positives if true_positives else 1.0,
    }
    if evidence_checked:
        metrics["evidence_validity"] = evidence_ok / evidence_checked
    if injection_rows:
        metrics["injection_success"] = injection_hits / injection_rows
        metrics["injection_resisted"] = 1 - injection_hits / injection_rows
    for tag, counts in per_tag.items():
        p, r, _ = prf([counts])
        metrics[f"{tag}.precision"] = p
        metrics[f"{tag}.recall"] = r
    return metrics, failures


def compliance(
    rows: list[dict[str, Any]], check: Callable[[str], list[Any]] = check_compliance
) -> tuple[Metrics, Failures]:
    """An expected violation is found when a finding of its family overlaps it; a finding overlapping none is a
    false positive. Clean sentences with no finding count towards ``clean_pass``; per family,
    ``{family}.clean_false_positive_rate`` is the share of clean sentences that a rule of that family flags (its
    complement ``{family}.clean_pass`` is what a threshold can gate, since thresholds are minimums). ``check`` is the
    checker scored (cross-validation passes a fold's)."""
    from agent.checks.compliance import rules as rule_set

    expected_total = found = findings_total = false_pos = clean = clean_ok = 0
    per_family: dict[str, list[int]] = {}  # family → [expected, found]
    # family → clean lines it flags; every family of the rules and of the labels, so the metric names stay the
    # same whatever the rule files hold (an emptied rule directory must fail on recall, not on a missing name)
    families = {r.family for r in rule_set()} | {e["family"] for row in rows for e in row["expected"]}
    clean_flagged = dict.fromkeys(sorted(families), 0)
    failures: Failures = []
    for row in rows:
        text = row["text"]
        findings = check(text)
        spans = []
        for item in row["expected"]:
            start = text.find(item["text"])
            if start < 0:
                raise ValueError(
                    f"compliance row {row['id']}: expected text {item['text']!r} not in the sentence"
                )
            spans.append((item["family"], start, start + len(item["text"])))
        missed = [
            s
            for s in spans
            if not any(f.family == s[0] and f.start < s[2] and s[1] < f.end for f in findings)
        ]
        extra = [
            f
            for f in findings
            if not any(f.family == s[0] and f.start < s[2] and s[1] < f.end for s in spans)
        ]
        expected_total += len(spans)
        found += len(spans) - len(missed)
        for span in spans:
            counts = per_family.setdefault(span[0], [0, 0])
            counts[0] += 1
            counts[1] += span not in missed
        findings_total += len(findings)
        false_pos += len(extra)
        if not spans:
            clean += 1
            clean_ok += not findings
            for family in {f.family for f in findings}:
                clean_flagged[family] = clean_flagged.get(family, 0) + 1
        if missed or extra:
            failures.append(
                {
                    "id": row["id"],
                    "text": text,
                    "missed": [text[s[1] : s[2]] for s in missed],
                    "false_positives": [f"{f.rule}:{f.text}" for f in extra],
                }
            )
    metrics: Metrics = {
        "recall": found / expected_total if expected_total else 1.0,
        "precision": (findings_total - false_pos) / findings_total if findings_total else 1.0,
        "clean_pass": clean_ok / clean if clean else 1.0,
        "clean_false_positive_rate": 1 - clean_ok / clean if clean else 0.0,
    }
    for family, (expected, hit) in sorted(per_family.items()):
        metrics[f"{family}.recall"] = hit / expected
    for family, flagged in sorted(clean_flagged.items()):
        metrics[f"{family}.clean_false_positive_rate"] = flagged / clean if clean else 0.0
        metrics[f"{family}.clean_pass"] = 1 - flagged / clean if clean else 1.0
    return metrics, failures


MUST_MENTION = Path(__file__).parent / "data" / "must_mention.yaml"


def must_mention_lists(path: Path = MUST_MENTION) -> tuple[dict[str, dict[str, list[str]]], dict[str, str]]:
    """sku → kind → what a draft of that kind must mention (evals/data/must_mention.yaml), and the request
    values ({price}, {deadline}, {pickup}) a row that gives none is composed with."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    request = {str(k): str(v) for k, v in (data.pop("_request", None) or {}).items()}
    for sku, kinds in data.items():
        if not isinstance(kinds, dict) or not all(isinstance(v, list) for v in kinds.values()):
            raise ValueError(f"{path}: {sku}: expected kind: [fact, ...] lists")
    lists = {
        sku: {kind: [str(m) for m in items] for kind, items in kinds.items()} for sku, kinds in data.items()
    }
    return lists, request


def drafts(rows: list[dict[str, Any]], compose: Any, kb: KnowledgeBase) -> tuple[Metrics, Failures]:
    """End to end offline drafting: blocking-free share, must-mention coverage (the sku's list for the kind in
    must_mention.yaml plus the row's own; overall, and ``must_mention_min_product``, the coverage of the worst
    product among the rows given; failures name the sku and what is missing), citation validity."""
    block_free = mention_hit = mention_total = cited_ok = cited_total = factual = factual_cited = 0
    failures: Failures = []
    lists, request = must_mention_lists()
    per_product: dict[str, list[int]] = {}  # sku → [mentioned, needed]
    for row in rows:
        draft = compose(row)
        blocking = [f for f in draft["findings"] if f["severity"] == "block"]
        block_free += not blocking
        text = draft["text"]
        values = {key: str(row.get(key) or default) for key, default in request.items()}
        listed = [m.format(**values) for m in lists.get(row["sku"], {}).get(row["kind"], [])]
        needed = list(dict.fromkeys(listed + row.get("must_mention", [])))
        missing = [m for m in needed if m not in text]
        mention_total += len(needed)
        mention_hit += len(needed) - len(missing)
        counts = per_product.setdefault(row["sku"], [0, 0])
        counts[0] += len(needed) - len(missing)
        counts[1] += len(needed)
        bad_citations = []
        for sentence in draft["sentences"]:
            has_number = bool(MEASUREMENT.search(sentence["text"]))
            factual += has_number
            factual_cited += has_number and bool(sentence["citations"])
            for hit in kb.get_chunks(sentence["citations"]):
                cited_total += 1
                ok = hit.sku in (row["sku"], "ALL") and not hit.flags
                cited_ok += ok
                if not ok:
                    bad_citations.append(hit.chunk_id)
        if blocking or missing or bad_citations:
            failures.append(
                {
                    "id": row["id"],
                    "sku": row["sku"],
                    "blocking": [f["text"] for f in blocking],
                    "missing": missing,
                    "bad_citations": bad_citations,
                }
            )
    n = max(len(rows), 1)
    coverage = {sku: hit / need if need else 1.0 for sku, (hit, need) in sorted(per_product.items())}
    metrics: Metrics = {
        "block_free": block_free / n,
        "must_mention": mention_hit / mention_total if mention_total else 1.0,
        "must_mention_min_product": min(coverage.values(), default=1.0),
        "citation_valid": cited_ok / cited_total if cited_total else 1.0,
        "numeric_sentences_cited": factual_cited / factual if factual else 1.0,
    }
    return metrics, failures


PII_TYPES = ("手机", "电话", "身份证", "银行卡", "邮箱", "微信", "QQ", "尾号", "地址")


def pii(rows: list[dict[str, Any]]) -> tuple[Metrics, Failures]:
    """Per type and overall: an expected span is found when a found span of the same type overlaps it; a found
    span is right when it overlaps an expected span of its type. ``core`` pools 手机, 身份证 and 银行卡."""
    finder = Pseudonymizer(b"eval")
    expected_n = dict.fromkeys(PII_TYPES, 0)
    found_n = dict.fromkeys(PII_TYPES, 0)
    hit_n = dict.fromkeys(PII_TYPES, 0)
    right_n = dict.fromkeys(PII_TYPES, 0)
    failures: Failures = []
    for row in rows:
        text = row["text"]
        gold = []
        for item in row["expected"]:
            start = text.find(item["text"])
            if start < 0:
                raise ValueError(f"pii row {row['id']}: expected text {item['text']!r} not in the line")
            gold.append((item["type"], start, start + len(item["text"])))
        spans = finder.find(text)
        missed = [
            g for g in gold if not any(s.kind == g[0] and s.start < g[2] and g[1] < s.end for s in spans)
        ]
        wrong = [
            s for s in spans if not any(s.kind == g[0] and s.start < g[2] and g[1] < s.end for g in gold)
        ]
        for kind, _, _ in gold:
            expected_n[kind] += 1
        for g in gold:
            hit_n[g[0]] += g not in missed
        for s in spans:
            found_n[s.kind] = found_n.get(s.kind, 0) + 1
            right_n[s.kind] = right_n.get(s.kind, 0) + (s not in wrong)
        if missed or wrong:
            failures.append(
                {
                    "id": row["id"],
                    "text": text,
                    "missed": [text[g[1] : g[2]] for g in missed],
                    "false_positives": [f"{s.kind}:{text[s.start : s.end]}" for s in wrong],
                }
            )
    metrics: Metrics = {}

    def ratio(num: int, den: int) -> float:
        return num / den if den else 1.0

    core = ("手机", "身份证", "银行卡")
    metrics["core.recall"] = ratio(sum(hit_n[k] for k in core), sum(expected_n[k] for k in core))
    metrics["core.precision"] = ratio(sum(right_n[k] for k in core), sum(found_n[k] for k in core))
    metrics["all.recall"] = ratio(sum(hit_n.values()), sum(expected_n.values()))
    metrics["all.precision"] = ratio(sum(right_n.values()), sum(found_n.values()))
    for kind in PII_TYPES:
        metrics[f"{kind}.recall"] = ratio(hit_n[kind], expected_n[kind])
        metrics[f"{kind}.precision"] = ratio(right_n[kind], found_n[kind])
    return metrics, failures


def grounding(rows: list[dict[str, Any]], kb: KnowledgeBase) -> tuple[Metrics, Failures]:
    """Label accuracy on the gold claim (supported, wrong_value, wrong_batch, expired, invented), how many bad
    claims block, and how many true claims are blocked by mistake."""
    from agent.checks.grounding import Grounder

    grounders: dict[tuple[str, str], Grounder] = {}
    right = bad = bad_blocked = good = good_blocked = 0
    failures: Failures = []
    for row in rows:
        # a row may carry the request's price (团购价) that a price claim is judged against
        price = str(row.get("price") or "")
        key = (row["sku"], price)
        if key not in grounders:
            grounders[key] = Grounder(kb, row["sku"], (price,) if price else ())
        grounder = grounders[key]
        start = row["text"].find(row["claim"])
        if start < 0:
            raise ValueError(f"grounding row {row['id']}: claim {row['claim']!r} not in the sentence")
        end = start + len(row["claim"])
        claims = [c for c in grounder.claims(row["text"]) if c.start < end and start < c.end]
        predicted = (
            claims[0].label if claims else "supported"
        )  # a claim nobody extracted is a claim let through
        right += predicted == row["label"]
        if row["label"] == "supported":
            good += 1
            good_blocked += predicted != "supported"
        else:
            bad += 1
            bad_blocked += predicted != "supported"
        if predicted != row["label"]:
            failures.append(
                {
                    "id": row["id"],
                    "text": row["text"],
                    "expected": row["label"],
                    "got": predicted,
                    "extracted": [c.text for c in claims],
                }
            )
    return {
        "accuracy": right / max(len(rows), 1),
        "bad_claims_blocked": bad_blocked / bad if bad else 1.0,
        "true_claims_passed": 1 - good_blocked / good if good else 1.0,
    }, failures
