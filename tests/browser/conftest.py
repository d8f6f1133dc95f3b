"""One real `linli serve` over a small community and one real chromium (Debian's, driven by Playwright) per module.

Chromium comes from `scripts/install-browser.sh` (`make browser-deps`), never from `playwright install`.
Screenshots go to tests/browser/artifacts/ (gitignored); the path is printed at the end of the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from agent.drafting import create_draft
from agent.tagging import infer_community
from api.services import ingest_documents, set_health_consent
from community import db
from community.importers import import_file
from community.members import list_members
from community.principal import CLI
from community.users import add_community, add_user
from evals.serve import ServeError, linli_serve
from knowledge.index import get_knowledge_base, reset_knowledge_base
from settings import get_settings, reset_settings
from tests.conftest import DEMO_DOCS

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "browser" / "artifacts"
CHROMIUM = os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class Served:
    base: str
    tokens: dict[str, str]  # role -> token
    drafts: dict[str, int]  # what the fixture asked for -> draft id
    home: Path


ENV = {"LINLI_TODAY": "2026-11-24", "COLUMNS": "200"}
CHAT = """2026-11-20 20:01:05 王阿姨: 我爸血压高，医生让少吃盐，酱油有没有低钠的
2026-11-20 20:02:05 王阿姨: 周末烤了吐司，高筋面粉快用完了
2026-11-20 20:03:05 小林: 宝宝六个月了，想买点米粉
2026-11-20 20:04:05 团长小周: #接龙 减盐酿造酱油 500ml
1. 王阿姨 2瓶
2. 小林 1瓶 周六取
"""


@contextmanager
def linli_home(home: Path, embedding_cache: Path) -> Iterator[None]:
    """Point this process's settings, database engine and knowledge base at ``home`` for a while."""
    saved = dict(os.environ)
    os.environ.update(LINLI_HOME=str(home), LINLI_EMBEDDING_CACHE=str(embedding_cache), **ENV)
    for key in [k for k in os.environ if k.startswith("LINLI_LLM_")]:
        del os.environ[key]
    reset_settings()
    db.reset_engine()
    reset_knowledge_base()
    try:
        yield
    finally:
        db.reset_engine()
        reset_knowledge_base()
        os.environ.clear()
        os.environ.update(saved)
        reset_settings()


def build_community(home: Path, embedding_cache: Path) -> tuple[dict[str, str], dict[str, int]]:
    """A small 邻家优选: a chat with tags and their evidence, the oil and soy sauce documents with their batch
    reports, three composed drafts, and a host and an operator (the same services `linli demo` runs)."""
    with linli_home(home, embedding_cache):
        db.migrate()
        kb = get_knowledge_base()
        chat = home / "chat.txt"
        chat.write_text(CHAT, encoding="utf-8")
        with db.session_scope() as s:
            add_community(s, CLI, "linjia", "邻家优选")
        with db.session_scope() as s:
            import_file(s, CLI, chat, "linjia", secret=get_settings().secret_bytes())
            for m in list_members(s, CLI, "linjia"):
                set_health_consent(s, CLI, m["member_id"], "linjia", "granted")
        with db.session_scope() as s:
            infer_community(s, CLI, "linjia")
            docs = sorted(DEMO_DOCS.glob("oil-evoo-500-*.md")) + sorted(DEMO_DOCS.glob("soy-lowna-500-*.md"))
            ingest_documents(s, CLI, kb, [*docs, DEMO_DOCS / "policy-after-sales.md"])
        drafts = {}
        with db.session_scope() as s:
            for name, request in {
                "oil_script": dict(
                    kind="script", sku="OIL-EVOO-500", event="11月25日晚8点溯源直播", host="老陈"
                ),
                "oil_chain": dict(
                    kind="chain", sku="OIL-EVOO-500", price="¥89/瓶", deadline="11月25日 22:00"
                ),
                "soy_segment": dict(
                    kind="script", sku="SOY-LOWNA-500", segment="blood_pressure", host="老陈"
                ),
            }.items():
                drafts[name] = create_draft(s, CLI, kb, community_id="linjia", **request)["id"]
            _, host = add_user(s, CLI, "demo-host", "host", ["linjia"])
            _, operator = add_user(s, CLI, "demo-operator", "operator", ["linjia"])
    return {"host": host, "operator": operator}, drafts


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[Served]:
    """A small community built in this process, then served by a real `linli serve` on a free loopback port."""
    home = tmp_path_factory.mktemp("browser") / "home"
    tokens, drafts = build_community(home, embedding_cache)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_LLM_")}
    env.update(LINLI_HOME=str(home), LINLI_EMBEDDING_CACHE=str(embedding_cache), **ENV)
    try:
        with linli_serve(env, log=home / "serve.log") as server:
            yield Served(server.base, tokens, drafts, home)
    except ServeError as exc:
        pytest.fail(f"linli serve did not come up: {exc}")


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Debian's chromium with a fresh profile (user-data-dir), headless, nothing fetched from the network."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-browser.sh (make browser-deps)")

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            locale="zh-CN",
            viewport={"width": 1280, "height": 900},
        )
        # the machine running the suite may be busy: generous waits, every one still bounded
        context.set_default_timeout(15_000)
        expect.set_options(timeout=15_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    """A new tab with no session: every test logs in as whom it needs."""
    browser_context.clear_cookies()
    tab = browser_context.new_page()
    yield tab
    tab.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    shots = sorted(ARTIFACTS.glob("*.png")) if ARTIFACTS.exists() else []
    if shots:
        terminalreporter.write_line(f"browser screenshots: {ARTIFACTS} ({len(shots)} files)")
