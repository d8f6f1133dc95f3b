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
    """A small thread-safe LRU. Values are shared between callers: treat them as read-only."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = (
            compute()
        )  # outside the lock: two threads may both compute a miss, and both get the same answer
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
