"""The one place that builds chat models: any OpenAI-compatible endpoint through langchain-openai's ChatOpenAI.

Built on first use and cached per configuration, never at import time. With no ``LINLI_LLM_BASE_URL`` and
``LINLI_LLM_MODEL`` set, Linli is offline and nothing here is called.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from community.errors import AppError
from settings import Settings, get_settings


class LLMUnavailable(AppError):
    status_code = 503
    error = "llm_unavailable"


class LLMFailed(AppError):
    """The endpoint answered, but not with what the task needs (after retries)."""

    status_code = 502
    error = "llm_failed"


@lru_cache(maxsize=8)
def _chat_model(
    base_url: str, model: str, api_key: str, timeout: float, retries: int, temperature: float
) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=base_url,
        model=model,
        api_key=api_key,  # type: ignore[arg-type]
        timeout=timeout,
        max_retries=retries,
        temperature=temperature,
    )


def chat_model(settings: Settings | None = None, *, temperature: float = 0.0) -> Any:
    """The configured chat model; raises :class:`LLMUnavailable` in offline mode."""
    settings = settings or get_settings()
    if settings.offline or not settings.llm_base_url or not settings.llm_model:
        raise LLMUnavailable("no LLM endpoint configured (set LINLI_LLM_BASE_URL and LINLI_LLM_MODEL)")
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    return _chat_model(
        settings.llm_base_url,
        settings.llm_model,
        key,
        settings.llm_timeout_s,
        settings.llm_max_retries,
        temperature,
    )


def usage_of(raw: Any) -> dict[str, int]:
    """Token counts of one response (zero when the endpoint reports none)."""
    meta = getattr(raw, "usage_metadata", None) or {}
    return {
        "input_tokens": int(meta.get("input_tokens", 0)),
        "output_tokens": int(meta.get("output_tokens", 0)),
    }
