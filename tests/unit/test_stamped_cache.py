"""The inbox's read cache computes a miss once, however many threads ask for it at the same moment."""

from __future__ import annotations

import threading
import time

import pytest

from community.stamps import StampedCache


def test_concurrent_misses_of_one_key_compute_once_and_all_get_the_answer() -> None:
    cache: StampedCache[str] = StampedCache(8)
    calls: list[int] = []
    started = threading.Barrier(8)

    def compute() -> str:
        calls.append(1)
        time.sleep(0.2)  # long enough that every thread arrives while the first computes
        return "page"

    got: list[str] = []

    def reader() -> None:
        started.wait()
        got.append(cache.get(("stamp", 1), compute))

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert got == ["page"] * 8 and len(calls) == 1 and cache.computed == 1


def test_other_keys_are_not_held_up_by_a_slow_one() -> None:
    cache: StampedCache[str] = StampedCache(8)
    release = threading.Event()
    slow = threading.Thread(target=lambda: cache.get("slow", lambda: release.wait(10) and "slow"))
    slow.start()
    time.sleep(0.05)
    assert cache.get("fast", lambda: "fast") == "fast"  # answered while "slow" is still computing
    release.set()
    slow.join(10)
    assert cache.get("slow", lambda: "again") == "slow"


def test_a_failed_compute_raises_for_its_caller_and_the_next_caller_computes() -> None:
    cache: StampedCache[str] = StampedCache(8)
    entered = threading.Event()
    release = threading.Event()

    def failing() -> str:
        entered.set()
        release.wait(10)
        raise RuntimeError("database went away")

    errors: list[BaseException] = []

    def first() -> None:
        try:
            cache.get("k", failing)
        except RuntimeError as exc:
            errors.append(exc)

    waiter_got: list[str] = []
    t1 = threading.Thread(target=first)
    t1.start()
    entered.wait(10)
    t2 = threading.Thread(target=lambda: waiter_got.append(cache.get("k", lambda: "recomputed")))
    t2.start()
    time.sleep(0.05)
    release.set()
    t1.join(10)
    t2.join(10)
    assert [str(e) for e in errors] == ["database went away"] and waiter_got == ["recomputed"]
    with pytest.raises(ValueError):  # nothing of the failure is cached: a later failing compute still raises
        cache.get("other", lambda: (_ for _ in ()).throw(ValueError("no")))
