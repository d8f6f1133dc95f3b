"""Exact read caches keyed by change stamps.

Every write to a group of tables moves that group's stamp (database triggers, migration 0007), inside the
writer's transaction. A reader reads the stamp first and then the data, so what it caches under a stamp is never
older than the stamp; a rolled-back write leaves a stamp whose salt no later write draws again. A cache hit is
therefore exactly what the query would return now, with no time-to-live to tune and nothing to invalidate by hand.

- ``read(session, name)`` → ``(database url, n, salt)`` of ``drafts`` (drafts, draft_revisions, findings) or ``documents``
  (documents, document_facts)
- ``StampedCache(size).get(key, compute)`` → the cached value for ``key`` (which holds a stamp), computed once
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

T = TypeVar("T")
_READ = text("SELECT n, salt FROM change_stamps WHERE name = :name")


def read(session: Session, name: str) -> tuple[str, int, int]:
    """The stamp of a group of tables, with the database's URL: one process may serve more than one database."""
    connection = session.connection()
    row = connection.execute(_READ, {"name": name}).first()
    if row is None:
        raise LookupError(f"change_stamps has no row {name!r}: run `linli init` to migrate the database")
    return str(connection.engine.url), int(row[0]), int(row[1])


class StampedCache(Generic[T]):
    """A small thread-safe LRU. Values are shared between callers: treat them as read-only.

    A miss is computed once: a caller that finds the same key being computed by another thread waits for that
    answer instead of computing it again. After a write moves a stamp, every reader of a busy page misses at once;
    without this each of them renders the same page side by side, and on a small machine the herd multiplies the
    time each of them waits. If the computing caller fails, the next waiter computes for itself."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()
        self._flights: dict[Hashable, threading.Event] = {}  # keys being computed now, and their done signal
        self.computed = 0  # misses computed (a waiter that got another thread's answer does not count)

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        while True:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
                flight = self._flights.get(key)
                if flight is None:
                    flight = self._flights[key] = threading.Event()
                    break  # this caller computes
            flight.wait()  # another caller computes it: its answer is cached when this returns (or it failed)
        try:
            value = compute()  # outside the lock: other keys are served meanwhile
        except BaseException:
            with self._lock:
                del self._flights[key]
            flight.set()
            raise
        with self._lock:
            self.computed += 1
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            del self._flights[key]
        flight.set()
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
