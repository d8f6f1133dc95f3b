"""A round of work repeated on a daemon thread of `linli serve` (the outbox, retention): one bad round is logged
and kept in ``error``, never the end of the worker."""

from __future__ import annotations

import logging
import threading
from typing import Any


class PeriodicWorker:
    """``round()`` every ``interval`` seconds, the first after ``first_delay`` (default: one interval); the last
    result is ``last``, the last failure ``error`` (None after a good round)."""

    name = "linli-worker"

    def __init__(self, interval: float, first_delay: float | None = None) -> None:
        self.interval = interval
        self.first_delay = interval if first_delay is None else first_delay
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self.last: Any = None
        self.error: str | None = None

    def round(self) -> Any:
        raise NotImplementedError

    def stop_timeout(self) -> float:
        """How long :meth:`stop` waits for a round in flight."""
        return self.interval + 5

    def start(self) -> PeriodicWorker:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=self.stop_timeout())

    def _loop(self) -> None:
        delay = self.first_delay
        while not self.stopped.wait(delay):
            delay = self.interval
            try:
                self.last = self.round()
                self.error = None
            except Exception as exc:  # noqa: BLE001 - one bad round (database busy, …) must not end the worker
                self.error = f"{type(exc).__name__}: {exc}"
                logging.getLogger(self.name.replace("-", ".")).exception("%s round failed", self.name)
