"""The compliance check's third stage, the clause classifier (agent/checks/compliance_clause.py): the committed
model loads and was trained on today's dev rows, it finds a claim neither the rules nor the span tagger read, keeps
allow-contexts, disclaimers and denials clean, never speaks where an earlier stage spoke in the clause, its fast
logits equal the sum of its features' weights, a missing, corrupt or stale file is refused by name, training is
deterministic; and the span tagger's per-family thresholds are the ones trained."""

from pathlib import Path

import numpy as np
import pytest

from agent.checks import compliance_clause, compliance_model, run_checks
from agent.checks.compliance import Finding, check_compliance, clause_findings, families, rule_findings
from agent.checks.compliance_clause import (
    MODEL_PATH,
    ClauseClassifier,
    clauses,
    features,
    load_model,
    save_model,
)
from agent.checks.compliance_model import ComplianceModelError
from agent.checks.normalise import view
from evals.train import compliance as span_training
from evals.train import compliance_clause as training

# Written for this test, in none of evals/data/compliance.jsonl's rows; neither the rules nor the span tagger
# flag the claim, the clause stage does.
UNSEEN = [
    ("这款鱼油，爸妈吃了以后心脏的毛病少多了", "disease_claims"),
    # (营养师和医生都点头的, the endorsement example until 2026-12-02, is the retrained span tagger's now)
    ("这款小米，我妈的老胃病吃着吃着就不怎么犯了", "disease_claims"),
]
CLEAN = [
    "最近好多邻居在问，今晚第一批到货",
    "这是最后一单了，要的家人抓紧说一声",
    "这个黄油开封以后最好冷藏，一周内吃完",
    "本品为普通食品，不能代替药物治疗",
    "芝麻丸每100g含蛋白质19g，早餐配牛奶吃两颗",
    "控血糖的家人可以看看这款荞麦面，碳水每100g是58g",
    "我们不说它能让头发变黑，它就是黑芝麻和核桃做的",
]


@pytest.fixture(autouse=True)
def clause_stage_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stage is off by default (see compliance_clause.py); these tests are about the stage, so it is on."""
    monkeypatch.setenv("LINLI_COMPLIANCE_CLAUSE", "on")


def test_the_stage_is_off_unless_switched_on(monkeypatch: pytest.MonkeyPatch) -> None:
    text, family = UNSEEN[0]
    assert any(f.rule == f"clause:{family}" for f in check_compliance(text))
    monkeypatch.delenv("LINLI_COMPLIANCE_CLAUSE")
    assert not compliance_clause.enabled()
    assert [f for f in check_compliance(text) if f.rule.startswith("clause:")] == []
    for value in ("off", "0", "no", "maybe"):
        monkeypatch.setenv("LINLI_COMPLIANCE_CLAUSE", value)
        assert not compliance_clause.enabled()


def test_the_committed_model_loads_and_was_trained_on_todays_dev_rows() -> None:
    model = load_model(MODEL_PATH)
    assert model.families == tuple(sorted(families()))
    assert model.meta["rows_sha256"] == span_training.rows_sha256(span_training.dev_rows()), (
        "evals/data/compliance.jsonl's dev rows changed since the clause model was trained: "
        "run `python -m evals.train.compliance_clause` and commit agent/checks/compliance_clause.npz"
    )
    assert list(model.thresholds) == [model.meta["cv"]["thresholds"][f] for f in model.families]
    assert MODEL_PATH.stat().st_size < 3_000_000


@pytest.mark.parametrize(("text", "family"), UNSEEN)
def test_the_clause_stage_finds_a_claim_the_earlier_stages_miss(text: str, family: str) -> None:
    seen = view(text)
    assert [f for f in rule_findings(text, seen) if f.family == family] == []
    assert [s for s in compliance_model.default_model().spans(seen.text) if s[0] == family] == []
    found = [f for f in check_compliance(text) if f.family == family]
    assert found, text
    finding = found[0]
    assert finding.rule == f"clause:{family}"
    assert finding.severity == families()[family].severity
    assert finding.suggestion and "依据" in finding.message
    assert text[finding.start : finding.end] == finding.text and len(finding.text) >= 2
    assert any(f["rule"] == f"clause:{family}" for f in run_checks(text))


def test_the_switch_turns_the_clause_stage_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_COMPLIANCE_MODEL", "off")
    assert [f for f in check_compliance(UNSEEN[0][0]) if f.rule.startswith("clause:")] == []


@pytest.mark.parametrize("text", CLEAN)
def test_allow_contexts_disclaimers_and_denials_stay_clean(text: str) -> None:
    assert check_compliance(text) == [], text


def test_no_clause_finding_where_an_earlier_stage_spoke_in_the_clause() -> None:
    text = "这款鱼油，爸妈吃了以后心脏的毛病少多了"
    seen = view(text)
    model = compliance_clause.default_model()
    flagged = model.flagged(seen.text)
    assert flagged
    alone = clause_findings(text, seen, flagged, window=model.best_window)
    assert alone
    # a finding of another family by an earlier stage in that clause (吃了): the clause stage keeps quiet
    spoke = [Finding("abs.test", "绝对化用语", "warn", 7, 9, text[7:9], "", None, "absolute_terms")]
    assert clause_findings(text, seen, flagged, spoke, window=model.best_window) == []
    # one in the other clause leaves it free to speak
    other = [Finding("abs.test", "绝对化用语", "warn", 0, 2, text[0:2], "", None, "absolute_terms")]
    assert clause_findings(text, seen, flagged, other, window=model.best_window)
    # the denial cue before the window in its clause: the same words are flagged without it
    claim = "爸妈吃了以后心脏的毛病少多了"
    assert [f for f in check_compliance(claim) if f.rule.startswith("clause:")]
    assert [f for f in check_compliance("我们不敢说" + claim) if f.rule.startswith("clause:")] == []


def test_fast_logits_equal_the_sum_of_the_features_weights() -> None:
    model = compliance_clause.default_model()
    rng = np.random.default_rng(7)
    weights = rng.normal(size=model.weights.shape).astype(np.float32)
    weights[-1] = 0.0  # the zero row of features outside the vocabulary
    probe = ClauseClassifier(weights, model.vocabulary, model.families, model.thresholds, {})
    for text in [
        "这个芝麻丸，头发越吃越黑亮",
        "今晚最后一单！错过等一年，三高人群也能吃",
        "单",
        "，，",
        "海参𠀋吃一个冬天 感冒都找不上门。",
    ]:
        seen = view(text).text
        spans, names = features(seen)
        assert spans == clauses(seen)
        expected = np.array(
            [weights[probe._rows(n)].sum(axis=0) + weights[len(model.vocabulary)] for n in names]
        )
        got_spans, got = probe.logits(seen)
        assert got_spans == spans
        assert np.allclose(got, expected.reshape(got.shape), atol=1e-3), text


def test_a_missing_corrupt_or_stale_model_file_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "compliance_clause.npz"
    with pytest.raises(
        ComplianceModelError, match="compliance_clause.npz: compliance clause model file missing"
    ):
        load_model(path)
    path.write_bytes(MODEL_PATH.read_bytes()[:4000])
    with pytest.raises(ComplianceModelError, match="compliance clause model file unreadable"):
        load_model(path)
    model = load_model(MODEL_PATH)
    save_model(path, model)
    assert load_model(path).flagged(UNSEEN[0][0]) == model.flagged(UNSEEN[0][0])
    short = ClauseClassifier(
        model.weights[:100], model.vocabulary, model.families, model.thresholds, model.meta
    )
    save_model(path, short)
    with pytest.raises(ComplianceModelError, match="compliance clause model weights have shape"):
        load_model(path)
    save_model(path, model)
    monkeypatch.setattr(compliance_clause, "FEATURE_VERSION", compliance_clause.FEATURE_VERSION + 1)
    with pytest.raises(ComplianceModelError, match="written for feature version"):
        load_model(path)


def test_training_is_deterministic() -> None:
    rows = span_training.dev_rows()[:200]
    names = tuple(sorted(families()))
    settings = training.Settings(iterations=15)
    first = training.fit(rows, names, settings)
    second = training.fit(rows, names, settings)
    assert first[1] == second[1] and len(first[1]) > 1000
    assert first[0].shape == (len(first[1]) + 2, len(names))
    assert np.array_equal(first[0], second[0])
    assert np.abs(first[0]).sum() > 0 and not first[0][-1].any()


def test_the_span_tagger_reads_its_per_family_thresholds() -> None:
    model = compliance_model.default_model()
    settings = span_training.Settings(**model.meta["settings"])
    assert model.family_settings == span_training.family_settings(settings)
    bars, peaks = model.bars
    k = model.families.index("pressure_selling")
    assert peaks[k] > model.peak  # stricter: its look-alikes (最后一单, 抓紧) are everyday group talk
    # a run that peaks at 0.75 is a finding for a family at the shared bar, not for pressure_selling
    probs = np.zeros((6, len(model.families) + 1))
    probs[:, 0] = 1.0
    for family in ("pressure_selling", "disease_claims"):
        j = model.families.index(family) + 1
        probs[1:4, j], probs[1:4, 0] = [0.5, 0.75, 0.5], [0.5, 0.25, 0.5]
        found = compliance_model.decode(probs, model.families, bars, model.min_length, 2, peaks)
        assert [s[0] for s in found] == ([] if family == "pressure_selling" else [family])
        probs[1:4, j], probs[1:4, 0] = 0.0, 1.0
