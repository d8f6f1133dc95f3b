"""Lines hosts say on air about the demo products that the grounding check once judged wrong, on a real Chroma
store (LINLI_TODAY is 2026-11-24 in the tests): a grain's harvest year, a certificate's dates, how fast a household
eats a box, a figure of another quantity than the one it was matched to, a kitchen tip, and a range."""

from __future__ import annotations

import pytest

from agent.checks import run_checks
from agent.checks.grounding import Grounder
from knowledge.index import KnowledgeBase
from settings import get_settings
from tests.conftest import DEMO_DOCS, REPO

EVAL_DOCS = REPO / "evals" / "data" / "docs"
EGG, SOY, RICE, OAT, FLOUR, OIL, WUCHANG = (
    "EGG-FREE-30",
    "SOY-LOWNA-500",
    "RICE-INF-225",
    "OAT-WHOLE-1KG",
    "FLOUR-ORG-1KG",
    "OIL-EVOO-500",
    "RICE-WUCHANG-5KG",
)


@pytest.fixture
def host_kb(home) -> KnowledgeBase:  # type: ignore[no-untyped-def]
    kb = KnowledgeBase(get_settings())
    files = [
        p
        for name in (
            "egg-free-30",
            "soy-lowna-500",
            "rice-inf-225",
            "oat-whole-1kg",
            "flour-org-1kg",
            "oil-evoo-500",
        )
        for p in sorted(DEMO_DOCS.glob(f"{name}-*.md"))
    ]
    kb.ingest(files + sorted(EVAL_DOCS.glob("rice-wuchang-5kg-*.md")) + [DEMO_DOCS / "policy-after-sales.md"])
    return kb


def labels(kb: KnowledgeBase, sku: str, text: str) -> list[tuple[str, str]]:
    return [(c.text, c.label) for c in Grounder(kb, sku).claims(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the batch on sale was harvested 2026-09-28 to 10-05; the last batch WC260410 in 2025
        ("这批是去年的陈米，价格实惠。", [("去年的", "wrong_batch")]),
        ("这批是陈米。", [("陈米", "wrong_batch")]),
        ("这是今年的新米。", [("今年的", "supported")]),
        ("咱们的米都是新米。", [("新米", "supported")]),
        ("这袋不是去年的陈米，是今年9月底刚收的新米。", [("今年9月底", "supported")]),
        ("米桶里别把新米和陈米混着放。", []),  # a storage tip, said of no batch
    ],
)
def test_a_grains_age_is_its_harvest_date(
    host_kb: KnowledgeBase, text: str, expected: list[tuple[str, str]]
) -> None:
    assert labels(host_kb, WUCHANG, text) == expected


def test_an_old_harvest_names_the_batch_on_sales_date(host_kb: KnowledgeBase) -> None:
    finding = next(
        f for f in run_checks("这是去年的陈米。", sku=WUCHANG, kb=host_kb) if f["text"] == "去年的"
    )
    assert finding["rule"] == "grounding.wrong_batch"
    assert "WC261020" in finding["message"] and "2026-09-28" in finding["message"]


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        # the certificate's front matter: issued 2026-09-10, valid until 2027-09-09
        (FLOUR, "有机证书是2026年9月10号发的。", [("有机证书", "supported"), ("2026年9月10号", "supported")]),
        (
            FLOUR,
            "有机证书是2026年9月12号发的。",
            [("有机证书", "supported"), ("2026年9月12号", "wrong_value")],
        ),
        (FLOUR, "有机证书今年8月发的。", [("有机证书", "supported"), ("今年8月", "wrong_value")]),
        (FLOUR, "证书有效期到2028年9月9日。", [("2028年9月9日", "wrong_value")]),
        # a report's date in the same line is still the report's
        (
            FLOUR,
            "检测报告10月28号出的，有机证书9月10号发的。",
            [("10月28号", "supported"), ("有机证书", "supported"), ("9月10号", "supported")],
        ),
        # the egg certificate (issued 2025-07-01) has expired
        (EGG, "有机证书2025年8月1日颁发的。", [("有机证书", "expired"), ("2025年8月1日", "wrong_value")]),
    ],
)
def test_certificate_dates_are_the_certificates(
    host_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert labels(host_kb, sku, text) == expected


def test_a_wrong_certificate_date_names_the_certificates(host_kb: KnowledgeBase) -> None:
    findings = run_checks("有机认证证书签发日期2026年9月1日。", sku=FLOUR, kb=host_kb)
    wrong = next(f for f in findings if f["rule"] == "grounding.wrong_value")
    assert "2026-09-10" in wrong["message"] and "flour-org-1kg-cert-organic" in wrong["message"]


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        # how fast a household eats the box is no fact of the product; a use-by limit is
        (EGG, "一盒30枚，一家三口十来天吃完正好。", [("30枚", "supported")]),
        (EGG, "一家三口一个礼拜就能吃完一盒。", []),
        (EGG, "常温20天内吃完。", [("20天", "supported")]),
        (SOY, "开封后差不多半年用完就行。", [("半年", "wrong_value")]),  # the sheet: 开封后30天内用完
        # 半年 of fermenting is the sheet's 发酵180天, not its 30天 after opening
        (SOY, "这酱油在缸里晒了差不多半年。", [("半年", "supported")]),
        (SOY, "保质期差不多半年。", [("半年", "wrong_value")]),  # 18个月
    ],
)
def test_durations_of_eating_and_of_other_things(
    host_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert labels(host_kb, sku, text) == expected


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        # the oats' sheet gives no amount of water: a tip, no claim
        (OAT, "冲50毫升温水就能吃。", []),
        (OAT, "加200毫升牛奶一起煮。", []),
        (SOY, "凉拌菜放10毫升就够。", []),
        (OIL, "凉拌菜淋一小勺，大概10毫升就够香了。", []),  # the verb in the clause before
        # where the sheet gives the usage figure, the tip must agree with it
        (RICE, "第一次一勺米粉冲25毫升温水。", [("25毫升", "supported")]),
        (RICE, "第一次一勺米粉冲50毫升温水。", [("50毫升", "wrong_value")]),
        (RICE, "用100度的开水冲。", [("100度", "wrong_value")]),
        (OAT, "开水冲泡闷5分钟。", [("5分钟", "supported")]),
        (OAT, "开水冲泡闷10分钟。", [("10分钟", "wrong_value")]),
        # what went into the product is no kitchen tip (加了, 添加)
        (OAT, "每袋燕麦加了5克糖。", [("5克", "invented")]),
        # keeping it is no kitchen tip
        (EGG, "冷藏放40天没问题。", [("40天", "supported")]),
    ],
)
def test_usage_tips(host_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]) -> None:
    assert labels(host_kb, sku, text) == expected


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        (EGG, "冷藏要在20到30度。", [("20到30度", "wrong_value")]),  # the sheet: 冷藏（0–5℃）
        (EGG, "冷藏0到5度，能放40天。", [("0到5度", "supported"), ("40天", "supported")]),
        (EGG, "冷藏2到4度就行。", [("2到4度", "supported")]),  # inside the sheet's range
        (EGG, "常温放在20到25度，20天内吃完。", [("20到25度", "supported"), ("20天", "supported")]),
        (OIL, "放在15到25度的地方避光保存。", [("15到25度", "supported")]),
        (OIL, "放在20到30度的地方。", [("20到30度", "wrong_value")]),
        (OAT, "小火煮3到5分钟。", [("3到5分钟", "supported")]),
        (EGG, "单个蛋也就四五十克。", [("四五十克", "supported")]),  # said roughly: 42–52g
        (EGG, "单个蛋有六七十克。", [("六七十克", "wrong_value")]),
    ],
)
def test_a_range_is_judged_as_a_range(
    host_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert labels(host_kb, sku, text) == expected


def test_a_wrong_range_is_one_finding_naming_the_sheets_range(host_kb: KnowledgeBase) -> None:
    findings = [
        f for f in run_checks("冷藏要在20到30度。", sku=EGG, kb=host_kb) if f["rule"].startswith("grounding")
    ]
    assert len(findings) == 1
    assert findings[0]["text"] == "20到30度" and "0℃–5℃" in findings[0]["message"]


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        # an expired certificate's number said as current rests on it; said as past it is true
        (
            EGG,
            "有机证书编号318OP2500236，现在还有效。",
            [("有机证书", "expired"), ("318OP2500236", "expired")],
        ),
        (
            EGG,
            "以前的有机证书318OP2500236已经过期了。",
            [("有机证书", "supported"), ("318OP2500236", "supported")],
        ),
        # 克伦特罗 is a drug, not a gram after the batch number
        (OIL, "这批EV2611A克伦特罗这类都不涉及。", [("EV2611A", "supported")]),
    ],
)
def test_words_the_documents_say_themselves(
    host_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert labels(host_kb, sku, text) == expected
