"""The eval report: change against a baseline, and report.md's sections."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import report as eval_report
from evals.runner import severity


def metric(dataset: str, name: str, test: float | None, all_: float, threshold: float | None = None) -> dict:
    return {
        "dataset": dataset,
        "metric": name,
        "rows": {"dev": 2, "test": 1, "all": 3},
        "dev": 0.5,
        "test": test,
        "all": all_,
        "threshold": threshold,
        "passed": threshold is None or (test if test is not None else all_) >= threshold,
    }


def sample() -> dict:
    return {
        "run_at": "2026-12-01T20:00:00+00:00",
        "seconds": 12.5,
        "dataset_seconds": {"(knowledge base)": 1.0, "tagging": 2.0},
        "passed": False,
        "metrics": [
            metric("tagging", "micro_f1", 0.70, 0.75, 0.72),
            metric("tagging", "baking.precision", 0.9, 0.8),
            metric("tagging", "baking.recall", 0.6, 0.7),
            metric("tagging", "organic.recall", 1.0, 1.0),
        ],
        "worst_failures": {"tagging": [{"id": "t9", "expected": ["baking"], "got": [], "split": "dev"}]},
        "test_failure_ids": {"tagging": ["t1", "t2"]},
    }


def test_deltas_compare_the_test_split_with_the_baseline() -> None:
    report = sample()
    baseline = {
        "run_at": "x",
        "metrics": [metric("tagging", "micro_f1", 0.75, 0.8), metric("tagging", "gone", 1, 1)],
    }
    eval_report.add_deltas(report, baseline, "last committed evals/report.json (git HEAD)")
    f1 = report["metrics"][0]
    assert f1["baseline"] == 0.75 and f1["delta"] == pytest.approx(-0.05)
    assert eval_report.fmt_delta(f1) == "-0.050" and eval_report.fmt_delta(report["metrics"][1]) == "new"


def test_markdown_has_gated_metrics_categories_failures_and_run_times() -> None:
    report = sample()
    eval_report.add_deltas(report, None, "no baseline")
    text = eval_report.markdown(report)
    assert "No baseline: nothing to compare with." in text and "**FAILED**" in text
    assert "| tagging | micro_f1 | 0.500 | 0.700 | 0.750 | 0.720 |  | **FAIL** |" in text
    assert (
        "| category | precision | recall |" in text and "| baking | 0.900 / 0.800 | 0.600 / 0.700 |" in text
    )
    assert "| organic |  | 1.000 / 1.000 |" in text
    assert '| t9 | {"expected": ["baking"], "got": []} |' in text and "them: 2" in text
    assert "| (knowledge base) |  | 1.00 |" in text and "| tagging | 2 / 1 | 2.00 |" in text


def test_baseline_falls_back_to_the_file_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(eval_report, "EVALS_DIR", tmp_path / "not-a-checkout" / "evals")
    monkeypatch.setattr(eval_report, "REPORT_JSON", tmp_path / "report.json")
    assert eval_report.load_baseline() == (None, "no baseline")
    (tmp_path / "report.json").write_text(json.dumps({"run_at": "then", "metrics": []}), encoding="utf-8")
    found, source = eval_report.load_baseline()
    assert (
        found == {"run_at": "then", "metrics": []} and source == "evals/report.json as it was before this run"
    )


def test_worst_failures_are_the_ones_with_most_wrong() -> None:
    one = {"id": "a", "missed": ["x"], "false_positives": []}
    three = {"id": "b", "missed": ["x", "y"], "false_positives": ["z"], "text": "long text"}
    label = {"id": "c", "expected": "supported", "got": "invented", "extracted": ["1", "2"]}
    assert sorted([one, three, label], key=severity, reverse=True)[0]["id"] == "b"
    assert severity(label) == 1 and severity(one) == 1


def test_a_gated_metric_that_is_not_produced_fails_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evals import runner

    (tmp_path / "pii.jsonl").write_text(
        '{"id": "p1", "split": "test", "text": "电话13812345678", "expected": [{"type": "手机", "text": "13812345678"}]}\n',
        encoding="utf-8",
    )
    (tmp_path / "thresholds.toml").write_text(
        '[pii]\n"core.recall" = 0.9\n"core.recal" = 0.9\n', encoding="utf-8"
    )
    monkeypatch.setattr(runner, "DATA_DIR", tmp_path)
    monkeypatch.setattr(runner, "EVALS_DIR", tmp_path)
    report = runner.run_all(only="pii")
    gated = {m["metric"]: m for m in report["metrics"] if m["threshold"] is not None}
    assert (
        gated["core.recall"]["passed"]
        and not gated["core.recal"]["passed"]
        and gated["core.recal"]["missing"]
    )
    assert report["passed"] is False and "**FAIL** (not produced)" in eval_report.markdown(report)


def test_issue_targets_are_reported_beside_the_gates_and_never_fail_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evals import runner

    rows = [
        '{"id": "p1", "split": "test", "text": "电话13812345678", "expected": [{"type": "手机", "text": "13812345678"}]}',
        '{"id": "p2", "split": "test", "text": "身份证号码就不发了", "expected": []}',
    ]
    (tmp_path / "pii.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "thresholds.toml").write_text('[pii]\n"core.recall" = 0.9\n', encoding="utf-8")
    (tmp_path / "targets.toml").write_text(
        '[pii]\n"core.recall" = { min = 0.95, issue = 3 }\n"core.precision" = { min = 1.01, issue = 3 }\n'
        '"core.missing" = { max = 0.1, issue = 3 }\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(runner, "DATA_DIR", tmp_path)
    monkeypatch.setattr(runner, "EVALS_DIR", tmp_path)
    report = runner.run_all(only="pii")
    by_name = {m["metric"]: m for m in report["metrics"]}
    assert by_name["core.recall"]["target_met"] is True and by_name["core.precision"]["target_met"] is False
    assert by_name["core.missing"]["target_met"] is False and by_name["core.missing"]["missing"]
    assert report["passed"] is True  # a target below is reported, not gated
    assert report["targets"] == {"met": 1, "total": 3, "below": ["pii.core.precision", "pii.core.missing"]}
    text = eval_report.markdown(report)
    assert "## Issue targets" in text and "**1 of 3 met**" in text and "| #3 | pii | core.precision |" in text
    assert eval_report.fmt_target(by_name["core.recall"]) == ">=0.95 met"
    (tmp_path / "targets.toml").write_text('[pii]\n"core.recall" = 0.95\n', encoding="utf-8")
    with pytest.raises(runner.DatasetError, match="targets.toml.*core.recall.*min or max"):
        runner.run_all(only="pii")
