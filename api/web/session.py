"""The web pages' session: a signed cookie holding who logged in (by token hash) and a per-session CSRF token.

No server-side session store: the cookie is ``base64(json).base64(hmac)``, signed with a key derived from the
per-deployment secret (``LINLI_HOME/secret.key`` or ``LINLI_PSEUDONYM_SECRET``, the same secret the pseudonyms use,
under a different derivation label so one key never serves two purposes). Every request looks the token hash up
again, so revoking a token (`linli users revoke`) ends its web sessions too. Logging out records the session (by
the hash of its CSRF token, which is random per session) in ``web_logouts``: a copy of the cookie is refused from
then on, not only until it expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response

from settings import get_settings

COOKIE = "linli_session"
MAX_AGE_S = 12 * 3600
_KEY_LABEL = b"linli web session v1"
_keys: dict[str, bytes] = {}


def _key() -> bytes:
    settings = get_settings()
    home = str(settings.home.resolve())
    if home not in _keys:
        _keys[home] = hmac.new(settings.secret_bytes(), _KEY_LABEL, hashlib.sha256).digest()
    return _keys[home]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class WebSession:
    """What the cookie holds. ``token_hash`` is None before login (the login form still needs a CSRF token)."""

    csrf: str
    issued_at: int
    token_hash: str | None = None

    @classmethod
    def fresh(cls, token_hash: str | None = None) -> WebSession:
        return cls(csrf=secrets.token_urlsafe(24), issued_at=int(time.time()), token_hash=token_hash)

    def encode(self) -> str:
        body = _b64(json.dumps({"c": self.csrf, "t": self.token_hash, "i": self.issued_at}).encode())
        return f"{body}.{_b64(hmac.new(_key(), body.encode(), hashlib.sha256).digest())}"

    @classmethod
    def decode(cls, value: str | None) -> WebSession | None:
        """The session in a cookie value, or None when it is missing, tampered with or expired."""
        if not value or value.count(".") != 1:
            return None
        body, signature = value.split(".")
        expected = _b64(hmac.new(_key(), body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(signature, expected):
            return None
        try:
            data = json.loads(_unb64(body))
            session = cls(csrf=str(data["c"]), issued_at=int(data["i"]), token_hash=data["t"])
        except (ValueError, KeyError, TypeError):
            return None
        if time.time() - session.issued_at > MAX_AGE_S:
            return None
        return session

    @property
    def session_id(self) -> str:
        """Names this session server-side (for logout) without revealing its CSRF token."""
        return hashlib.sha256(self.csrf.encode()).hexdigest()

    @property
    def expires_at(self) -> int:
        return self.issued_at + MAX_AGE_S

    def csrf_ok(self, submitted: str | None) -> bool:
        return bool(submitted) and hmac.compare_digest(self.csrf, str(submitted))


def read(request: Request) -> WebSession | None:
    return WebSession.decode(request.cookies.get(COOKIE))


def write(request: Request, response: Response, session: WebSession) -> None:
    # Secure only when the page itself came over https (directly, or behind a proxy that uvicorn trusts with
    # --proxy-headers): a browser drops a Secure cookie set over plain http, so `linli serve` on loopback
    # (http://127.0.0.1) could not log anyone in. The cookie is HttpOnly (no script reads it) and SameSite=Lax
    # (not sent on cross-site POSTs); the CSRF token in every form is the second line against cross-site forms.
    response.set_cookie(
        COOKIE,
        session.encode(),
        max_age=MAX_AGE_S,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
