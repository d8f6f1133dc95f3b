"""The lexical half of hybrid retrieval: bm25s over jieba words plus CJK character bigrams, persisted on disk.

Chinese has no spaces, and both bm25s and LangChain's BM25Retriever would keep a whole run of Chinese characters as
one token, so text is segmented first. Product names go into jieba's dictionary so that 减盐酿造酱油 is one word as
well as its pieces. The index lives in ``LINLI_HOME/bm25``; each chunk's tokens are cached by content hash, so
after an ingest only new or changed chunks are tokenized before the (fast) bm25s index is rebuilt and saved.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

TOKENIZER_VERSION = 2  # bump whenever tokenize() changes: cached tokens of another version are thrown away
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
WORD = re.compile(r"[A-Za-z]+[A-Za-z0-9.-]*|\d+(?:\.\d+)?")
# Words that carry no topic in a member's question ("这批油酸度多少啊"): left out of queries and documents alike.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "吧",
        "呀",
        "嘛",
        "么",
        "是",
        "在",
        "有",
        "和",
        "与",
        "及",
        "或",
        "也",
        "都",
        "就",
        "还",
        "又",
        "很",
        "太",
        "更",
        "我",
        "你",
        "他",
        "她",
        "它",
        "们",
        "这",
        "那",
        "哪",
        "个",
        "些",
        "多少",
        "什么",
        "怎么",
        "怎样",
        "如何",
        "为什么",
        "是不是",
        "有没有",
        "能不能",
        "可以",
        "一下",
        "这个",
        "那个",
        "这批",
        "那批",
        "这款",
        "那款",
        "时候",
        "里面",
        "里",
        "上",
        "下",
        "中",
        "吃",
        "买",
        "请问",
        "问",
        "一",
        "不",
        "没",
    ]
)
_jieba_lock = threading.Lock()
_added_words: set[str] = set()


@functools.cache
def _jieba() -> Any:
    """jieba, with its "Building prefix dict ..." start-up lines kept off the user's terminal (they are DEBUG
    chatter printed to stderr at every CLI run). Once per process: setting a logger's level clears every logger's
    cache, which is no work for each tokenize call."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def add_words(words: Iterable[str]) -> None:
    """Teach jieba product names (once per process)."""
    jieba = _jieba()
    with _jieba_lock:
        for word in words:
            word = word.strip()
            if len(word) >= 2 and word not in _added_words:
                jieba.add_word(word, freq=2000)
                _added_words.add(word)


def tokenize(text: str) -> list[str]:
    """jieba words (search mode), CJK character bigrams and single characters, Latin words/numbers lowercased;
    stopwords dropped."""
    jieba = _jieba()
    tokens: list[str] = []
    for run in CJK_RUN.findall(text):
        tokens.extend(w for w in jieba.lcut_for_search(run) if w.strip())
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        tokens.extend(run)  # single characters matter: 铅, 钠, 镉, 蛋
    tokens.extend(w.lower() for w in WORD.findall(text))
    return [t for t in tokens if t not in STOPWORDS]


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class Bm25Index:
    """A persisted bm25s index over chunk texts, kept in step with the vector store by a generation number."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ids: list[str] = []
        self.generation = -1
        self._retriever = None
        self._vocab: dict[str, int] = {}
        self._tokens: dict[str, tuple[str, list[str]]] = {}  # chunk id → (text hash, tokens)
        self._load()

    # -- persistence -----------------------------------------------------------------------------------------

    def _load(self) -> None:
        meta = self.folder / "meta.json"
        if not meta.exists():
            return
        try:
            state = json.loads(meta.read_text(encoding="utf-8"))
            if state.get("tokenizer") != TOKENIZER_VERSION:
                return
            with (self.folder / "tokens.jsonl").open(encoding="utf-8") as handle:
                for line in handle:
                    cid, digest, tokens = json.loads(line)
                    self._tokens[cid] = (digest, tokens)
            add_words(state.get("words", []))
            self._build([(cid, self._tokens[cid][1]) for cid in state["ids"]])
            self.generation = int(state["generation"])
        except (OSError, ValueError, KeyError):
            self._tokens, self.ids, self.generation = {}, [], -1  # a damaged index is rebuilt, never trusted

    def _save(self, words: list[str]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / "tokens.jsonl.tmp"
        with tmp.open("w", encoding="utf-8") as handle:
            for cid in self.ids:
                digest, tokens = self._tokens[cid]
                handle.write(json.dumps([cid, digest, tokens], ensure_ascii=False) + "\n")
        tmp.replace(self.folder / "tokens.jsonl")
        meta = {
            "generation": self.generation,
            "ids": self.ids,
            "words": words,
            "tokenizer": TOKENIZER_VERSION,
        }
        (self.folder / "meta.json.tmp").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        (self.folder / "meta.json.tmp").replace(self.folder / "meta.json")

    # -- building --------------------------------------------------------------------------------------------

    def _build(self, corpus: list[tuple[str, list[str]]]) -> None:
        import bm25s

        self.ids = [cid for cid, _ in corpus]
        self._vocab = {}
        encoded = [
            [self._vocab.setdefault(t, len(self._vocab)) for t in (tokens or ["∅"])] for _, tokens in corpus
        ]
        retriever = bm25s.BM25()
        if encoded:
            retriever.index(bm25s.tokenization.Tokenized(ids=encoded, vocab=self._vocab), show_progress=False)
        self._retriever = retriever

    def sync(self, chunks: dict[str, str], generation: int, words: list[str]) -> int:
        """Bring the index up to ``chunks`` (id → text); returns how many chunks had to be tokenized."""
        add_words(words)
        fresh = 0
        corpus = []
        for cid, text in chunks.items():
            digest = text_hash(text)
            cached = self._tokens.get(cid)
            if cached is None or cached[0] != digest:
                cached = (digest, tokenize(text))
                self._tokens[cid] = cached
                fresh += 1
            corpus.append((cid, cached[1]))
        for cid in set(self._tokens) - set(chunks):
            del self._tokens[cid]
        self._build(corpus)
        self.generation = generation
        self._save(words)
        return fresh

    def scores(self, query: str) -> np.ndarray:
        ids = [self._vocab[t] for t in tokenize(query) if t in self._vocab]
        if not ids or self._retriever is None or not self.ids:
            return np.zeros(len(self.ids))
        return np.asarray(self._retriever.get_scores(ids))
