"""One error family for the whole service; the API renders each as ``{"error", "detail"}`` with its status."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status_code = 400
    error = "bad_request"

    def __init__(self, detail: str, *, current: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        # where the object stands now (a 409 says the current state, so the client need not ask again)
        self.current = current


class NotFound(AppError):
    status_code = 404
    error = "not_found"


class Forbidden(AppError):
    status_code = 403
    error = "forbidden"


class Unauthorized(AppError):
    status_code = 401
    error = "unauthorized"


class Conflict(AppError):
    status_code = 409
    error = "conflict"


class InvalidInput(AppError):
    status_code = 422
    error = "invalid_input"
