"""Drafting benchmark: offline draft latency end to end (retrieve, compose, every check including grounding) over
the demo products and kinds, and compliance-check throughput in sentences per second.

    python -m evals.bench.drafts_bench
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "api" / "demo" / "docs"
SENTENCES = REPO / "evals" / "data" / "compliance.jsonl"
SKUS = ["OIL-EVOO-500", "SOY-LOWNA-500", "FLOUR-ORG-1KG", "RICE-INF-225", "OAT-WHOLE-1KG", "EGG-FREE-30"]


def main() -> None:
    from agent.checks.compliance import check_compliance
    from agent.drafting import compose_draft
    from knowledge.index import KnowledgeBase
    from settings import Settings

    with tempfile.TemporaryDirectory(prefix="linli-dbench-") as tmp:
        from evals.bench.retrieval_bench import fresh_queries

        cache = (
            REPO / "evals" / ".work" / "embeddings.sqlite"
        )  # the eval's passage cache, when present, saves minutes
        cache = cache if cache.exists() else Path(tmp) / "cache.sqlite"
        kb = KnowledgeBase(
            Settings(home=Path(tmp), today="2026-11-24", embedding_cache=cache), embedder=fresh_queries(cache)
        )
        kb.ingest([DOCS])
        compose_draft(kb, kind="script", sku="OIL-EVOO-500")  # warm-up: BM25 index, jieba dictionary
        timings: list[float] = []
        scripts: list[float] = []
        for _ in range(3):
            for sku in SKUS:
                for kind in ("script", "chain", "push"):
                    started = time.perf_counter()
                    compose_draft(
                        kb, kind=kind, sku=sku, price="¥59", deadline="今晚22:00", pickup="南门", limit="2件"
                    )
                    timings.append(time.perf_counter() - started)
                    if kind == "script":
                        scripts.append(timings[-1])
    texts = [
        json.loads(line)["text"]
        for line in SENTENCES.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    corpus = (texts * (5000 // len(texts) + 1))[:5000]
    check_compliance(corpus[0])
    started = time.perf_counter()
    for text in corpus:
        check_compliance(text)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "drafts": len(timings),
                "draft_p50_s": statistics.median(timings),
                "draft_p95_s": sorted(timings)[int(0.95 * (len(timings) - 1))],
                "script_p50_s": statistics.median(scripts),
                "compliance_sentences": len(corpus),
                "compliance_sentences_per_s": len(corpus) / seconds,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
