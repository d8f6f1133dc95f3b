"""Server-rendered pages for hosts and operators (Jinja2 templates, our own CSS and a little vanilla JS)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web.pages import error_page, is_page, router

__all__ = ["error_page", "install", "is_page"]


def install(app: FastAPI) -> None:
    """Mount the pages and their static files on the app."""
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.include_router(router)
