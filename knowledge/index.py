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

from knowledge.bm25 import Bm25Index
from knowledge.documents import (
    PARSER_VERSION,
    SUFFIXES,
    DocMeta,
    DocumentError,
    Fact,
    ParsedDocument,
    parse_document,
)
from knowledge.embed import CachedEmbedder, LinliEmbeddingFunction, build_embedder
from settings import Settings, get_settings

RRF_K = 60
PAGE = 5000
# Reciprocal rank fusion weights (tuned on the dev split of evals/data/retrieval.jsonl).
DENSE_WEIGHT = 1.0
BM25_WEIGHT = 1.0
FLAGGED_WEIGHT = 0.5  # an expired document or another batch's report ranks below the current one, still shown
BATCH_IN_QUERY = re.compile(r"[A-Za-z]{1,4}\d{4,8}[A-Za-z]?")
MAX_DENSE_FETCH = 3000  # filters apply in memory first: Chroma's `where` costs tens of ms at 50,000 chunks
TITLE_NOISE = re.compile(
    r"\s*(\d+(?:ml|g|kg|L|KG|枚|袋)|产品资料|产品介绍|检测报告|常见问题|批次|[A-Z]{2}\d{4}[A-Z]?).*$"
)
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
    community: str = ""  # "" = shared by every community

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
    facts: list[Fact]
    meta: DocMeta


class _ChunkTable:
    """The chunk rows of one store generation, aligned with the BM25 index, with integer codes for fast filters."""

    def __init__(self, generation: int, rows: dict[str, tuple[str, dict[str, Any]]], bm25: Bm25Index) -> None:
        self.generation = generation
        self.rows = rows
        self.bm25 = bm25
        self.ids = list(rows)
        self.position = {cid: i for i, cid in enumerate(self.ids)}
        self._codes: dict[str, tuple[dict[str, int], np.ndarray]] = {}
        for field_name in ("sku", "doc_type", "community"):
            values = [str(rows[cid][1].get(field_name, "")) for cid in self.ids]
            vocab = {v: n for n, v in enumerate(sorted(set(values)))}
            self._codes[field_name] = (
                vocab,
                np.fromiter((vocab[v] for v in values), dtype=np.int32, count=len(values)),
            )

    def _any_of(self, field_name: str, wanted: tuple[str, ...]) -> np.ndarray:
        vocab, codes = self._codes[field_name]
        present = [vocab[w] for w in wanted if w in vocab]
        return np.isin(codes, present) if present else np.zeros(len(codes), dtype=bool)

    def mask(self, sku: str | None, doc_type: str | None, community: str | None) -> np.ndarray | None:
        if not (sku or doc_type or community):
            return None
        mask = np.ones(len(self.ids), dtype=bool)
        if sku:
            mask &= self._any_of("sku", (sku, SHARED_SKU))
        if doc_type:
            mask &= self._any_of("doc_type", (doc_type,))
        if community:
            mask &= self._any_of("community", ("", community))
        return mask


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
            self.settings.chroma_collection,
            embedding_function=LinliEmbeddingFunction(provider=self.settings.embeddings),  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
        )
        self._bm25: Bm25Index | None = None
        self._lock = threading.Lock()
        self._generation_file = self.settings.home / "bm25" / "generation"
        self._batches: tuple[int, dict[str | None, dict[str, str]]] | None = None
        self._chunks: _ChunkTable | None = None

    # -- generation: bumped by every change, so derived indexes know when they are stale -----------------------

    def generation(self) -> int:
        try:
            return int(self._generation_file.read_text())
        except (OSError, ValueError):
            return 0

    def _bump(self) -> None:
        self._generation_file.parent.mkdir(parents=True, exist_ok=True)
        self._generation_file.write_text(str(self.generation() + 1))

    @property
    def embedder(self) -> CachedEmbedder:
        if self._embedder is None:
            self._embedder = build_embedder(self.settings)
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
        if any(r.status != "unchanged" for r in reports):
            self._bump()
        return reports

    def _ingest_one(self, doc: ParsedDocument) -> IngestReport:
        meta = doc.meta
        existing = self._collection.get(where={"doc_id": meta.doc_id}, include=["metadatas"])
        facts = [f for c in doc.chunks for f in c.facts]
        if existing["ids"]:
            old_hash = (existing["metadatas"] or [{}])[0].get("content_hash")
            old_parser = (existing["metadatas"] or [{}])[0].get("parser")
            if (
                old_hash == meta.content_hash
                and old_parser == PARSER_VERSION
                and len(existing["ids"]) == len(doc.chunks)
            ):
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
                    "parser": PARSER_VERSION,
                    "community": meta.community or "",
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
            self._bump()
        return len(existing["ids"])

    # -- reading ---------------------------------------------------------------------------------------------

    def _all(self, where: dict[str, Any] | None = None, documents: bool = True) -> dict[str, Any]:
        """Every matching chunk, read in pages (one big read trips SQLite's variable limit at tens of thousands)."""
        include: Any = ["documents", "metadatas"] if documents else ["metadatas"]
        out: dict[str, list[Any]] = {"ids": [], "documents": [], "metadatas": []}
        offset = 0
        while True:
            page: Any = self._collection.get(where=where, include=include, limit=PAGE, offset=offset)
            out["ids"].extend(page["ids"])
            out["metadatas"].extend(page["metadatas"] or [])
            out["documents"].extend(page["documents"] or [None] * len(page["ids"]))
            if len(page["ids"]) < PAGE:
                return out
            offset += PAGE

    def count(self) -> int:
        return self._collection.count()

    def current_batches(self, community: str | None = None) -> dict[str, str]:
        """sku → the batch of its most recently issued traceability report (with ``community``: of the reports that
        community sees, the shared ones and its own)."""
        generation = self.generation()
        if self._batches is None or self._batches[0] != generation:
            self._batches = (generation, {})
        known = self._batches[1]
        if community not in known:
            latest: dict[str, tuple[str, str]] = {}
            rows = self._all(where={"doc_type": "traceability"}, documents=False)
            for meta in rows["metadatas"] or []:
                if community is not None and str(meta.get("community", "")) not in ("", community):
                    continue
                sku, issued, batch = str(meta["sku"]), str(meta["issued_at"]), str(meta["batch"])
                if sku not in latest or issued > latest[sku][0]:
                    latest[sku] = (issued, batch)
            known[community] = {sku: batch for sku, (_, batch) in latest.items()}
        return known[community]

    def for_community(self, community: str) -> CommunityKnowledge:
        """This knowledge base as one community sees it (see :class:`CommunityKnowledge`)."""
        return CommunityKnowledge(self, community)

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
            community=str(meta.get("community", "")),
        )
        if hit.valid_until and hit.valid_until < today.isoformat():
            hit.flags.append("expired")
        if hit.doc_type == "traceability" and hit.batch and current.get(hit.sku) not in (None, hit.batch):
            hit.flags.append("other_batch")
        return hit

    def today(self) -> date:
        return date.fromisoformat(self.settings.today) if self.settings.today else date.today()

    @staticmethod
    def _where(sku: str | None, doc_type: str | None, community: str | None) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if sku:
            clauses.append({"sku": {"$in": [sku, SHARED_SKU]}})
        if doc_type:
            clauses.append({"doc_type": doc_type})
        if community:
            clauses.append({"community": {"$in": ["", community]}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def search(
        self,
        query: str,
        *,
        sku: str | None = None,
        doc_type: str | None = None,
        community: str | None = None,
        k: int = 5,
        mode: str = "hybrid",
    ) -> list[Hit]:
        """Top-k chunks for a query. ``mode``: hybrid (default), dense or bm25.

        Documents for another batch or past their validity stay findable but rank below current ones (and carry a
        flag), unless the query names their batch.
        """
        if not query.strip():
            raise ValueError("query: must not be empty")
        if mode not in ("hybrid", "dense", "bm25"):
            raise ValueError(f"mode: must be hybrid, dense or bm25, got {mode!r}")
        total = len(self._table().ids)
        if total == 0:
            return []
        depth = min(total, max(k * 4, 20))
        ranks: dict[str, list[tuple[float, int]]] = {}
        payload: dict[str, tuple[str, dict[str, Any]]] = {}
        if mode in ("hybrid", "dense"):
            for rank, (cid, text, meta) in enumerate(self._dense_top(query, depth, sku, doc_type, community)):
                ranks.setdefault(cid, []).append((DENSE_WEIGHT, rank))
                payload[cid] = (text, meta)
        if mode in ("hybrid", "bm25"):
            for rank, (cid, text, meta) in enumerate(self._bm25_top(query, depth, sku, doc_type, community)):
                ranks.setdefault(cid, []).append((BM25_WEIGHT, rank))
                payload[cid] = (text, meta)
        today, current = self.today(), self.current_batches(community)
        named = {b.upper() for b in BATCH_IN_QUERY.findall(query)}
        scored = []
        for cid, rs in ranks.items():
            hit = self._hit(cid, payload[cid][0], payload[cid][1], 0.0, today, current)
            hit.score = sum(w / (RRF_K + r + 1) for w, r in rs)
            if hit.flags and (hit.batch or "").upper() not in named:
                hit.score *= FLAGGED_WEIGHT
            scored.append(hit)
        scored.sort(key=lambda h: (-h.score, h.chunk_id))
        return scored[:k]

    def _dense_top(
        self, query: str, depth: int, sku: str | None, doc_type: str | None, community: str | None
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """Nearest chunks by embedding. Chroma returns ids only; filters apply in memory on the chunk table, and
        only a very narrow filter falls back to Chroma's own (much slower) ``where``."""
        vector = self.embedder.query(query)
        table = self._table()
        mask = table.mask(sku, doc_type, community)
        total = len(table.ids)
        if mask is None:
            n = min(total, depth)
        else:
            share = max(float(mask.mean()), 1e-6)
            n = min(total, max(depth, int(depth / share * 1.5)), MAX_DENSE_FETCH)
        found = self._collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
        ids = found["ids"][0]
        if mask is not None:
            ids = [cid for cid in ids if cid in table.position and mask[table.position[cid]]]
            if len(ids) < depth and n < total:
                found = self._collection.query(
                    query_embeddings=[vector],
                    n_results=depth,
                    where=self._where(sku, doc_type, community),
                    include=["distances"],
                )
                ids = found["ids"][0]
        return [(cid, *table.rows[cid]) for cid in ids[:depth] if cid in table.rows]

    def _table(self) -> _ChunkTable:
        """Every chunk's text and metadata in memory, with its BM25 index, rebuilt when the store changes (only new
        or changed chunks are tokenized again)."""
        with self._lock:
            generation = self.generation()
            if self._chunks is not None and self._chunks.generation == generation:
                return self._chunks
            if self._bm25 is None:
                self._bm25 = Bm25Index(self.settings.home / "bm25")
            rows_raw = self._all()
            rows = {
                cid: (text, dict(meta))
                for cid, text, meta in zip(
                    rows_raw["ids"], rows_raw["documents"], rows_raw["metadatas"], strict=True
                )
            }
            if self._bm25.generation != generation or self._bm25.ids != list(rows):
                words = sorted({TITLE_NOISE.sub("", str(m["title"])).strip() for _, m in rows.values()})
                # the title and heading path go into the lexical text too: a table row chunk of a report does not
                # say which product or batch it belongs to, its title does
                corpus = {
                    cid: f"{m['title']} {' '.join(json.loads(str(m['heading_path'])))}\n{text}"
                    for cid, (text, m) in rows.items()
                }
                self._bm25.sync(corpus, generation, words)
            self._chunks = _ChunkTable(generation, rows, self._bm25)
            return self._chunks

    def _bm25_top(
        self, query: str, depth: int, sku: str | None, doc_type: str | None, community: str | None
    ) -> list[tuple[str, str, dict[str, Any]]]:
        table = self._table()
        scores = table.bm25.scores(query)
        if not len(scores):
            return []
        mask = table.mask(sku, doc_type, community)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(depth, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(table.ids[i], *table.rows[table.ids[i]]) for i in top if scores[i] > 0]

    def chunks_of(self, doc_id: str, community: str | None = None) -> list[Hit]:
        rows = self._all(where={"doc_id": doc_id})
        today, current = self.today(), self.current_batches(community)
        hits = [
            self._hit(cid, text, dict(meta), 0.0, today, current)
            for cid, text, meta in zip(
                rows["ids"], rows["documents"] or [], rows["metadatas"] or [], strict=True
            )
            if _sees(community, meta)
        ]
        return sorted(hits, key=lambda h: h.start)

    def chunks_for_sku(self, sku: str, community: str | None = None) -> list[Hit]:
        """Every chunk of a sku's documents and of the documents shared by all skus, with validity flags (with
        ``community``: only the documents that community sees)."""
        table = self._table()
        today, current = self.today(), self.current_batches(community)
        return [
            self._hit(cid, text, meta, 0.0, today, current)
            for cid, (text, meta) in table.rows.items()
            if meta["sku"] in (sku, SHARED_SKU) and _sees(community, meta)
        ]

    def get_chunks(self, chunk_ids: list[str], community: str | None = None) -> list[Hit]:
        """The chunks with these ids that exist (and that ``community`` sees), each once (Chroma refuses a repeated
        id)."""
        chunk_ids = list(dict.fromkeys(chunk_ids))
        if not chunk_ids:
            return []
        rows = self._collection.get(ids=chunk_ids, include=["documents", "metadatas"])
        today, current = self.today(), self.current_batches(community)
        return [
            self._hit(cid, text, dict(meta), 0.0, today, current)
            for cid, text, meta in zip(
                rows["ids"], rows["documents"] or [], rows["metadatas"] or [], strict=True
            )
            if _sees(community, meta)
        ]

    def facts_for(self, sku: str, community: str | None = None) -> list[tuple[Fact, Hit]]:
        """Every fact of a sku's documents, with the chunk it came from (stale batches and expired ones flagged)."""
        rows = self._all(where={"sku": sku})
        today, current = self.today(), self.current_batches(community)
        out: list[tuple[Fact, Hit]] = []
        for cid, text, meta in zip(
            rows["ids"], rows["documents"] or [], rows["metadatas"] or [], strict=True
        ):
            if not _sees(community, meta):
                continue
            hit = self._hit(cid, text, dict(meta), 0.0, today, current)
            out.extend((fact, hit) for fact in hit.facts)
        return out


def _sees(community: str | None, meta: Any) -> bool:
    """Whether a community sees a chunk: every chunk when no community is named, else the shared ones and its own."""
    return community is None or str(meta.get("community", "") or "") in ("", community)


class CommunityKnowledge(KnowledgeBase):
    """The knowledge base as one community sees it: the documents shared by every community and its own, never
    another community's; the batch on sale is that of the latest report it sees. A read-only view over the same
    store and caches (nothing is copied): drafting and every check of a community's copy take one, so a document
    scoped to another community is neither cited nor used to judge a claim."""

    def __init__(self, base: KnowledgeBase, community: str) -> None:  # a view: the base holds the state
        self.base = base
        self.community = community
        self.settings = base.settings

    def generation(self) -> int:
        return self.base.generation()

    @property
    def embedder(self) -> CachedEmbedder:
        return self.base.embedder

    def ingest(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            "a community's view of the knowledge base is read-only: ingest into the knowledge base"
        )

    def remove(self, doc_id: str) -> int:
        raise TypeError(
            "a community's view of the knowledge base is read-only: remove from the knowledge base"
        )

    def count(self) -> int:
        return self.base.count()

    def current_batches(self, community: str | None = None) -> dict[str, str]:
        return self.base.current_batches(self._scope(community))

    def for_community(self, community: str) -> CommunityKnowledge:
        return self.base.for_community(self._scope(community))

    def today(self) -> date:
        return self.base.today()

    def search(
        self,
        query: str,
        *,
        sku: str | None = None,
        doc_type: str | None = None,
        community: str | None = None,
        k: int = 5,
        mode: str = "hybrid",
    ) -> list[Hit]:
        return self.base.search(
            query, sku=sku, doc_type=doc_type, community=self._scope(community), k=k, mode=mode
        )

    def chunks_of(self, doc_id: str, community: str | None = None) -> list[Hit]:
        return self.base.chunks_of(doc_id, self._scope(community))

    def chunks_for_sku(self, sku: str, community: str | None = None) -> list[Hit]:
        return self.base.chunks_for_sku(sku, self._scope(community))

    def get_chunks(self, chunk_ids: list[str], community: str | None = None) -> list[Hit]:
        return self.base.get_chunks(chunk_ids, self._scope(community))

    def facts_for(self, sku: str, community: str | None = None) -> list[tuple[Fact, Hit]]:
        return self.base.facts_for(sku, self._scope(community))

    def _scope(self, community: str | None) -> str:
        if community not in (None, self.community):
            raise ValueError(f"community {community!r}: this view is community {self.community!r}'s")
        return self.community


_kb_cache: dict[str, KnowledgeBase] = {}


def get_knowledge_base() -> KnowledgeBase:
    """One knowledge base per LINLI_HOME per process (Chroma clients are not cheap)."""
    settings = get_settings()
    key = f"{settings.home.resolve()}|{settings.chroma_url}|{settings.chroma_collection}"
    if key not in _kb_cache:
        _kb_cache[key] = KnowledgeBase(settings)
    return _kb_cache[key]


def reset_knowledge_base() -> None:
    _kb_cache.clear()
