"""A real `linli serve` on a free loopback port, for the benchmarks and the tests that need a served Linli.

- ``free_port()`` → a port nothing listens on now
- ``wait_answers(url, alive, timeout, why)`` → returns once ``GET url`` answers 200; raises ``ServeError`` with
  ``why()`` (the server's own output) when ``alive()`` turns false or the time is up
- ``wait_healthy(base, alive, timeout, why)`` → the same for ``{base}/api/health``
- ``linli_serve(env, *, workers=1, log=None, timeout=60)`` → context manager yielding a ``Served`` (base URL,
  process); the server's output goes to ``log`` (a temporary file when None); the server is stopped on exit
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]


class ServeError(RuntimeError):
    """`linli serve` did not come up; the message carries what it printed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL after 20 s; returns once the process is gone."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_answers(url: str, alive: Callable[[], bool], timeout: float, why: Callable[[], str]) -> None:
    """Returns once ``GET url`` answers 200; a ``ServeError`` with ``why()`` when ``alive()`` turns false or the
    time is up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if not alive():
            raise ServeError(f"the server exited before it answered {url}:\n{why()}")
        if time.monotonic() > deadline:
            raise ServeError(f"{url} did not answer within {timeout:.0f} s:\n{why()}")
        time.sleep(0.2)


def wait_healthy(base: str, alive: Callable[[], bool], timeout: float, why: Callable[[], str]) -> None:
    wait_answers(f"{base}/api/health", alive, timeout, why)


@dataclass(frozen=True)
class Served:
    base: str
    process: subprocess.Popen[bytes]


@contextmanager
def linli_serve(
    env: dict[str, str], *, workers: int = 1, log: Path | None = None, timeout: float = 60
) -> Iterator[Served]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="linli-serve-") as tmp:
        log_path = log or Path(tmp) / "serve.log"
        with log_path.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", str(workers)],
                env=env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                wait_healthy(
                    base,
                    lambda: process.poll() is None,
                    timeout,
                    lambda: log_path.read_text(encoding="utf-8", errors="replace")[-4000:],
                )
                yield Served(base, process)
            finally:
                stop(process)
