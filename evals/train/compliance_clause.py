"""Train the compliance clause classifier (agent/checks/compliance_clause.py) on the DEV split of
evals/data/compliance.jsonl, and choose its per-family thresholds by grouped cross-validation within dev.

    python -m evals.train.compliance_clause          # CV for the thresholds, then train on all dev rows, write the file
    python -m evals.train.compliance_clause --cv     # the CV table only, no file written

A clause (see ``clauses``) is positive for a family when it overlaps an expected span of that family. The model is a
one-vs-rest logistic regression per family over the clause's hashed feature bag, fitted by full-batch Adam from zero
weights (deterministic). Cross-validation holds out whole blocks of rows (the id prefix), as for the span tagger,
and scores the whole pipeline on the held-out rows: rules, the span tagger trained without the held-out blocks
(its held-out probabilities, from ``python -m evals.train.compliance --cv --save-probs``, else trained here), and
the clause stage. A family's threshold is the lowest of the grid at which, on CV, the stage's own findings of that
family are at least ``min_precision`` precise and flag at most ``clean_budget`` of the clean dev lines that the
earlier stages leave clean; a family with no such threshold is switched off (threshold above 1). Test rows are
never read.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.checks import compliance_clause
from agent.checks.compliance import Finding, check_compliance, clause_findings, model_findings, rule_findings
from agent.checks.compliance_clause import ClauseClassifier, clauses, features
from agent.checks.compliance_model import decode
from agent.checks.normalise import view
from evals import metrics
from evals.train import compliance as span_training

OFF = 1.01  # a threshold no probability reaches: the family is off


@dataclass(frozen=True)
class Settings:
    iterations: int = 200
    learning_rate: float = 0.05
    l2: float = 1e-4
    clean_weight: float = 2.0  # a clause of a clean sentence counts this many times
    context: bool = True  # context n-grams of the rest of the sentence
    min_precision: float = 0.9  # of the stage's own findings of a family on CV ("high precision")
    clean_budget: float = 0.0  # share of clean dev lines the stage may newly flag, per family (none: CV)
    # thresholds are chosen after the span tagger alone: the rules were written on all of dev and leave the stage
    # next to nothing to find there, whereas on fresh lines they miss a third to a half of the claims
    select_with_rules: bool = False
    whole_clause: bool = False  # a finding spans its clause (else its highest-scoring window)
    defer_any: bool = True  # no finding in a clause where an earlier stage found any family
    folds: int = 5


GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98)


def clause_labels(
    row: dict[str, Any], families: tuple[str, ...]
) -> tuple[str, list[tuple[int, int]], np.ndarray]:
    """The normalised view, its clauses, and (clauses, families) 0/1 labels: the clause overlaps a span of it."""
    text, y = span_training.labels(row, families)
    spans = clauses(text)
    out = np.zeros((len(spans), len(families)), dtype=np.float64)
    for c, (start, end) in enumerate(spans):
        for k in set(y[start:end].tolist()) - {0}:
            out[c, k - 1] = 1.0
    return text, spans, out


def fit(
    rows: list[dict[str, Any]],
    families: tuple[str, ...],
    settings: Settings,
    vectors: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, tuple[str, ...], np.ndarray | None]:
    """The (vocabulary + 2, families) weights (features, bias, a zero row for features outside the vocabulary),
    the vocabulary (every feature of the rows, sorted), and with ``vectors`` (clause text -> sentence vector,
    measured only) the (dims, families) weights of the vector features."""
    fam = len(families)
    owners, names, ys, ws = [], [], [], []
    dense_rows: list[np.ndarray] = []
    n = 0
    for row in rows:
        text, spans, y = clause_labels(row, families)
        _, per_clause = features(text, settings.context)
        for c, clause_names in enumerate(per_clause):
            owners.append(np.full(len(clause_names), n + c))
            names += clause_names
        n += len(spans)
        if vectors is not None:
            dense_rows += [vectors[text[a:b]] for a, b in spans]
        ys.append(y)
        ws.append(np.full(len(y), settings.clean_weight if not row["expected"] else 1.0))
    vocabulary = tuple(sorted(set(names)))
    index = {name: k for k, name in enumerate(vocabulary)}
    bias = len(vocabulary)
    owner = np.concatenate([*owners, np.arange(n)])
    feat = np.array([index[name] for name in names] + [bias] * n, dtype=np.intp)
    y = np.concatenate(ys)
    w = np.concatenate(ws)
    w = w / w.sum()
    size = len(vocabulary) + 1
    dense = np.zeros((size, fam), dtype=np.float64)
    m = np.zeros_like(dense)
    v = np.zeros_like(dense)
    vec = np.array(dense_rows, dtype=np.float64) if vectors is not None else np.zeros((n, 0))
    vw = np.zeros((vec.shape[1], fam))
    vm = np.zeros_like(vw)
    vv = np.zeros_like(vw)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for step in range(1, settings.iterations + 1):
        picked = dense[feat]
        logits = np.stack(
            [np.bincount(owner, weights=picked[:, k], minlength=n) for k in range(fam)], axis=1
        ).astype(np.float64) + (vec @ vw)
        p = 1.0 / (1.0 + np.exp(-logits))
        g_clause = (p - y) * w[:, None]
        g = g_clause[owner]
        grad = (
            np.stack([np.bincount(feat, weights=g[:, k], minlength=size) for k in range(fam)], axis=1).astype(
                np.float64
            )
            + settings.l2 * dense
        )
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        rate = settings.learning_rate * (0.1 + 0.45 * (1 + np.cos(np.pi * step / settings.iterations)))
        dense -= rate * (m / (1 - b1**step)) / (np.sqrt(v / (1 - b2**step)) + eps)
        if vectors is not None:
            vgrad = vec.T @ g_clause + settings.l2 * vw
            vm = b1 * vm + (1 - b1) * vgrad
            vv = b2 * vv + (1 - b2) * vgrad * vgrad
            vw -= rate * (vm / (1 - b1**step)) / (np.sqrt(vv / (1 - b2**step)) + eps)
    weights = np.concatenate([dense, np.zeros((1, fam))]).astype(np.float32)
    return weights, vocabulary, (vw.astype(np.float32) if vectors is not None else None)


def classifier(
    fitted: tuple[np.ndarray, tuple[str, ...], Any],
    families: tuple[str, ...],
    settings: Settings,
    thresholds: tuple[float, ...],
    meta: dict[str, Any],
) -> ClauseClassifier:
    weights, vocabulary, _ = fitted
    return compliance_clause.from_meta(
        weights,
        vocabulary,
        {
            **meta,
            "families": list(families),
            "thresholds": list(thresholds),
            "context": settings.context,
            "whole_clause": settings.whole_clause,
            "defer_any": settings.defer_any,
        },
    )


def held_out_span_probs(rows: list[dict[str, Any]], path: Path | None) -> dict[str, np.ndarray]:
    """The span tagger's held-out probabilities per row id: read from ``path`` (written by the span tagger's
    ``--cv --save-probs`` on the same rows), else computed here with its default settings."""
    if path is not None and path.exists():
        with np.load(path) as data:
            found = {k: data[k] for k in data.files}
        if all(r["id"] in found for r in rows):
            return found
        print(f"{path}: not the same rows, recomputing", file=sys.stderr)
    settings = span_training.Settings()
    families = span_training.family_names()
    parts = span_training.folds(rows, settings.folds)
    out: dict[str, np.ndarray] = {}
    for n, held in enumerate(parts):
        train = [r for k, part in enumerate(parts) if k != n for r in part]
        model = span_training.tagger(span_training.fit(train, families, settings), families, settings, {})
        for row in held:
            out[row["id"]] = model.probabilities(view(row["text"]).text)
    return out


def flag_all(
    model: ClauseClassifier, text: str, vw: np.ndarray | None, vectors: dict[str, np.ndarray] | None
) -> list[tuple[str, int, int, float]]:
    """Every (clause, family) of ``text`` with its probability (threshold 0); with ``vw`` and ``vectors`` the
    sentence-vector part is added to the logits (measured only)."""
    if vw is None or vectors is None:
        return model.flagged(text, (0.0,) * len(model.families))
    spans, logits = model.logits(text)
    out = []
    for c, (start, end) in enumerate(spans):
        probs = 1.0 / (1.0 + np.exp(-(logits[c] + vectors[text[start:end]] @ vw)))
        out += [(model.families[k], start, end, prob) for k, prob in enumerate(probs.tolist())]
    return out


def load_vectors(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        vecs = data["vecs"] - data["vecs"].mean(axis=0)  # e5 vectors share a large common part
        return dict(
            zip(data["texts"].tolist(), vecs / np.linalg.norm(vecs, axis=1, keepdims=True), strict=True)
        )


def cross_validate(
    rows: list[dict[str, Any]],
    settings: Settings,
    span_probs_path: Path | None,
    vectors: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Per-family thresholds chosen on CV, and the CV figures of the pipelines with and without the stage."""
    families = span_training.family_names()
    span_settings = span_training.Settings()
    bar, peak = span_training.tagger(np.zeros((1, 1)), families, span_settings, {}).bars
    span_probs = held_out_span_probs(rows, span_probs_path)
    parts = span_training.folds(rows, settings.folds)
    clause_models: dict[str, tuple[ClauseClassifier, np.ndarray | None]] = {}
    for n, held in enumerate(parts):
        started = time.perf_counter()
        train = [r for k, part in enumerate(parts) if k != n for r in part]
        fitted = fit(train, families, settings, vectors)
        vw = fitted[2]
        model = classifier(fitted, families, settings, (0.5,) * len(families), {})
        for row in held:
            clause_models[row["id"]] = (model, vw)
        print(f"fold {n + 1}/{len(parts)}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    by_text = {r["text"]: r["id"] for r in rows}

    def earlier(text: str, with_rules: bool = True) -> tuple[Any, list[Finding]]:
        seen = view(text)
        found = rule_findings(text, seen) if with_rules else []
        spans = decode(
            span_probs[by_text[text]], families, bar, span_settings.min_length, span_settings.merge_gap, peak
        )
        return seen, found + model_findings(text, seen, spans, found)

    cache: dict[tuple[str, bool], tuple[Any, list[Finding]]] = {}

    def stages(text: str, with_rules: bool) -> tuple[Any, list[Finding]]:
        key = (text, with_rules)
        if key not in cache:
            cache[key] = earlier(text, with_rules)
        return cache[key]

    def new_findings(
        text: str, seen: Any, chosen: list[tuple[str, int, int, float]], found: list[Finding]
    ) -> list[Finding]:
        model = clause_models[by_text[text]][0]
        return clause_findings(
            text,
            seen,
            chosen,
            found,
            window=model.best_window,
            whole_clause=settings.whole_clause,
            defer_any=settings.defer_any,
        )

    flagged_cache: dict[str, list[tuple[str, int, int, float]]] = {}

    def flagged(text: str) -> list[tuple[str, int, int, float]]:
        if text not in flagged_cache:
            model, vw = clause_models[by_text[text]]
            flagged_cache[text] = flag_all(model, view(text).text, vw, vectors)
        return flagged_cache[text]

    def pipeline(thresholds: dict[str, float], with_rules: bool = True) -> Callable[[str], list[Finding]]:
        def check(text: str) -> list[Finding]:
            seen, found = stages(text, with_rules)
            chosen = [f for f in flagged(text) if f[3] >= thresholds.get(f[0], OFF)]
            return found + new_findings(text, seen, chosen, found)

        return check

    thresholds: dict[str, float] = {}
    clean_rows = [r for r in rows if not r["expected"]]
    print(f"{'family':>17} {'thr':>5} {'added':>6} {'wrong':>6} {'cleanFP':>8}", file=sys.stderr)
    for family in families:
        chosen = OFF
        for t in GRID:
            added = wrong = 0
            newly_flagged = 0
            for row in rows:
                text = row["text"]
                seen, found = stages(text, settings.select_with_rules)
                own = [f for f in flagged(text) if f[0] == family and f[3] >= t]
                new = new_findings(text, seen, own, found)
                if not new:
                    continue
                gold = [
                    (e["family"], text.find(e["text"]), text.find(e["text"]) + len(e["text"]))
                    for e in row["expected"]
                ]
                for f in new:
                    hit = any(g[0] == f.family and f.start < g[2] and g[1] < f.end for g in gold)
                    added += hit
                    wrong += not hit
                if not row["expected"] and not found:
                    newly_flagged += 1
            precision = added / (added + wrong) if added + wrong else 1.0
            clean_rate = newly_flagged / len(clean_rows)
            print(
                f"{family:>17} {t:5.2f} {added:6d} {wrong:6d} {clean_rate:8.4f}",
                file=sys.stderr,
            )
            if added and precision >= settings.min_precision and clean_rate <= settings.clean_budget:
                chosen = t
                break
        thresholds[family] = chosen
    figures = {
        "rules+span": metrics.compliance(rows, pipeline({}, True))[0],
        "rules+span+clause": metrics.compliance(rows, pipeline(thresholds, True))[0],
        "span": metrics.compliance(rows, pipeline({}, False))[0],
        "span+clause": metrics.compliance(rows, pipeline(thresholds, False))[0],
    }
    return thresholds, figures


def train(path: Path, settings: Settings, thresholds: dict[str, float], cv: dict[str, Any]) -> None:
    rows = span_training.dev_rows()
    families = span_training.family_names()
    started = time.perf_counter()
    fitted = fit(rows, families, settings)
    meta = {
        "trained_on": "evals/data/compliance.jsonl, split=dev",
        "rows": len(rows),
        "rows_sha256": span_training.rows_sha256(rows),
        "settings": asdict(settings),
        "cv": cv,
        "numpy": np.__version__,
    }
    model = classifier(fitted, families, settings, tuple(thresholds[f] for f in families), meta)
    compliance_clause.save_model(path, model)
    print(
        f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) from {len(rows)} dev rows in "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv", action="store_true", help="the CV table only, no file written")
    parser.add_argument("--out", type=Path, default=compliance_clause.MODEL_PATH)
    parser.add_argument(
        "--span-probs", type=Path, default=None, help="the span tagger's saved held-out probabilities"
    )
    parser.add_argument(
        "--vectors",
        type=Path,
        default=None,
        help="with --cv: clause sentence vectors (texts, vecs) to measure",
    )
    for field, default in asdict(Settings()).items():
        kind = (
            (lambda s: s.lower() in ("1", "true", "yes", "on"))
            if isinstance(default, bool)
            else type(default)
        )
        parser.add_argument(f"--{field.replace('_', '-')}", type=kind, default=default)
    args = parser.parse_args(argv)
    settings = Settings(**{f: getattr(args, f) for f in asdict(Settings())})
    vectors = load_vectors(args.vectors) if args.vectors else None
    if vectors is not None and not args.cv:
        parser.error("--vectors is for measuring with --cv only")
    thresholds, figures = cross_validate(span_training.dev_rows(), settings, args.span_probs, vectors)
    span_training.print_table(figures)
    print("thresholds:", thresholds)
    if args.cv:
        return
    summary = {name: {k: round(v, 4) for k, v in m.items() if "." not in k} for name, m in figures.items()}
    train(args.out, settings, thresholds, {"thresholds": thresholds, "figures": summary})
    check_compliance("")  # the written model loads


if __name__ == "__main__":
    main()
