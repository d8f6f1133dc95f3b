"""Dates said by the month or relative to today, dotted dates, denied figures and spoken ranges, checked against the
demo documents on a real Chroma store (LINLI_TODAY is 2026-11-24 in the tests). The oil was filled 2026-10-16 with a
shelf life of 24 months (so it keeps to 2028-10); the last batch EV2604B was filled 2026-04-08."""

from __future__ import annotations

import pytest

from agent.checks import run_checks
from agent.checks.grounding import Grounder
from knowledge.index import KnowledgeBase
from settings import get_settings
from tests.conftest import DEMO_DOCS


@pytest.fixture
def demo_kb(home) -> KnowledgeBase:  # type: ignore[no-untyped-def]
    kb = KnowledgeBase(get_settings())
    files = [
        p
        for name in ("oil-evoo-500", "soy-lowna-500", "rice-inf-225", "egg-free-30")
        for p in sorted(DEMO_DOCS.glob(f"{name}-*.md"))
    ]
    kb.ingest(files + [DEMO_DOCS / "policy-after-sales.md"])
    return kb


def labels(kb: KnowledgeBase, sku: str, text: str) -> list[tuple[str, str]]:
    return [(c.text, c.label) for c in Grounder(kb, sku).claims(text)]


OIL, SOY, RICE, EGG = "OIL-EVOO-500", "SOY-LOWNA-500", "RICE-INF-225", "EGG-FREE-30"


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        # the end of the shelf life: fill date + shelf life, or what a report states for its batch
        (OIL, "这批油保质期到2027年9月。", [("2027年9月", "wrong_value")]),
        (OIL, "保质期到2028年10月，囤两瓶没问题。", [("2028年10月", "supported")]),
        (OIL, "保质期到2028年4月。", [("2028年4月", "wrong_batch")]),  # EV2604B's end
        (RICE, "未开罐保质期能放到2028年5月。", [("2028年5月", "supported")]),
        (RICE, "保质期到2028年2月。", [("2028年2月", "wrong_batch")]),  # RI260815's, stated in its report
        # a month, part of a month, a month of this year
        (OIL, "这是2026年10月灌装的新油。", [("2026年10月", "supported")]),
        (OIL, "这是2026年8月灌装的。", [("2026年8月", "wrong_value")]),
        (OIL, "10月中旬灌装，到港后又复检了一次。", [("10月中旬", "supported")]),
        (OIL, "油是10月下旬灌装的。", [("10月下旬", "wrong_value")]),
        (OIL, "这批是今年4月灌装的。", [("今年4月", "wrong_batch")]),
        (EGG, "这批蛋是11月中旬下的。", [("11月中旬", "supported")]),
        # relative to today, only with the event whose date the documents give
        (OIL, "一个多月前灌装的，很新鲜。", [("一个多月前", "supported")]),
        (OIL, "这油是半年前灌装的。", [("半年前", "wrong_value")]),
        (OIL, "这是去年的批次。", [("去年的", "wrong_value")]),
        (SOY, "酱油是上个月生产的。", [("上个月", "supported")]),
        (RICE, "米粉是上个月生产的。", [("上个月", "wrong_value")]),
        (OIL, "三天前到的货，大家放心。", []),  # no event the documents date: no claim
        # the shelf-life end in a clause carrying on the one before, a day of next year, the event said right after
        (
            OIL,
            "10月16号灌装，保质期两年，到2028年10月。",
            [("10月16号", "supported"), ("两年", "supported"), ("2028年10月", "supported")],
        ),
        (OIL, "报告有效期到明年10月4号。", [("明年10月4号", "wrong_value")]),
        # a year alone: as a shelf-life end, or with its event right after; otherwise no claim
        (OIL, "保质期到后年。", [("后年", "supported")]),
        (OIL, "保质期到2029年。", [("2029年", "wrong_value")]),
        (OIL, "这是2025年灌装的。", [("2025年", "wrong_value")]),
        (OIL, "2026年的第一批早收油。", []),
        # an expired document's date said as past is true; said as current it rests on the expired document
        (
            EGG,
            "有机证书2026年6月底就到期了，现在不能说有机。",
            [("有机证书", "supported"), ("2026年6月底", "supported")],
        ),
        (EGG, "合作社的有机证书是2025年7月发的。", [("有机证书", "expired"), ("2025年7月", "expired")]),
        (RICE, "这批11月初生产，报告11月中旬出的。", [("11月初", "supported"), ("11月中旬", "supported")]),
    ],
)
def test_periods(demo_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]) -> None:
    assert labels(demo_kb, sku, text) == expected


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        (OIL, "灌装日期是10.16，很新鲜。", [("10.16", "supported")]),
        (OIL, "灌装日期10/16。", [("10/16", "supported")]),
        (OIL, "10-16灌装的。", [("10-16", "supported")]),
        (OIL, "灌装日期2026.10.16。", [("2026.10.16", "supported")]),
        (OIL, "灌装日期是10.18。", [("10.18", "wrong_value")]),
        (SOY, "生产日期10.18，刚出厂。", [("10.18", "supported")]),
        # a decimal stays a decimal where no date word stands right before it
        (OIL, "检测过氧化值3.6，很新鲜。", [("3.6", "supported")]),
        (OIL, "这批过氧化值5.2。", [("5.2", "wrong_batch")]),
    ],
)
def test_dotted_dates(demo_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]) -> None:
    assert labels(demo_kb, sku, text) == expected


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        (OIL, "保质期不是36个月，是24个月。", [("24个月", "supported")]),
        (OIL, "保质期不是24个月，是36个月。", [("36个月", "wrong_value")]),
        (OIL, "别信网上说的酸度0.5%，这批实测0.2%。", [("0.2%", "supported")]),
        (OIL, "酸度并非0.3%，这一批是0.2%。", [("0.2%", "supported")]),
        (OIL, "这批不是EV2604B，是EV2611A。", [("EV2611A", "supported")]),
        (SOY, "网上说开封能放三个月不对，要30天内用完。", [("30天", "supported")]),
        # 不超过 is a bound, not a denial
        (OIL, "特级初榨要求酸度不超过0.8%。", [("0.8%", "supported")]),
        # what follows 是 in the same clause is still a claim
        (OIL, "保质期不是两年而是36个月。", [("36个月", "wrong_value")]),
    ],
)
def test_denied_figures_are_no_claims(
    demo_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert labels(demo_kb, sku, text) == expected


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        (OIL, "一瓶七八百毫升，够吃好久。", [("七八百毫升", "wrong_value")]),
        (OIL, "一瓶四五百毫升。", [("四五百毫升", "supported")]),
        (OIL, "一瓶五百来毫升。", [("五百来毫升", "supported")]),
        (OIL, "开封后两三个月吃完。", [("两三个月", "supported")]),
        (OIL, "开封后五六个月吃完就行。", [("五六个月", "wrong_value")]),
        (SOY, "钠比普通酿造酱油低两三成。", [("两三成", "supported")]),
        (SOY, "钠比普通酿造酱油低四五成。", [("四五成", "wrong_value")]),
        (EGG, "冷藏能放三四十天。", [("三四十天", "supported")]),
        (EGG, "常温能放三四十天。", [("三四十天", "wrong_value")]),
        # about, a little over
        (OIL, "保质期两年左右。", [("两年", "supported")]),
        (SOY, "一勺15毫升含钠六百八十毫克出头。", [("15毫升", "supported"), ("六百八十毫克", "supported")]),
    ],
)
def test_spoken_ranges(demo_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]) -> None:
    assert labels(demo_kb, sku, text) == expected


def test_an_item_named_in_the_clause_before_names_no_figure_of_this_clause(demo_kb: KnowledgeBase) -> None:
    """保质期24个月，开封后3个月内吃完: the 3个月 is the opened bottle's, checked against 开封后3个月内, not 保质期."""
    assert labels(demo_kb, OIL, "保质期24个月，开封后3个月内吃完。") == [
        ("24个月", "supported"),
        ("3个月", "supported"),
    ]
    assert labels(demo_kb, OIL, "保质期24个月，开封后5个月内吃完。") == [
        ("24个月", "supported"),
        ("5个月", "wrong_value"),
    ]


def test_a_spoken_price_range_against_the_group_price(demo_kb: KnowledgeBase) -> None:
    grounder = Grounder(demo_kb, OIL, ("¥59",))
    assert [(c.text, c.label) for c in grounder.claims("这瓶油五六十块。")] == [("五六十块", "supported")]
    assert [(c.text, c.label) for c in grounder.claims("这瓶油七八十块。")] == [("七八十块", "wrong_value")]


def test_findings_name_the_shelf_life_end(demo_kb: KnowledgeBase) -> None:
    found = [
        f
        for f in run_checks("这批油保质期到2027年9月。", sku=OIL, kb=demo_kb)
        if f["rule"].startswith("grounding")
    ]
    assert [(f["rule"], f["text"], f["severity"]) for f in found] == [
        ("grounding.wrong_value", "2027年9月", "block")
    ]
    assert "2028-10-16" in found[0]["message"]
