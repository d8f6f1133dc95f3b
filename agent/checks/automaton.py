"""A small Aho–Corasick automaton: every occurrence of every term in one pass over the text."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator


class Automaton:
    def __init__(self, terms: Iterable[str]) -> None:
        self._goto: list[dict[str, int]] = [{}]
        self._fail: list[int] = [0]
        self._out: list[list[str]] = [[]]
        for term in terms:
            if term:
                self._add(term)
        self._link()

    def _add(self, term: str) -> None:
        node = 0
        for ch in term:
            nxt = self._goto[node].get(ch)
            if nxt is None:
                nxt = len(self._goto)
                self._goto[node][ch] = nxt
                self._goto.append({})
                self._fail.append(0)
                self._out.append([])
            node = nxt
        if term not in self._out[node]:
            self._out[node].append(term)

    def _link(self) -> None:
        queue = deque(self._goto[0].values())
        while queue:
            node = queue.popleft()
            for ch, nxt in self._goto[node].items():
                queue.append(nxt)
                fail = self._fail[node]
                while fail and ch not in self._goto[fail]:
                    fail = self._fail[fail]
                candidate = self._goto[fail].get(ch, 0)
                self._fail[nxt] = candidate if candidate != nxt else 0
                self._out[nxt] = self._out[nxt] + self._out[self._fail[nxt]]

    def find(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, term) for every occurrence, including overlapping ones."""
        node = 0
        for i, ch in enumerate(text):
            while node and ch not in self._goto[node]:
                node = self._fail[node]
            node = self._goto[node].get(ch, 0)
            for term in self._out[node]:
                yield i - len(term) + 1, i + 1, term
