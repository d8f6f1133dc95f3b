"""The compliance check's trained second stage: a per-character span tagger over hashed character n-grams.

The rule files catch the phrasings someone wrote a rule for; a host who says the same thing in other words (这个油
吃了血管通畅, 喝一阵子指标就下来了) slips past them. This tagger reads the same normalised view as the rules and, for
every character, scores {none, each family} from the character n-grams (1 to 4 characters) that start at nearby
offsets. Contiguous characters whose family score clears the model's threshold become one finding of that family.

The weights live in ``compliance_model.npz`` next to this file, written by ``python -m evals.train.compliance``
from the dev split of ``evals/data/compliance.jsonl`` only; the file records the sha256 of those rows and the
training settings. It is loaded on first use. ``LINLI_COMPLIANCE_MODEL=off`` turns the stage off (rules only).

With lexicon features (a model trained with ``--lexicon 1``) every character also reads the word classes of
``prompts/rules/lexicon/classes.yaml`` (disease, organ, acting verb, absolute term, authority, negation, …) that
cover it and its neighbours, and the classes its clause holds: the model can learn that a disease word with an
acting verb in its clause is a claim whatever the words, instead of the strings of the dev lines. The model file
carries its own copy of the classes, so that a saved model always reads the features it was trained on.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from agent.checks.automaton import Automaton
from agent.checks.normalise import CLAUSE_END_MARKS
from community.errors import AppError
from prompts import PROMPTS_DIR

MODEL_PATH = Path(__file__).with_name("compliance_model.npz")
FEATURE_VERSION = 1
ENV_SWITCH = "LINLI_COMPLIANCE_MODEL"

# Feature templates: the n-gram of length n starting at offset o from the character, for o in OFFSETS, n in NGRAMS.
OFFSETS = tuple(range(-4, 4))
NGRAMS = (1, 2, 3, 4)
PAD = 8  # sentinel characters on each side: every template reads inside the padded text
BOS, EOS = 0x110001, 0x110002
BMP = 0x10000  # character classes are kept for the basic multilingual plane  # beyond Unicode, so they never collide with a real character
_MUL = np.uint64(0x100000001B3)
_MIX1 = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)
# One salt per template (offset, n) and one for the bias, fixed so that a saved model reads the same features.
_SALTS = np.array(
    [(0x51ED270B27C3A5F1 * (k + 1)) & 0xFFFFFFFFFFFFFFFF for k in range(len(OFFSETS) * len(NGRAMS) + 1)],
    dtype=np.uint64,
)

CLUSTER_OFFSETS = tuple(range(-3, 3))
CLUSTER_NGRAMS = (1, 2, 3)
_CLUSTER_SALTS = np.array(
    [
        (0x6A09E667F3BCC909 * (k + 3)) & 0xFFFFFFFFFFFFFFFF
        for k in range(len(CLUSTER_OFFSETS) * len(CLUSTER_NGRAMS))
    ],
    dtype=np.uint64,
)
_PAIR_SALTS = np.array(
    [(0x2545F4914F6CDD1D * (k + 7)) & 0xFFFFFFFFFFFFFFFF for k in range(2 * PAD + 1)], dtype=np.uint64
)


# Lexicon features: the class bitmask of the characters at LEXICON_OFFSETS, the character's own mask with its
# clause's (every class the clause holds), and the clause's mask alone.
LEXICON_PATH = PROMPTS_DIR / "rules" / "lexicon" / "classes.yaml"
LEXICON_OFFSETS = tuple(range(-6, 7))
_LEXICON_SALTS = np.array(
    [(0x3C6EF372FE94F82B * (k + 11)) & 0xFFFFFFFFFFFFFFFF for k in range(len(LEXICON_OFFSETS) + 2)],
    dtype=np.uint64,
)
_CLAUSE_MARKS = frozenset(CLAUSE_END_MARKS)

Lexicon = tuple[tuple[str, tuple[str, ...]], ...]  # (class name, its terms), in file order


def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """The word classes of the lexicon file, as (name, terms) in file order."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    classes = data.get("classes") or {}
    if not isinstance(classes, dict) or not classes:
        raise ComplianceModelError(f"{path}: expected a mapping 'classes' of class name -> list of terms")
    return tuple((str(name), tuple(str(t) for t in terms or ())) for name, terms in classes.items())


@lru_cache(maxsize=4)
def _lexicon_index(lexicon: Lexicon) -> tuple[Automaton, dict[str, int]]:
    masks: dict[str, int] = {}
    for bit, (_, terms) in enumerate(lexicon):
        for term in terms:
            masks[term] = masks.get(term, 0) | (1 << bit)
    return Automaton(masks), masks


def lexicon_masks(text: str, lexicon: Lexicon) -> tuple[np.ndarray, np.ndarray]:
    """Per character of ``text``: the bitmask of the classes of every lexicon term covering it, and the bitmask of
    every class its clause (between punctuation marks) holds."""
    automaton, masks = _lexicon_index(lexicon)
    own = [0] * len(text)
    for start, end, term in automaton.find(text):
        bits = masks[term]
        for i in range(start, end):
            own[i] |= bits
    clause = [0] * len(text)
    lo, acc = 0, 0
    for i, ch in enumerate(text):
        if ch in _CLAUSE_MARKS:
            clause[lo:i] = [acc] * (i - lo)
            lo, acc = i + 1, 0
        else:
            acc |= own[i]
    clause[lo:] = [acc] * (len(text) - lo)
    return np.array(own, dtype=np.uint64), np.array(clause, dtype=np.uint64)


def _lexicon_columns(text: str, lexicon: Lexicon, shift: np.uint64) -> list[np.ndarray]:
    n = len(text)
    own, clause = lexicon_masks(text, lexicon)
    padded = np.zeros(n + 2 * PAD, dtype=np.uint64)
    padded[PAD : PAD + n] = own + np.uint64(1)  # 0 is outside the text
    positions = np.arange(PAD, PAD + n)
    columns = [
        _bucket(padded[positions + offset], _LEXICON_SALTS[j], shift)[:, None]
        for j, offset in enumerate(LEXICON_OFFSETS)
    ]
    with np.errstate(over="ignore"):
        pair = (own << np.uint64(24)) | clause
    columns.append(_bucket(pair, _LEXICON_SALTS[len(LEXICON_OFFSETS)], shift)[:, None])
    columns.append(_bucket(clause, _LEXICON_SALTS[len(LEXICON_OFFSETS) + 1], shift)[:, None])
    return columns


class ComplianceModelError(AppError):
    """The model file is missing, unreadable or was written for other features: the install is broken, not the
    request (`linli check` says so in one line; the API answers 500)."""

    status_code = 500
    error = "compliance_model_unavailable"


def enabled() -> bool:
    """False when ``LINLI_COMPLIANCE_MODEL`` is ``off`` (or 0/false/no): the check then runs the rules alone."""
    return os.environ.get(ENV_SWITCH, "on").strip().lower() not in ("off", "0", "false", "no")


_FOLD_DIGITS = str.maketrans("123456789", "000000000")


def _codes(text: str) -> np.ndarray:
    """Code points of the text with ASCII digits folded to 0 (3天见效 and 7天见效 read alike), padded both sides."""
    raw = np.frombuffer(text.translate(_FOLD_DIGITS).encode("utf-32-le"), dtype=np.uint32)
    out = np.full(len(raw) + 2 * PAD, EOS, dtype=np.uint64)
    out[:PAD] = BOS
    out[PAD : PAD + len(raw)] = raw
    return out


def _grams(codes: np.ndarray, lengths: tuple[int, ...]) -> dict[int, np.ndarray]:
    """Length → a hash of the n-gram of that length starting at each position (zero where it would run off)."""
    size = len(codes)
    grams = {1: codes}
    with np.errstate(over="ignore"):
        for length in range(2, max(lengths) + 1):
            nxt = np.zeros(size, dtype=np.uint64)
            nxt[: size - length + 1] = grams[length - 1][: size - length + 1] * _MUL + codes[length - 1 :]
            grams[length] = nxt
    return grams


def _bucket(x: np.ndarray, salt: np.uint64 | np.ndarray, shift: np.uint64) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x ^ salt
        x = (x * _MIX1) ^ (x >> np.uint64(31))
        return (x * _MIX2) >> shift


_OFFSET_ARRAY = np.array(OFFSETS, dtype=np.int64)
_NGRAM_SALTS = _SALTS[: len(OFFSETS) * len(NGRAMS)].reshape(len(OFFSETS), len(NGRAMS))
# character positions in the padded text; the check splits longer texts
_POSITIONS = np.arange(PAD, PAD + 4096)


def _ngram_indices(codes: np.ndarray, n: int, bits: int) -> np.ndarray:
    """(n, len(OFFSETS) * len(NGRAMS)) bucket of the n-gram of each length at each offset, for each character."""
    size = len(codes)
    grams = np.zeros((size, len(NGRAMS)), dtype=np.uint64)  # grams[j, m - 1]: the m-gram starting at j
    grams[:, 0] = codes
    with np.errstate(over="ignore"):
        for m in range(1, len(NGRAMS)):
            grams[: size - m, m] = grams[: size - m, m - 1] * _MUL + codes[m:]
    positions = _POSITIONS[:n] if n <= len(_POSITIONS) else np.arange(PAD, PAD + n)
    at = grams[positions[:, None] + _OFFSET_ARRAY[None, :]]  # (n, len(OFFSETS), len(NGRAMS))
    return _bucket(at, _NGRAM_SALTS, np.uint64(64 - bits)).reshape(n, len(OFFSETS) * len(NGRAMS))


@lru_cache(maxsize=4)
def _bias_index(bits: int) -> int:
    salt = _SALTS[len(OFFSETS) * len(NGRAMS)]
    return int(_bucket(np.array([0], dtype=np.uint64), salt, np.uint64(64 - bits))[0])


def feature_indices(
    text: str,
    bits: int,
    pairs: tuple[int, ...] = (),
    clusters: np.ndarray | None = None,
    lexicon: Lexicon = (),
) -> np.ndarray:
    """(len(text), templates + 1) hashed feature indices in [0, 2**bits) for every character of ``text``: the
    n-grams at OFFSETS (template k = offset index * len(NGRAMS) + length index); for each distance d in ``pairs``
    the character itself paired with the one d away (a skip pair: 吃 five characters before 好 reads alike whatever
    stands between); with ``clusters`` (a class per BMP code point, 0 for none) the class n-grams at
    CLUSTER_OFFSETS (胃病 and 肝病 share 病 and a class for 胃/肝); with ``lexicon`` the lexicon columns (see
    LEXICON_OFFSETS); then the bias."""
    n = len(text)
    codes = _codes(text)
    positions = np.arange(PAD, PAD + n)
    shift = np.uint64(64 - bits)
    columns = [_ngram_indices(codes, n, bits)]
    with np.errstate(over="ignore"):
        for distance in pairs:
            pair = codes[positions] * _MUL + codes[positions + distance]
            columns.append(_bucket(pair, _PAIR_SALTS[distance + PAD], shift)[:, None])
    if clusters is not None:
        inside = codes < len(clusters)
        classes = np.where(inside, clusters[np.where(inside, codes, 0).astype(np.int64)], 0).astype(np.uint64)
        classes = np.where(codes >= BOS, codes, classes + np.uint64(0x200000))
        class_grams = _grams(classes, CLUSTER_NGRAMS)
        for j, (offset, length) in enumerate((o, m) for o in CLUSTER_OFFSETS for m in CLUSTER_NGRAMS):
            columns.append(
                _bucket(class_grams[length][positions + offset], _CLUSTER_SALTS[j], shift)[:, None]
            )
    if lexicon:
        columns += _lexicon_columns(text, lexicon, shift)
    columns.append(np.full((n, 1), _bias_index(bits), dtype=np.uint64))
    return np.concatenate(columns, axis=1).astype(np.int64)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class SpanTagger:
    """Weights (2**bits, 1 + families) and the decision threshold chosen by cross-validation on dev."""

    weights: np.ndarray
    families: tuple[str, ...]  # class k + 1 is families[k]; class 0 is "no finding"
    bits: int
    threshold: float
    meta: dict[str, Any]
    pairs: tuple[int, ...] = ()  # skip-pair distances of the features (see feature_indices)
    min_length: int = 1  # shortest run that is a finding
    merge_gap: int = 0  # runs of one family this close are one
    peak: float = 0.0  # a run must reach this probability somewhere
    clusters: np.ndarray | None = None  # class per BMP code point (0: none), see feature_indices
    # per family (threshold, peak) where it differs from the model's own, chosen by CV (pressure_selling stricter)
    family_settings: tuple[tuple[str, float, float], ...] = ()
    lexicon: Lexicon = ()  # word classes of the lexicon features (see feature_indices); () for none

    @cached_property
    def bars(self) -> tuple[np.ndarray, np.ndarray]:
        """Threshold and peak per family."""
        threshold = np.full(len(self.families), self.threshold)
        peak = np.full(len(self.families), self.peak)
        for name, t, p in self.family_settings:
            if name in self.families:
                threshold[self.families.index(name)] = t
                peak[self.families.index(name)] = p
        return threshold, peak

    def probabilities(self, text: str) -> np.ndarray:
        """(len(text), 1 + families) class probabilities per character."""
        if not text:
            return np.zeros((0, len(self.families) + 1), dtype=np.float32)
        if len(text) > len(
            _POSITIONS
        ):  # a very long text: in pieces, each with the context of its neighbours
            step = len(_POSITIONS) - 2 * PAD
            parts = []
            for at in range(0, len(text), step):
                lo = max(0, at - PAD)
                parts.append(self.probabilities(text[lo : at + step + PAD])[at - lo : at - lo + step])
            return np.concatenate(parts)[: len(text)]
        if self.pairs or self.clusters is not None or self.lexicon:
            idx = feature_indices(text, self.bits, self.pairs, self.clusters, self.lexicon)
            picked = np.take(self.weights, idx.ravel(), axis=0).reshape(idx.shape[0], idx.shape[1], -1)
            return softmax(picked.sum(axis=1))
        # the shipped features: n-grams and bias only, with the bias row added once
        idx = _ngram_indices(_codes(text), len(text), self.bits)
        # np.take on the flattened indices is about twice as fast as fancy indexing here
        picked = np.take(self.weights, idx.ravel().astype(np.intp), axis=0)
        logits = (
            picked.reshape(idx.shape[0], idx.shape[1], -1).sum(axis=1) + self.weights[_bias_index(self.bits)]
        )
        return softmax(logits)

    def spans(self, text: str, threshold: float | None = None) -> list[tuple[str, int, int, float]]:
        """(family, start, end, peak probability) for each run of characters whose family probability clears the
        threshold."""
        bar, peak = self.bars
        chosen = bar if threshold is None else threshold
        return decode(self.probabilities(text), self.families, chosen, self.min_length, self.merge_gap, peak)


def decode(
    probs: np.ndarray,
    families: tuple[str, ...],
    threshold: float | np.ndarray,
    min_length: int = 1,
    merge_gap: int = 0,
    peak: float | np.ndarray = 0.0,
) -> list[tuple[str, int, int, float]]:
    """Runs of characters whose family probability clears ``threshold``; runs of one family at most ``merge_gap``
    characters apart are one run (胃病都能治好 is one claim even when 病都 scores low); a run shorter than
    ``min_length`` characters is dropped (a lone character is rarely a claim and often a stray), and so is a run
    whose highest probability stays under ``peak``. ``threshold`` and ``peak`` are one value or one per family."""
    out: list[tuple[str, int, int, float]] = []
    if not len(probs):
        return out
    families_probs = probs[:, 1:]
    bar = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (len(families),))
    peaks = np.broadcast_to(np.asarray(peak, dtype=np.float64), (len(families),))
    if (families_probs.max(axis=0) < np.maximum(bar, peaks)).all():
        return out  # most sentences: no character of any family reaches the bar
    above = families_probs >= bar[None, :]
    for k in np.flatnonzero(above.any(axis=0)):
        column = above[:, k]
        edges = np.flatnonzero(np.diff(np.concatenate(([0], column.astype(np.int8), [0]))))
        runs: list[list[int]] = []
        for start, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
            if runs and start - runs[-1][1] <= merge_gap:
                runs[-1][1] = end
            else:
                runs.append([start, end])
        for start, end in runs:
            top = float(probs[start:end, k + 1].max())
            if end - start < min_length or top < peaks[k]:
                continue
            out.append((families[k], start, end, top))
    return sorted(out, key=lambda s: (s[1], s[2], s[0]))


def save_model(path: Path, tagger: SpanTagger) -> None:
    """Write weights as float16 and the metadata as JSON, atomically (a half-written file never replaces a model)."""
    meta = {
        **tagger.meta,
        "feature_version": FEATURE_VERSION,
        "families": list(tagger.families),
        "bits": tagger.bits,
        "threshold": tagger.threshold,
        "pairs": list(tagger.pairs),
        "min_length": tagger.min_length,
        "merge_gap": tagger.merge_gap,
        "peak": tagger.peak,
        "family_settings": [list(f) for f in tagger.family_settings],
        "lexicon": [[name, list(terms)] for name, terms in tagger.lexicon],
    }
    arrays = {
        "weights": tagger.weights.astype(np.float16),
        "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False, sort_keys=True).encode("utf-8"), np.uint8),
    }
    if tagger.clusters is not None:
        chars = np.flatnonzero(tagger.clusters).astype(np.uint32)
        arrays["cluster_chars"] = chars
        arrays["cluster_ids"] = tagger.clusters[chars].astype(np.uint16)
    tmp = path.with_name(path.name + ".tmp.npz")
    with tmp.open("wb") as fh:
        np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]
    tmp.replace(path)


def load_model(path: Path = MODEL_PATH) -> SpanTagger:
    """Read a model file; a missing, corrupt or stale file is a ComplianceModelError naming it."""
    retrain = "retrain with `python -m evals.train.compliance`"
    if not path.exists():
        raise ComplianceModelError(
            f"{path}: compliance model file missing ({retrain}, or set {ENV_SWITCH}=off)"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            weights = data["weights"].astype(np.float32)
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            clusters = None
            if "cluster_chars" in data:
                clusters = np.zeros(BMP, dtype=np.uint16)
                clusters[data["cluster_chars"].astype(np.int64)] = data["cluster_ids"]
    except (
        OSError,
        ValueError,
        KeyError,
        IndexError,
        zipfile.BadZipFile,
        UnicodeDecodeError,
        EOFError,
    ) as exc:
        raise ComplianceModelError(f"{path}: compliance model file unreadable ({exc}); {retrain}") from exc
    if not isinstance(meta, dict) or meta.get("feature_version") != FEATURE_VERSION:
        found = meta.get("feature_version") if isinstance(meta, dict) else None
        raise ComplianceModelError(
            f"{path}: compliance model written for feature version {found}, this code reads "
            f"{FEATURE_VERSION}; {retrain}"
        )
    families = tuple(str(f) for f in meta.get("families") or ())
    bits = int(meta.get("bits", 0))
    if weights.shape != (2**bits, len(families) + 1) or not np.isfinite(weights).all():
        raise ComplianceModelError(
            f"{path}: compliance model weights have shape {weights.shape}, expected "
            f"{(2**bits, len(families) + 1)} with finite values; {retrain}"
        )
    pairs = tuple(int(d) for d in meta.get("pairs") or ())
    if any(abs(d) > PAD or d == 0 for d in pairs):
        raise ComplianceModelError(
            f"{path}: compliance model pair distances {pairs} outside 1..{PAD}; {retrain}"
        )
    return SpanTagger(
        weights,
        families,
        bits,
        float(meta["threshold"]),
        meta,
        pairs,
        int(meta.get("min_length", 1)),
        int(meta.get("merge_gap", 0)),
        float(meta.get("peak", 0.0)),
        clusters,
        tuple((str(f), float(t), float(p)) for f, t, p in meta.get("family_settings") or ()),
        tuple((str(name), tuple(str(t) for t in terms)) for name, terms in meta.get("lexicon") or ()),
    )


@lru_cache(maxsize=1)
def default_model() -> SpanTagger:
    """The committed model, loaded once on first use."""
    return load_model(MODEL_PATH)
