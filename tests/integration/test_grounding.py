"""Grounding against the demo documents on a real Chroma store: every claim stands in the batch on sale or blocks."""

from __future__ import annotations

import pytest

from agent.checks import run_checks
from agent.checks.grounding import Grounder
from knowledge.index import KnowledgeBase
from settings import get_settings
from tests.conftest import DEMO_DOCS


@pytest.fixture
def egg_kb(home) -> KnowledgeBase:  # type: ignore[no-untyped-def]
    kb = KnowledgeBase(get_settings())
    kb.ingest(sorted(DEMO_DOCS.glob("egg-free-30-*.md")) + sorted(DEMO_DOCS.glob("oil-evoo-500-*.md")))
    return kb


def labels(kb: KnowledgeBase, sku: str, text: str) -> list[tuple[str, str]]:
    return [(c.text, c.label) for c in Grounder(kb, sku).claims(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("检测报告上写着：酸度（以游离脂肪酸计）0.2%。", [("0.2%", "supported")]),
        ("过氧化值5 mmol/kg，非常新鲜。", [("5 mmol/kg", "wrong_value")]),
        ("这批酸度0.3%。", [("0.3%", "wrong_batch")]),  # the 0.3% is EV2604B's, not the batch on sale
        ("这次卖的是EV2604B批次。", [("EV2604B", "wrong_batch")]),
        (
            "本场是EV2611A批次，报告有效期到2027-11-04。",
            [("EV2611A", "supported"), ("2027-11-04", "supported")],
        ),
        ("橄榄来自安达卢西亚的庄园。", [("安达卢西亚", "supported")]),
        ("橄榄来自托斯卡纳。", [("托斯卡纳", "invented")]),
        ("通过了欧盟有机认证。", [("欧盟有机认证", "invented")]),
    ],
)
def test_claims_on_the_olive_oil(egg_kb: KnowledgeBase, text: str, expected: list[tuple[str, str]]) -> None:
    assert labels(egg_kb, "OIL-EVOO-500", text) == expected


def test_an_expired_certificate_grounds_nothing(egg_kb: KnowledgeBase) -> None:
    assert labels(egg_kb, "EGG-FREE-30", "这批土鸡蛋有有机认证。") == [("有机认证", "expired")]


def test_findings_name_what_was_expected_and_where(egg_kb: KnowledgeBase) -> None:
    findings = run_checks("过氧化值5 mmol/kg，是最好的橄榄油", sku="OIL-EVOO-500", kb=egg_kb)
    wrong = next(f for f in findings if f["rule"] == "grounding.wrong_value")
    assert wrong["severity"] == "block" and "3.6 mmol/kg" in wrong["message"]
    assert "oil-evoo-500-report-ev2611a#" in wrong["message"] and wrong["suggestion"].startswith("改为")
    assert any(f["rule"] == "abs.zui" for f in findings)
    assert (
        run_checks("过氧化值5 mmol/kg", kb=egg_kb) == []
    )  # without a sku there is nothing to ground against


def test_prices_must_be_the_requests_or_a_documents(egg_kb: KnowledgeBase) -> None:
    def price_labels(text: str, *prices: str) -> list[tuple[str, str]]:
        return [
            (c.text, c.label)
            for c in Grounder(egg_kb, "OIL-EVOO-500", prices).claims(text)
            if c.kind == "price"
        ]

    assert price_labels("团购价59元一瓶", "¥59") == [("59元", "supported")]
    assert price_labels("团购价：¥59", "59元") == [("¥59", "supported")]
    assert price_labels("团购价69元一瓶", "¥59") == [("69元", "wrong_value")]
    # a comparison price no document states is invented, even when the request has a price
    assert price_labels("专柜价128元，今天59元", "¥59") == [("128元", "invented"), ("59元", "supported")]
    # with no price to check against, a price is only a warning for the operator
    assert price_labels("今天59元") == [("59元", "unverified")]
    findings = run_checks("团购价69元，专柜价128元", sku="OIL-EVOO-500", kb=egg_kb, prices=["¥59"])
    by_rule = {f["rule"]: f for f in findings}
    assert by_rule["grounding.price_wrong_value"]["severity"] == "block"
    assert "59" in by_rule["grounding.price_wrong_value"]["message"]
    assert by_rule["grounding.price_invented"]["severity"] == "block"
    unchecked = run_checks("今天59元", sku="OIL-EVOO-500", kb=egg_kb)
    assert [(f["rule"], f["severity"]) for f in unchecked] == [("grounding.price_unverified", "warn")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a figure without a unit, said of a measured item
        ("这批紫外吸光度K270只有0.14。", [("0.14", "supported")]),
        ("这批K270是0.30。", [("0.30", "wrong_value")]),
        # units written another way (分钟 for min) and an item the documents state in prose
        ("这批面团稳定时间11.5分钟。", [("11.5分钟", "supported")]),
        # a figure that is not said of any item is no claim
        ("今晚8点开播，3号链接。", []),
    ],
)
def test_bare_figures_and_unit_spellings(home, text: str, expected: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    kb = KnowledgeBase(get_settings())
    kb.ingest(sorted(DEMO_DOCS.glob("oil-evoo-500-*.md")) + sorted(DEMO_DOCS.glob("flour-org-1kg-*.md")))
    sku = "FLOUR-ORG-1KG" if "面团" in text else "OIL-EVOO-500"
    assert [(c.text, c.label) for c in Grounder(kb, sku).claims(text) if c.kind == "measurement"] == expected


def test_checking_against_a_sku_with_no_documents_is_an_error(egg_kb: KnowledgeBase) -> None:
    from community.errors import NotFound

    with pytest.raises(NotFound, match="NOPE-1"):
        run_checks("酸度0.2%", sku="NOPE-1", kb=egg_kb)


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        # Chinese numerals and spoken units, matched to the report's figures
        ("OIL-EVOO-500", "这批油酸度只有百分之零点二。", [("百分之零点二", "supported")]),
        ("OIL-EVOO-500", "没开封的橄榄油能放三十六个月。", [("三十六个月", "wrong_value")]),
        ("OIL-EVOO-500", "这批过氧化值才5.2。", [("5.2", "wrong_batch")]),
        ("OIL-EVOO-500", "榨油温度不超过27度。", [("27度", "supported")]),
        # a range as one claim, a bound the document's figure satisfies, 多 as a range
        ("OIL-EVOO-500", "放在15到25度的柜子里。", [("15到25度", "supported")]),  # one claim for the range
        ("OIL-EVOO-500", "人家庄园有五百多公顷橄榄林。", [("五百多公顷", "wrong_value")]),
        # one month against the documents' days, with the words that say which figure is meant
        ("EGG-FREE-30", "常温放一个月也没问题。", [("一个月", "wrong_value")]),
        ("EGG-FREE-30", "冷藏能放四十天。", [("四十天", "supported")]),
        # dates in other spellings and without a year, for the event the host names
        ("OIL-EVOO-500", "这批的灌装日期是2026年10月16日。", [("2026年10月16日", "supported")]),
        ("OIL-EVOO-500", "这批油是2026.10.26灌装的。", [("2026.10.26", "wrong_value")]),
        ("EGG-FREE-30", "这批蛋都是11月20日产的。", [("11月20日", "wrong_value")]),
        # batch numbers typed loosely
        ("EGG-FREE-30", "这批是eg261026，刚到货。", [("eg261026", "wrong_batch")]),
        ("OIL-EVOO-500", "这批是 ev2611a。", [("ev2611a", "supported")]),
        # a place inside what the documents name, a denied certification, a content no document names
        ("EGG-FREE-30", "鸡蛋是湖北恩施大山里的。", [("湖北", "supported"), ("恩施", "invented")]),
        ("EGG-FREE-30", "这批鸡蛋没有有机认证。", []),
        ("EGG-FREE-30", "每100克含DHA 80毫克。", [("80毫克", "invented")]),
    ],
)
def test_claims_as_hosts_say_them(
    egg_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert labels(egg_kb, sku, text) == expected


def test_the_shared_after_sales_policy_backs_after_sales_figures_only(kb: KnowledgeBase) -> None:
    """The policy (sku ALL) states 7天 and 48小时 of returns and breakage: a host repeating it is grounded, inside a
    longer copy too; the same 7天 said of the sauce's shelf life after opening is checked against its FAQ."""

    def blocking(text: str) -> list[str]:
        found = run_checks(text, sku="SOY-LOWNA-500", kb=kb)
        return [f["text"] for f in found if f["severity"] == "block"]

    assert blocking("未开封的包装食品，7天内支持无理由退货。") == []
    assert blocking("今晚下单明早自提\n超过48小时才反馈的破损，原则上不再受理。") == []
    assert blocking("这瓶酱油开封后7天内用完。") == ["7天"]


@pytest.mark.parametrize(
    "text",
    [
        "保质期24个月。每瓶500ml。",
        "这批油酸度0.2%。\n每瓶500ml。",
        "每瓶500ml。保质期24个月。",
        "保质期24个月，开封后尽快吃完，每瓶500ml。",
    ],
)
def test_a_figure_is_judged_on_its_own_sentence_not_the_one_before(egg_kb: KnowledgeBase, text: str) -> None:
    """A host's script is many sentences: the item of one (保质期) must not become the item of the next figure
    (500ml was once labelled invented after a shelf-life sentence; the single-sentence eval rows cannot show it)."""
    assert {label for _, label in labels(egg_kb, "OIL-EVOO-500", text)} == {"supported"}
