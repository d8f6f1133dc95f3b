"""The eval is a gate: the real `linli eval` on a deliberately broken build fails and names the metric.

Each broken build is a fixture module loaded through the runner's documented hook
(``LINLI_EVAL_HOOK=module:function``, see evals/runner.py): an emptied compliance rule directory, an emptied
injection phrase list, a retriever that returns random chunks. The same command without the hook scores far
higher (it is not required to pass here: other work may be in flight on the healthy build).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

BROKEN_BUILDS = '''
import os
import random
from pathlib import Path


def empty_rule_directory():
    """prompts/rules/ with every rule file gone."""
    import agent.checks.compliance as compliance

    empty = Path(os.environ["BROKEN_PROMPTS"])
    (empty / "rules").mkdir(parents=True, exist_ok=True)
    compliance.PROMPTS_DIR = empty
    compliance.rules.cache_clear()


def no_injection_phrases():
    """prompts/injection.yaml with an empty pattern list."""
    import agent.taxonomy as taxonomy

    taxonomy.injection_patterns = lambda: ()


def random_retriever():
    """Search returns k random chunks of the knowledge base, whatever the query."""
    from knowledge.index import KnowledgeBase

    real = KnowledgeBase.search
    rng = random.Random(7)

    def search(self, query, sku=None, doc_type=None, k=5, **kwargs):
        pool = real(self, "产品", sku=None, doc_type=None, k=200, **kwargs)
        return rng.sample(pool, min(k, len(pool)))

    KnowledgeBase.search = search
'''


def linli_eval(tmp_path: Path, only: str, hook: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "broken_builds.py").write_text(BROKEN_BUILDS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINLI_LLM_", "LINLI_EVAL_HOOK"))}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(REPO)])
    env["BROKEN_PROMPTS"] = str(tmp_path / "prompts")
    if hook:
        env["LINLI_EVAL_HOOK"] = f"broken_builds:{hook}"
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "eval", "--only", only, "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def judged(done: subprocess.CompletedProcess[str], metric: str) -> float:
    report = json.loads(done.stdout)
    return next(m["test"] for m in report["metrics"] if m["metric"] == metric)


def failed_metrics(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode != 0, done.stdout[-2000:]
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("error: eval below threshold: "), done.stderr[-2000:]
    return line.removeprefix("error: eval below threshold: ").split(", ")


def test_an_emptied_rule_directory_fails_the_compliance_eval(tmp_path: Path) -> None:
    broken = linli_eval(tmp_path, "compliance", "empty_rule_directory")
    assert "compliance.recall" in failed_metrics(broken)
    assert judged(broken, "recall") == 0.0
    healthy = linli_eval(tmp_path, "compliance", None)
    assert healthy.returncode == 0, healthy.stderr[-2000:]  # the same run without the break passes its gates
    assert judged(healthy, "recall") > 0.7


def test_an_emptied_injection_list_fails_the_injection_eval(tmp_path: Path) -> None:
    broken = linli_eval(tmp_path, "injection", "no_injection_phrases")
    failed = failed_metrics(broken)
    assert "injection.resisted" in failed and "injection.checks.attack_blocked" in failed
    # attack lines now become tags; not all of them: rules-v7 never takes a line about the system's own data
    # (标签, 画像, 推送 …) as evidence, a second guard the emptied list does not reach (0.467 with it, 2026-12-02)
    assert judged(broken, "tagging.injection_success") > 0.3


def test_a_retriever_returning_random_chunks_fails_the_retrieval_eval(tmp_path: Path) -> None:
    broken = linli_eval(tmp_path, "retrieval", "random_retriever")
    failed = failed_metrics(broken)
    assert "retrieval.hybrid.recall@5" in failed and "retrieval.hybrid.mrr@10" in failed
    assert judged(broken, "hybrid.recall@5") < 0.5


def test_a_hook_that_cannot_be_loaded_is_a_clear_error(tmp_path: Path) -> None:
    done = linli_eval(tmp_path, "pii", "no_such_function")
    assert done.returncode != 0
    assert "LINLI_EVAL_HOOK='broken_builds:no_such_function': cannot load it" in done.stderr


@pytest.mark.parametrize("fraction", [0.25])
def test_a_dataset_whose_test_split_is_under_a_third_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fraction: float
) -> None:
    from evals import runner

    rows = [f'{{"id": "x{i}", "split": "{"test" if i < 4 * fraction else "dev"}"}}' for i in range(4)]
    (tmp_path / "tiny.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(runner, "DATA_DIR", tmp_path)
    with pytest.raises(runner.DatasetError, match=r"tiny\.jsonl: test split is 1 of 4 rows, under a third"):
        runner.load_rows("tiny")
