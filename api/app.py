"""The FastAPI application: routes, error rendering and the shared knowledge base (built in the lifespan)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api import web
from api.routes import drafts, knowledge, members
from api.web import session as web_session
from community import outbox, retention
from community.db import require_schema
from community.errors import AppError
from knowledge.index import KnowledgeBase, get_knowledge_base
from settings import get_settings

INDEX_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Linli (邻里)</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;line-height:1.6;padding:0 1rem}
code{background:#f3f3f3;padding:.1rem .3rem}</style></head>
<body><h1>Linli (邻里)</h1>
<p>AI-assisted community manager for 社区团购 and 私域直播. Nothing reaches a group until an operator approves it.</p>
<p><a href="/login">登录审核台 (log in to the operator and host pages)</a> with the same token the API takes.</p>
<p>The HTTP API is described at <a href="/docs">/docs</a> (OpenAPI: <a href="/openapi.json">/openapi.json</a>).
Every call needs <code>Authorization: Bearer &lt;token&gt;</code>; <code>linli demo</code> printed a host and an
operator token, and <code>linli users add</code> makes more.</p>
<ul>
<li><code>GET /api/drafts</code> — drafts waiting for review, with their findings</li>
<li><code>GET /api/drafts/{id}</code> — a draft's sentences, the chunk each claim cites, its findings</li>
<li><code>POST /api/drafts/{id}/approve</code> <code>{"revision": n}</code> — operators only</li>
<li><code>GET /api/communities/{id}/members</code>, <code>GET /api/members/{id}</code> — tags with the messages behind them</li>
<li><code>GET /api/communities/{id}/segments</code>, <code>POST /api/drafts/suggest</code> — segment sizes and suggested pushes</li>
<li><code>GET /api/communities/{id}/chains</code> — 接龙 entries and totals</li>
<li><code>GET /api/search?q=…</code>, <code>POST /api/check</code>, <code>GET /api/audit</code></li>
</ul></body></html>
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    require_schema()
    if getattr(app.state, "kb", None) is None:
        app.state.kb = get_knowledge_base()
    interval = get_settings().outbox_worker_interval_s
    worker = outbox.Worker(interval).start() if interval > 0 and get_settings().outbox_channels else None
    app.state.outbox_worker = worker
    days, every = get_settings().retention_days, get_settings().retention_interval_s
    keeper = retention.Worker(days, every).start() if days and every > 0 else None
    app.state.retention_worker = keeper
    yield
    if worker is not None:
        worker.stop()
    if keeper is not None:
        keeper.stop()


def create_app(kb: KnowledgeBase | None = None) -> FastAPI:
    app = FastAPI(
        title="Linli (邻里)",
        version="0.1.0",
        description="AI-assisted community manager for 社区团购 and 私域直播. Nothing reaches a group until an "
        "operator approves it.",
        lifespan=lifespan,
    )
    app.state.kb = kb

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> Response:
        if web.is_page(request):
            return web.error_page(request, exc.status_code, exc.detail)
        body: dict[str, object] = {"error": exc.error, "detail": exc.detail}
        if exc.current is not None:
            body["current"] = exc.current
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        if web.is_page(request):
            return web.error_page(request, 422, "; ".join(parts))
        return JSONResponse({"error": "invalid_input", "detail": "; ".join(parts)}, status_code=422)

    @app.exception_handler(ValueError)
    async def value_error(request: Request, exc: ValueError) -> Response:
        if web.is_page(request):
            return web.error_page(request, 422, str(exc))
        return JSONResponse({"error": "invalid_input", "detail": str(exc)}, status_code=422)

    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def index(request: Request) -> Response:
        """Where the demo's printed URL lands: what is here, the login link and how to call the API.

        A browser that is already logged in goes on to the review inbox (the inbox itself checks the token again
        and sends a revoked or logged-out session to the login page)."""
        current = web_session.read(request)
        if current is not None and current.token_hash is not None:
            return RedirectResponse("/inbox", status_code=303)
        return HTMLResponse(INDEX_PAGE)

    web.install(app)
    app.include_router(drafts.router)
    app.include_router(drafts.outbox_router)
    app.include_router(members.router)
    app.include_router(knowledge.router)
    return app
