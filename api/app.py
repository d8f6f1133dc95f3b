"""The FastAPI application: routes, error rendering and the shared knowledge base (built in the lifespan)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.routes import drafts, knowledge, members
from community.db import require_schema
from community.errors import AppError
from knowledge.index import KnowledgeBase, get_knowledge_base


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    require_schema()
    if getattr(app.state, "kb", None) is None:
        app.state.kb = get_knowledge_base()
    yield


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
    async def app_error(_: Request, exc: AppError) -> JSONResponse:
        return JSONResponse({"error": exc.error, "detail": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"error": "invalid_input", "detail": "; ".join(parts)}, status_code=422)

    @app.exception_handler(ValueError)
    async def value_error(_: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"error": "invalid_input", "detail": str(exc)}, status_code=422)

    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(drafts.router)
    app.include_router(members.router)
    app.include_router(knowledge.router)
    return app
