"""The knowledge base: Chroma (dense) + BM25 over jieba tokens, fused by reciprocal rank fusion, with citations.

Only this module talks to Chroma. Every hit carries its chunk id, document id, heading path, character span,
batch and validity, so that a claim can cite exactly where it came from and a stale document is marked.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import chromadb
import numpy as np

from knowledge.documents import SUFFIXES, DocMeta, DocumentError, Fact, ParsedDocument, parse_document
from knowledge.embed import CachedEmbedder, LinliEmbeddingFunction, get_embedder
from settings import Settings, get_settings

COLLECTION = "linli_chunks"
RRF_K = 60
# Reciprocal rank fusion weights (tuned on the dev split of evals/data/retrieval.jsonl).
DENSE_WEIGHT = 1.0
BM25_WEIGHT = 1.0
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
WORD = re.compile(r"[A-Za-z]+[A-Za-z0-9.-]*|\d+(?:\.\d+)?")
SHARED_SKU = "ALL"  # documents (e.g. the after-sales policy) that apply to every product


@dataclass
class Hit:
    chunk_id: str
    doc_id: str
    sku: str
    doc_type: str
    text: str
    score: float
    title: str
    heading_path: list[str]
    start: int
    end: int
    batch: str | None
    issued_at: str | None
    valid_until: str | None
    facts: list[Fact] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # "expired", "other_batch"

    def as_dict(self) -> dict[str, Any]:
        return {
            "chunk_id": self.chunk_id,
            "doc_id": self.doc_id,
            "sku": self.sku,
            "doc_type": self.doc_type,
            "text": self.text,
            "score": round(self.score, 6),
            "title": self.title,
            "heading_path": self.heading_path,
            "span": [self.start, self.end],
            "batch": self.batch,
            "issued_at": self.issued_at,
            "valid_until": self.valid_until,
            "flags": self.flags,
        }


@dataclass
class IngestReport:
    doc_id: str
    status: str  # added | updated | unchanged
    chunks: int
    facts: int
    meta: DocMeta


def tokenize(text: str) -> list[str]:
    """jieba words plus CJK character bigrams (product names jieba does not know), lowercased."""
    import jieba

    tokens: list[str] = []
    for run in CJK_RUN.findall(text):
        tokens.extend(w for w in jieba.lcut_for_search(run) if w.strip())
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    tokens.extend(w.lower() for w in WORD.findall(text))
    return tokens


class _Bm25:
    """An in-memory bm25s index over every chunk, rebuilt when the store changes."""

    def __init__(self, ids: list[str], texts: list[str]) -> None:
        import bm25s

        self.ids = ids
        self._retriever = bm25s.BM25()
        corpus = [tokenize(t) or ["∅"] for t in texts]
        self._vocab: dict[str, int] = {}
        encoded = [[self._vocab.setdefault(tok, len(self._vocab)) for tok in doc] for doc in corpus]
        self._retriever.index(
            bm25s.tokenization.Tokenized(ids=encoded, vocab=self._vocab), show_progress=False
        )

    def scores(self, query: str) -> np.ndarray:
        ids = [self._vocab[t] for t in tokenize(query) if t in self._vocab]
        if not ids:
            return np.zeros(len(self.ids))
        return np.asarray(self._retriever.get_scores(ids))


class KnowledgeBase:
    def __init__(self, settings: Settings | None = None, embedder: CachedEmbedder | None = None) -> None:
        self.settings = settings or get_settings()
        self._embedder = embedder
        if self.settings.chroma_url:
            from urllib.parse import urlparse

            url = urlparse(self.settings.chroma_url)
            self._client = chromadb.HttpClient(
                host=url.hostname or "localhost", port=url.port or 8000, ssl=url.scheme == "https"
            )
        else:
            self.settings.ensure_home()
            self._client = chromadb.PersistentClient(path=str(self.settings.chroma_path))
        self._collection = self._client.get_or_create_collection(
            COLLECTION,
            embedding_function=LinliEmbeddingFunction(provider=self.settings.embeddings),  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
        )
        self._bm25: _Bm25 | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> CachedEmbedder:
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    # -- ingestion -------------------------------------------------------------------------------------------

    def ingest(
        self, paths: Iterable[Path], progress: Callable[[str, int, int], None] | None = None
    ) -> list[IngestReport]:
        """Ingest files (directories are walked). All files are validated before anything is written."""
        files: list[Path] = []
        for path in paths:
            if path.is_dir():
                files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES))
            else:
                files.append(path)
        parsed: list[ParsedDocument] = []
        errors: list[str] = []
        seen: dict[str, Path] = {}
        for file in files:
            try:
                doc = parse_document(file)
            except DocumentError as exc:
                errors.append(str(exc))
                continue
            if doc.meta.doc_id in seen:
                errors.append(f"{file}: document id {doc.meta.doc_id!r} also used by {seen[doc.meta.doc_id]}")
                continue
            seen[doc.meta.doc_id] = file
            parsed.append(doc)
        if errors:
            raise DocumentError("; ".join(errors))
        reports = []
        for n, doc in enumerate(parsed, start=1):
            reports.append(self._ingest_one(doc))
            if progress:
                progress(doc.meta.doc_id, n, len(parsed))
        self._bm25 = None
        return reports

    def _ingest_one(self, doc: ParsedDocument) -> IngestReport:
        meta = doc.meta
        existing = self._collection.get(where={"doc_id": meta.doc_id}, include=["metadatas"])
        facts = sum(len(c.facts) for c in doc.chunks)
        if existing["ids"]:
            old_hash = (existing["metadatas"] or [{}])[0].get("content_hash")
            if old_hash == meta.content_hash and len(existing["ids"]) == len(doc.chunks):
                return IngestReport(meta.doc_id, "unchanged", len(doc.chunks), facts, meta)
        vectors = self.embedder.passages([c.embedding_text(meta.title) for c in doc.chunks])
        if existing["ids"]:
            self._collection.delete(ids=existing["ids"])
        self._collection.add(
            ids=[c.chunk_id for c in doc.chunks],
            documents=[c.text for c in doc.chunks],
            embeddings=[v for v in vectors],
            metadatas=[
                {
                    "doc_id": meta.doc_id,
                    "sku": meta.sku,
                    "doc_type": meta.doc_type,
                    "title": meta.title,
                    "batch": meta.batch or "",
                    "issuer": meta.issuer or "",
                    "issued_at": meta.issued_at.isoformat() if meta.issued_at else "",
                    "valid_until": meta.valid_until.isoformat() if meta.valid_until else "",
                    "content_hash": meta.content_hash,
                    "heading_path": json.dumps(c.heading_path, ensure_ascii=False),
                    "start": c.start,
                    "end": c.end,
                    "facts": json.dumps([f.as_dict() for f in c.facts], ensure_ascii=False),
                }
                for c in doc.chunks
            ],
        )
        return IngestReport(
            meta.doc_id, "updated" if existing["ids"] else "added", len(doc.chunks), facts, meta
        )

    def remove(self, doc_id: str) -> int:
        existing = self._collection.get(where={"doc_id": doc_id}, include=[])
        if existing["ids"]:
            self._collection.delete(ids=existing["ids"])
            self._bm25 = None
        return len(existing["ids"])

    # -- reading ---------------------------------------------------------------------------------------------

    def _all(self) -> dict[str, Any]:
        return dict(self._collection.get(include=["documents", "metadatas"]))

    def count(self) -> int:
        return self._collection.count()

    def current_batches(self) -> dict[str, str]:
        """sku → the batch of its most recently issued traceability report."""
        latest: dict[str, tuple[str, str]] = {}
        rows = self._collection.get(where={"doc_type": "traceability"}, include=["metadatas"])
        for meta in rows["metadatas"] or []:
            sku, issued, batch = str(meta["sku"]), str(meta["issued_at"]), str(meta["batch"])
            if sku not in latest or issued > latest[sku][0]:
                latest[sku] = (issued, batch)
        return {sku: batch for sku, (_, batch) in latest.items()}

    def _hit(
        self,
        chunk_id: str,
        text: str,
        meta: dict[str, Any],
        score: float,
        today: date,
        current: dict[str, str],
    ) -> Hit:
        hit = Hit(
            chunk_id=chunk_id,
            doc_id=str(meta["doc_id"]),
            sku=str(meta["sku"]),
            doc_type=str(meta["doc_type"]),
            text=text,
            score=score,
            title=str(meta["title"]),
            heading_path=json.loads(str(meta["heading_path"])),
            start=int(meta["start"]),
            end=int(meta["end"]),
            batch=str(meta["batch"]) or None,
            issued_at=str(meta["issued_at"]) or None,
            valid_until=str(meta["valid_until"]) or None,
            facts=[Fact(**f) for f in json.loads(str(meta["facts"]))],
        )
        if hit.valid_until and hit.valid_until < today.isoformat():
            hit.flags.append("expired")
        if hit.doc_type == "traceability" and hit.batch and current.get(hit.sku) not in (None, hit.batch):
            hit.flags.append("other_batch")
        return hit

    def today(self) -> date:
        return date.fromisoformat(self.settings.today) if self.settings.today else date.today()

    def _filter(self, sku: str | None, doc_type: str | None) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if sku:
            clauses.append({"sku": {"$in": [sku, SHARED_SKU]}})
        if doc_type:
            clauses.append({"doc_type": doc_type})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def search(
        self,
        query: str,
        *,
        sku: str | None = None,
        doc_type: str | None = None,
        k: int = 5,
        mode: str = "hybrid",
    ) -> list[Hit]:
        """Top-k chunks for a query. ``mode``: hybrid (default), dense or bm25."""
        if not query.strip():
            raise ValueError("query: must not be empty")
        if mode not in ("hybrid", "dense", "bm25"):
            raise ValueError(f"mode: must be hybrid, dense or bm25, got {mode!r}")
        total = self.count()
        if total == 0:
            return []
        depth = min(total, max(k * 4, 20))
        where = self._filter(sku, doc_type)
        ranks: dict[str, list[tuple[float, int]]] = {}
        payload: dict[str, tuple[str, dict[str, Any]]] = {}
        if mode in ("hybrid", "dense"):
            result = self._collection.query(
                query_embeddings=[self.embedder.query(query)],
                n_results=depth,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
            for rank, (cid, text, meta) in enumerate(
                zip(result["ids"][0], result["documents"][0], result["metadatas"][0], strict=True)  # type: ignore[index]
            ):
                ranks.setdefault(cid, []).append((DENSE_WEIGHT, rank))
                payload[cid] = (text, dict(meta))
        if mode in ("hybrid", "bm25"):
            for rank, (cid, text, meta) in enumerate(self._bm25_top(query, depth, sku, doc_type)):
                ranks.setdefault(cid, []).append((BM25_WEIGHT, rank))
                payload[cid] = (text, meta)
        fused = sorted(
            ((sum(w / (RRF_K + r + 1) for w, r in rs), cid) for cid, rs in ranks.items()),
            key=lambda x: (-x[0], x[1]),
        )[:k]
        today, current = self.today(), self.current_batches()
        return [
            self._hit(cid, payload[cid][0], payload[cid][1], score, today, current) for score, cid in fused
        ]

    def _bm25_top(
        self, query: str, depth: int, sku: str | None, doc_type: str | None
    ) -> list[tuple[str, str, dict[str, Any]]]:
        with self._lock:
            if self._bm25 is None or len(self._bm25.ids) != self.count():
                rows = self._all()
                self._rows = rows
                self._bm25 = _Bm25(list(rows["ids"]), list(rows["documents"] or []))
            bm25, rows = self._bm25, self._rows
        scores = bm25.scores(query)
        order = np.argsort(-scores, kind="stable")
        out: list[tuple[str, str, dict[str, Any]]] = []
        metas = rows["metadatas"] or []
        docs = rows["documents"] or []
        for i in order:
            if scores[i] <= 0 or len(out) >= depth:
                break
            meta = metas[i]
            if sku and meta["sku"] not in (sku, SHARED_SKU):
                continue
            if doc_type and meta["doc_type"] != doc_type:
                continue
            out.append((bm25.ids[i], docs[i], dict(meta)))
        return out

    def chunks_of(self, doc_id: str) -> list[Hit]:
        rows = self._collection.get(where={"doc_id": doc_id}, include=["documents", "metadatas"])
        today, current = self.today(), self.current_batches()
        hits = [
            self._hit(cid, text, dict(meta), 0.0, today, current)
            for cid, text, meta in zip(
                rows["ids"], rows["documents"] or [], rows["metadatas"] or [], strict=True
            )
        ]
        return sorted(hits, key=lambda h: h.start)

    def get_chunks(self, chunk_ids: list[str]) -> list[Hit]:
        if not chunk_ids:
            return []
        rows = self._collection.get(ids=chunk_ids, include=["documents", "metadatas"])
        today, current = self.today(), self.current_batches()
        return [
            self._hit(cid, text, dict(meta), 0.0, today, current)
            for cid, text, meta in zip(
                rows["ids"], rows["documents"] or [], rows["metadatas"] or [], strict=True
            )
        ]

    def facts_for(self, sku: str) -> list[tuple[Fact, Hit]]:
        """Every fact of a sku's documents, with the chunk it came from (stale batches and expired ones flagged)."""
        rows = self._collection.get(where={"sku": sku}, include=["documents", "metadatas"])
        today, current = self.today(), self.current_batches()
        out: list[tuple[Fact, Hit]] = []
        for cid, text, meta in zip(
            rows["ids"], rows["documents"] or [], rows["metadatas"] or [], strict=True
        ):
            hit = self._hit(cid, text, dict(meta), 0.0, today, current)
            out.extend((fact, hit) for fact in hit.facts)
        return out


_kb_cache: dict[str, KnowledgeBase] = {}


def get_knowledge_base() -> KnowledgeBase:
    """One knowledge base per LINLI_HOME per process (Chroma clients are not cheap)."""
    settings = get_settings()
    key = f"{settings.home.resolve()}|{settings.chroma_url}"
    if key not in _kb_cache:
        _kb_cache[key] = KnowledgeBase(settings)
    return _kb_cache[key]


def reset_knowledge_base() -> None:
    _kb_cache.clear()
