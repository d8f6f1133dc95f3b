"""A real Chroma server on a free loopback port, for the tests that run the knowledge base over HTTP
(LINLI_CHROMA_URL) as well as on the local store.

``chroma_server()`` starts the ``chroma run`` command that the chromadb package installs next to Python, on a
temporary folder, waits for its heartbeat and yields its URL; the server and its folder are gone on exit.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evals.serve import ServeError, free_port, stop, wait_answers


def chroma_command() -> str:
    """The `chroma` executable of this environment (the venv's bin folder first, then PATH)."""
    beside = Path(sys.executable).parent / "chroma"
    if beside.exists():
        return str(beside)
    found = shutil.which("chroma")
    if not found:
        raise ServeError("no `chroma` command: the chromadb package installs it (pip install -e '.[dev]')")
    return found


@contextmanager
def chroma_server(timeout: float = 60) -> Iterator[str]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="linli-chroma-") as tmp:
        log_path = Path(tmp) / "chroma.log"
        with log_path.open("wb") as out:
            process = subprocess.Popen(
                [
                    chroma_command(),
                    "run",
                    "--path",
                    str(Path(tmp) / "data"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            url = f"http://127.0.0.1:{port}"
            try:
                wait_answers(
                    f"{url}/api/v2/heartbeat",
                    lambda: process.poll() is None,
                    timeout,
                    lambda: log_path.read_text(encoding="utf-8", errors="replace")[-3000:],
                )
                yield url
            finally:
                stop(process)
