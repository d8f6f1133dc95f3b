"""Drafting benchmark: offline draft latency end to end (retrieve, compose, every check including grounding) over
the demo products and kinds, and compliance-check throughput in sentences per second.

    python -m evals.bench.drafts_bench
    python -m evals.bench.drafts_bench --compliance-only   # the compliance throughput alone (seconds)
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "api" / "demo" / "docs"
SENTENCES = REPO / "evals" / "data" / "compliance.jsonl"
SKUS = ["OIL-EVOO-500", "SOY-LOWNA-500", "FLOUR-ORG-1KG", "RICE-INF-225", "OAT-WHOLE-1KG", "EGG-FREE-30"]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--compliance-only", action="store_true", help="the compliance throughput alone")
    if parser.parse_args().compliance_only:
        print(json.dumps(compliance_throughput(), indent=2))
        return
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
    print(
        json.dumps(
            {
                "drafts": len(timings),
                "draft_p50_s": statistics.median(timings),
                "draft_p95_s": sorted(timings)[int(0.95 * (len(timings) - 1))],
                "script_p50_s": statistics.median(scripts),
                **compliance_throughput(),
            },
            indent=2,
        )
    )


def compliance_throughput() -> dict[str, float]:
    """Sentences per second of the compliance check (rules and the trained span tagger, as shipped), and of the
    rules alone (LINLI_COMPLIANCE_MODEL=off) in the same run, over the compliance eval's sentences."""
    from agent.checks.compliance import check_compliance
    from agent.checks.compliance_model import ENV_SWITCH

    texts = [
        json.loads(line)["text"]
        for line in SENTENCES.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    corpus = (texts * (5000 // len(texts) + 1))[:5000]
    rates = {}
    before = os.environ.get(ENV_SWITCH)
    try:
        for name, switch in (
            ("compliance_sentences_per_s", "on"),
            ("compliance_rules_only_sentences_per_s", "off"),
        ):
            os.environ[ENV_SWITCH] = switch
            check_compliance(corpus[0])  # warm-up: rule index, model file
            started = time.perf_counter()
            for text in corpus:
                check_compliance(text)
            rates[name] = len(corpus) / (time.perf_counter() - started)
    finally:
        if before is None:
            os.environ.pop(ENV_SWITCH, None)
        else:
            os.environ[ENV_SWITCH] = before
    return {"compliance_sentences": len(corpus), **rates}


if __name__ == "__main__":
    main()
