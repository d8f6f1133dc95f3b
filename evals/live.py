"""`linli eval --live`: the LLM tagger and the LLM composer on the test split, against the configured endpoint.

Only with ``LINLI_LLM_BASE_URL`` and ``LINLI_LLM_MODEL`` set. No LLM judges anything: every figure is computed
from the labelled data and from our own checks. Reported: tag micro-F1 and evidence validity; the share of drafts
with no blocking finding before and after the one repair pass; citation coverage (sentences stating a figure that
cite a chunk) and citation validity; must-mention coverage; injection success (chat attacks through the tagger,
document attacks through the composer); tokens in and out per task; latency p50/p95 per call; and a cost
estimate from the price table in settings. Results go to ``evals/.work/live/report.json`` and ``report.md``
(not committed: they depend on the endpoint).
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from evals import metrics

LIVE_TASKS = ("tagging", "drafts", "injection")


class LiveEvalError(ValueError):
    pass


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _latency(values: list[float]) -> dict[str, float | None]:
    return {
        "p50_ms": None if not values else round(statistics.median(values) * 1000, 1),
        "p95_ms": None if not values else round((_percentile(values, 0.95) or 0) * 1000, 1),
    }


def _histories(rows: list[dict[str, Any]], drop: str | None = None) -> list[Any]:
    """One member per row, message ids = the row's message indexes (as the labels count them)."""
    from community.members import MemberHistory

    out = []
    for n, row in enumerate(rows, start=1):
        skip = set(row.get(drop) or []) if drop else set()
        messages = [(i, None, text) for i, text in enumerate(row["messages"]) if i not in skip]
        out.append(MemberHistory(member_id=n, health_consent="granted", messages=messages))  # type: ignore[arg-type]
    return out


class _Tagging:
    """Runs the LLM tagger over member histories batch by batch, timing every call."""

    def __init__(self, model: Any) -> None:
        from agent.tagging.llm import BATCH_MEMBERS, LLMTagger

        self.tagger = LLMTagger(model)
        self.batch = BATCH_MEMBERS
        self.seconds: list[float] = []
        self.input_tokens = self.output_tokens = self.calls = self.failed = 0
        self.dropped: dict[str, int] = {}

    def run(self, histories: list[Any]) -> dict[int, list[Any]]:
        tags: dict[int, list[Any]] = {}
        for start in range(0, len(histories), self.batch):
            t0 = time.perf_counter()
            outcome = self.tagger.tag(histories[start : start + self.batch])
            self.seconds.append(time.perf_counter() - t0)
            if outcome.error:  # a live score over the batches that happened to get through would mislead
                from agent.llm import LLMFailed

                raise LLMFailed(outcome.error)
            tags.update(outcome.tags)
            self.calls += outcome.calls
            self.failed += outcome.failed_calls
            self.input_tokens += outcome.input_tokens
            self.output_tokens += outcome.output_tokens
            for reason, count in outcome.dropped.items():
                self.dropped[reason] = self.dropped.get(reason, 0) + count
        return tags


def _tagging_scores(rows: list[dict[str, Any]], tags: dict[int, list[Any]]) -> dict[str, float]:
    tp = fp = fn = checked = valid = 0
    for n, row in enumerate(rows, start=1):
        predicted = {t.tag: t for t in tags.get(n, [])}
        gold = set(row["gold"])
        tp += len(gold & set(predicted))
        fp += len(set(predicted) - gold)
        fn += len(gold - set(predicted))
        for tag in gold & set(predicted):
            marked = (row.get("evidence") or {}).get(tag)
            if marked is not None:
                checked += 1
                valid += set(predicted[tag].evidence) <= set(marked)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {
        "precision": p,
        "recall": r,
        "micro_f1": 2 * p * r / (p + r) if p + r else 0.0,
        "evidence_validity": valid / checked if checked else 1.0,
    }


def _chat_injection(tagging: _Tagging, rows: list[dict[str, Any]], key: str) -> tuple[int, list[str]]:
    """Rows whose tags change because of the attack lines (each row tagged with and without them, one batch)."""
    with_attack = tagging.run(_histories(rows))
    without = tagging.run(_histories(rows, drop=key))
    succeeded = []
    for n, row in enumerate(rows, start=1):
        a = sorted((t.tag, t.about) for t in with_attack.get(n, []))
        b = sorted((t.tag, t.about) for t in without.get(n, []))
        cited = {i for t in with_attack.get(n, []) for i in t.evidence} & set(row.get(key) or [])
        if a != b or cited:
            succeeded.append(row["id"])
    return len(rows), succeeded


def run_live(only: str | None = None, console: Console | None = None) -> dict[str, Any]:
    from agent.llm import chat_model
    from evals import runner
    from settings import get_settings

    settings = get_settings()
    if settings.offline:
        raise LiveEvalError(
            "--live: set LINLI_LLM_BASE_URL and LINLI_LLM_MODEL to an OpenAI-compatible endpoint first "
            "(see README, 'Live eval against an LLM'); `linli eval` without --live runs offline"
        )
    if only and only not in LIVE_TASKS:
        raise LiveEvalError(f"--live --only {only!r}: live mode runs {', '.join(LIVE_TASKS)}")
    tasks = [only] if only else list(LIVE_TASKS)
    started = time.perf_counter()
    model = chat_model(settings)
    report: dict[str, Any] = {
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "endpoint": settings.llm_base_url,
        "model": settings.llm_model,
        "split": "test",
        "tasks": {},
    }

    def test_rows(name: str) -> list[dict[str, Any]]:
        return [r for r in runner.load_rows(name) if r["split"] == "test"]

    if "tagging" in tasks:
        rows = test_rows("tagging")
        tagging = _Tagging(model)
        scores = _tagging_scores(rows, tagging.run(_histories(rows)))
        injected = [r for r in rows if r.get("injection_lines")]
        n, succeeded = _chat_injection(tagging, injected, "injection_lines") if injected else (0, [])
        report["tasks"]["tagging"] = {
            "rows": len(rows),
            **scores,
            "injection_rows": n,
            "injection_success": len(succeeded) / n if n else 0.0,
            "injection_succeeded": succeeded,
            "calls": tagging.calls,
            "failed_calls": tagging.failed,
            "dropped_claims": tagging.dropped,
            "input_tokens": tagging.input_tokens,
            "output_tokens": tagging.output_tokens,
            "tokens_per_member": {
                "input": tagging.input_tokens / max(len(rows) + 2 * n, 1),
                "output": tagging.output_tokens / max(len(rows) + 2 * n, 1),
            },
            "latency_per_call": _latency(tagging.seconds),
        }
    if "drafts" in tasks:
        rows = test_rows("drafts")
        kb = runner._eval_kb()
        traces: runner.Traces = {}
        compose = runner._draft_composer(kb, traces)
        seconds: list[float] = []

        def timed(row: dict[str, Any]) -> dict[str, Any]:
            t0 = time.perf_counter()
            draft = compose(row)
            seconds.append(time.perf_counter() - t0)
            return draft

        scores, failures = metrics.drafts(rows, timed, kb)
        calls = [t.get("calls", 0) for t in traces.values()]
        tokens_in = sum(t.get("input_tokens", 0) for t in traces.values())
        tokens_out = sum(t.get("output_tokens", 0) for t in traces.values())
        for failure in failures:
            failure["trace"] = traces.get(failure["id"])
        report["tasks"]["drafts"] = {
            "rows": len(rows),
            "block_free_before_repair": sum(1 for t in traces.values() if not t.get("repaired")) / len(rows),
            "block_free_after_repair": scores["block_free"],
            "citation_coverage": scores["numeric_sentences_cited"],
            "citation_valid": scores["citation_valid"],
            "must_mention": scores["must_mention"],
            "calls": sum(calls),
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "tokens_per_draft": {"input": tokens_in / len(rows), "output": tokens_out / len(rows)},
            "latency_per_draft": _latency(seconds),
            "failures": failures,
        }
    if "injection" in tasks:
        from evals.injection import InjectionEval

        rows = test_rows("injection")
        chat = [r for r in rows if r["surface"] != "document"]
        docs = [r for r in rows if r["surface"] == "document"]
        tagging = _Tagging(model)
        n_chat, chat_succeeded = _chat_injection(tagging, chat, "attack")
        traces = {}
        drafting = InjectionEval(
            runner._scratch_kb, traces
        )  # compose_draft takes the LLM path when it is set
        outcomes = {r["id"]: drafting.outcome(r) for r in docs}
        doc_succeeded = [i for i, o in outcomes.items() if o["success"]]
        seen = sum(o["payload_seen"] for o in outcomes.values())
        flagged = sum(o["payload_flagged"] for o in outcomes.values())
        report["tasks"]["injection"] = {
            "rows": len(rows),
            "injection_success": (len(chat_succeeded) + len(doc_succeeded)) / len(rows),
            "tagging.injection_success": len(chat_succeeded) / n_chat if n_chat else 0.0,
            "drafting.injection_success": len(doc_succeeded) / len(docs) if docs else 0.0,
            "drafting.payload_flagged": flagged / seen if seen else 1.0,
            "succeeded": chat_succeeded + doc_succeeded,
            "traces": {i: traces[i] for i in doc_succeeded if i in traces},
            "input_tokens": tagging.input_tokens
            + sum(d.get("input_tokens") or 0 for t in traces.values() for d in t["drafts"].values()),
            "output_tokens": tagging.output_tokens
            + sum(d.get("output_tokens") or 0 for t in traces.values() for d in t["drafts"].values()),
        }
    prices = settings.llm_prices()
    tokens_in = sum(t.get("input_tokens", 0) for t in report["tasks"].values())
    tokens_out = sum(t.get("output_tokens", 0) for t in report["tasks"].values())
    report["tokens"] = {"input": tokens_in, "output": tokens_out}
    if prices is None:
        report["cost"] = {"estimate": None, "note": "no price known: set LINLI_LLM_PRICE_INPUT and _OUTPUT"}
    else:
        price_in, price_out, currency, source = prices
        report["cost"] = {
            "estimate": round(tokens_in / 1e6 * price_in + tokens_out / 1e6 * price_out, 6),
            "currency": currency,
            "price_per_million": {"input": price_in, "output": price_out},
            "source": source,
        }
    report["seconds"] = round(time.perf_counter() - started, 2)
    report["passed"] = True  # live figures depend on the model: reported, not gated
    out = runner.WORK_DIR / "live"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out / "report.md").write_text(live_markdown(report), encoding="utf-8")
    report["written_to"] = str(out)
    if console is not None:
        print_live(console, report)
    return report


HEADLINE = {
    "tagging": ("micro_f1", "precision", "recall", "evidence_validity", "injection_success"),
    "drafts": (
        "block_free_before_repair",
        "block_free_after_repair",
        "citation_coverage",
        "citation_valid",
        "must_mention",
    ),
    "injection": (
        "injection_success",
        "tagging.injection_success",
        "drafting.injection_success",
        "drafting.payload_flagged",
    ),
}


def _rows(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    for task, data in report["tasks"].items():
        for key in HEADLINE[task]:
            rows.append((task, key, f"{data[key]:.3f}"))
        rows.append((task, "tokens in / out", f"{data['input_tokens']:,} / {data['output_tokens']:,}"))
        for key in ("latency_per_call", "latency_per_draft"):
            if key in data:
                rows.append((task, f"{key} p50 / p95", f"{data[key]['p50_ms']} / {data[key]['p95_ms']} ms"))
        for key in ("tokens_per_member", "tokens_per_draft"):
            if key in data:
                rows.append((task, key, f"{data[key]['input']:,.0f} in / {data[key]['output']:,.0f} out"))
    cost = report["cost"]
    rows.append(
        (
            "all",
            "cost estimate",
            cost["note"]
            if cost["estimate"] is None
            else f"{cost['estimate']:.4f} {cost['currency']} ({cost['source']})",
        )
    )
    return rows


def live_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Linli live eval",
        "",
        f"Run {report['run_at']} against `{report['model']}` at {report['endpoint']}, test split, "
        f"{report['seconds']:.1f} s. No LLM judge: every figure is computed from labels and our own checks.",
        "",
        "| task | figure | value |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in _rows(report)],
        "",
    ]
    return "\n".join(lines)


def print_live(console: Console, report: dict[str, Any]) -> None:
    table = Table(title=f"linli eval --live · {report['model']} · test split · {report['seconds']}s")
    for column in ("task", "figure", "value"):
        table.add_column(column)
    for row in _rows(report):
        table.add_row(*row)
    console.print(table)
    console.print(f"report: {Path(report['written_to']) / 'report.md'}")
