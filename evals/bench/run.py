"""`make bench`: run every benchmark and write evals/bench/report.md (target, median, same-run baseline, machine)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

REPORT = Path(__file__).with_name("report.md")


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}, {platform.system()}"


def run(module: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, check=True)
    sys.stderr.write(out.stderr)
    return json.loads(out.stdout)


def load() -> str:
    """The 1/5/15-minute load averages: on a shared machine they say how much the figures can be trusted."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f}"


USAGE = """Runs every benchmark (about 10 minutes on 2 cores) and writes evals/bench/report.md.

Each benchmark also runs alone, printing its JSON:
  python -m evals.bench.import_bench --messages 100000 --repeat 1
  python -m evals.bench.retrieval_bench --sizes 5000
  python -m evals.bench.tagging_bench --members 2000 --per-member 50
  python -m evals.bench.drafts_bench [--compliance-only]
  python -m evals.bench.review_bench
Smaller runs: LINLI_BENCH_MESSAGES, LINLI_BENCH_REPEAT, LINLI_BENCH_CHUNKS, LINLI_BENCH_DRAFTS,
LINLI_BENCH_REVIEW_REQUESTS; LINLI_BENCH_DATABASE=postgresql runs the review benchmark on PostgreSQL."""


def main() -> None:
    import argparse

    argparse.ArgumentParser(
        prog="python -m evals.bench.run",
        description=USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).parse_args()  # no options: --help explains, anything else is refused before ten minutes of work
    load_before = load()
    messages = os.environ.get("LINLI_BENCH_MESSAGES", "1000000")
    repeat = os.environ.get("LINLI_BENCH_REPEAT", "3")
    imp = run("evals.bench.import_bench", "--messages", messages, "--repeat", repeat)
    ret = run(
        "evals.bench.retrieval_bench", "--sizes", *os.environ.get("LINLI_BENCH_CHUNKS", "5000 50000").split()
    )
    ing = ret["ingestion"]
    tag = run("evals.bench.tagging_bench")
    dra = run("evals.bench.drafts_bench")
    rev = run("evals.bench.review_bench")
    health = rev["endpoints"]["health"]
    writes = f"{rev.get('writes_per_s', 0):g}"
    pages = {
        "api_list": "review inbox list, GET /api/drafts",
        "api_draft": "draft page data, GET /api/drafts/{id}",
        "html_inbox": "inbox page (HTML), GET /inbox",
        "html_draft": "draft page (HTML), GET /drafts/{id}",
        "api_list_writes": "review inbox list while an operator writes {writes} times a second, GET /api/drafts",
        "html_inbox_writes": "inbox page (HTML) while an operator writes {writes} times a second, GET /inbox",
    }
    rows = [
        (
            "chat import, end to end (parse, pseudonymise, store)",
            ">= 20,000 msg/s",
            f"{imp['import_per_s']:,.0f} msg/s",
            f"bare json.loads {imp['baseline_parse_per_s']:,.0f} msg/s (import = {imp['import_vs_parse']:.0%} of it)",
        ),
        ("chat re-import (all duplicates)", ">= 50,000 msg/s", f"{imp['reimport_per_s']:,.0f} msg/s", ""),
        ("chat import peak RSS", "<= 400 MB", f"{imp['import_peak_rss_mb']:.0f} MB", ""),
        ("chat re-import peak RSS", "<= 400 MB", f"{imp['reimport_peak_rss_mb']:.0f} MB", ""),
        *[
            row
            for lat in ret["latency"]
            for row in (
                (
                    f"hybrid search p50 at {lat['chunks']:,} chunks (query embedding included)",
                    "<= 60 ms" if lat["chunks"] >= 50000 else "",
                    f"{lat['p50_ms']:.1f} ms",
                    f"sku-filtered p50 {lat['sku_p50_ms']:.1f} ms",
                ),
                (
                    f"hybrid search p95 at {lat['chunks']:,} chunks",
                    "<= 150 ms" if lat["chunks"] >= 50000 else "",
                    f"{lat['p95_ms']:.1f} ms",
                    f"sku-filtered p95 {lat['sku_p95_ms']:.1f} ms",
                ),
                (
                    f"BM25 index build at {lat['chunks']:,} chunks (first search)",
                    "",
                    f"{lat['bm25_build_s']:.1f} s",
                    "",
                ),
            )
        ],
        (
            f"offline tagging of {tag['messages']:,} messages from {tag['members']:,} members (end to end)",
            "<= 90 s",
            f"{tag['offline_seconds']:.1f} s",
            f"incremental re-run with nothing new: {tag['incremental_rerun_seconds']:.1f} s",
        ),
        (
            f"members page data, {tag['members']:,} tagged members: a page of 50 (a tag's page of 50)",
            "",
            f"{tag['members_page_ms']:.0f} ms ({tag['members_tag_page_ms']:.0f} ms)",
            f"bare SELECT of the ids {tag['members_baseline_select_ms']:.1f} ms; all {tag['members']:,} members "
            f"{tag['members_all_ms']:.0f} ms; segment sizes {tag['segment_sizes_ms']:.0f} ms",
        ),
        (
            "LLM tagger: calls per 100 members",
            "",
            f"{tag['llm_calls_per_100_members']:.0f}",
            "batches of 20 members",
        ),
        (
            "LLM tagger: prompt size per member",
            "",
            f"{tag['llm_prompt_chars_per_member']:,.0f} characters",
            "tokens depend on the provider's tokenizer (Chinese: about 0.6-1 token a character)",
        ),
        (
            f"offline draft, end to end with every check ({dra['drafts']} drafts: 6 products x 3 kinds x 3)",
            "p50 <= 1.5 s",
            f"p50 {dra['draft_p50_s'] * 1000:.0f} ms, p95 {dra['draft_p95_s'] * 1000:.0f} ms",
            f"scripts alone p50 {dra['script_p50_s'] * 1000:.0f} ms",
        ),
        (
            "compliance check throughput",
            ">= 2,000 sentences/s",
            f"{dra['compliance_sentences_per_s']:,.0f} sentences/s",
            f"{dra['compliance_sentences']:,} sentences from the compliance eval, rules and trained span tagger; "
            f"rules alone {dra.get('compliance_rules_only_sentences_per_s', 0):,.0f} sentences/s in the same run",
        ),
        *[
            (
                f"{label.replace('{writes}', writes)} p95, {rev['clients']} concurrent clients, "
                f"{rev['drafts']:,} drafts, linli serve --workers {rev.get('workers', 1)}",
                "<= 150 ms",
                f"p95 {rev['endpoints'][key]['p95_ms']:.0f} ms (p50 {rev['endpoints'][key]['p50_ms']:.0f} ms, "
                f"{rev['endpoints'][key]['errors']} errors)",
                f"GET /api/health p95 {health['p95_ms']:.0f} ms, p50 {health['p50_ms']:.0f} ms",
            )
            for key, label in pages.items()
            if key in rev["endpoints"]
        ],
        (
            "document ingestion, cold embedding cache",
            "",
            f"{ing['cold_chunks_per_s']:.1f} chunks/s",
            f"warm cache {ing['warm_chunks_per_s']:.0f} chunks/s ({ing['chunks']} chunks)",
        ),
    ]
    lines = [
        "# Linli benchmarks",
        "",
        f"Run {datetime.now(UTC).isoformat(timespec='seconds')} on {machine()}; {load_before} at the start, "
        f"{load()} at the end (above the core count, other work shared the machine and the figures are slower "
        "than the machine can do).",
        f"Import: medians of {imp['repeat']} runs over a generated WeCom file of {imp['messages']:,} messages; each "
        "import in a fresh process (peak RSS is that process's own). Search: median and 95th percentile over real "
        "member questions against synthetic stores (real texts, random vectors), each query embedded for real. "
        "Review: `linli serve` on loopback, a fresh SQLite database seeded with drafts in every state; the medians "
        "and 95th percentiles are over every request of the run, the health endpoint under the same load is the "
        "baseline. "
        "Regenerate with `make bench`.",
        "",
        "| figure | target | measured (median unless it says p95) | baseline in the same run |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
    ]
    REPORT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
