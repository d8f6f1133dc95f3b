"""How hosts say things on air that the documents write otherwise, on a real Chroma store (LINLI_TODAY is 2026-11-24
in the tests): hours as 钟头, an item named without the 总量/总数 of its report line, a colony count said with 个, and
awards no document names."""

from __future__ import annotations

import pytest

from agent.checks.grounding import Grounder
from knowledge.index import KnowledgeBase
from settings import get_settings
from tests.conftest import REPO

EVAL_DOCS = REPO / "evals" / "data" / "docs"
MILK, HONEY, TEA = "MILK-A2-1L", "HONEY-WILD-500", "TEA-LONGJING-250"


@pytest.fixture
def spoken_kb(home) -> KnowledgeBase:  # type: ignore[no-untyped-def]
    kb = KnowledgeBase(get_settings())
    kb.ingest(
        [
            p
            for name in ("milk-a2-1l", "honey-wild-500", "tea-longjing-250")
            for p in sorted(EVAL_DOCS.glob(f"{name}-*.md"))
        ]
    )
    return kb


def labels(kb: KnowledgeBase, sku: str, text: str) -> list[tuple[str, str]]:
    return [(c.text, c.label) for c in Grounder(kb, sku).claims(text)]


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        # 牧场离广州仓大约两个小时车程; 挤的奶两小时内降到4℃
        (MILK, "离广州仓三个钟头车程，当天就到。", [("广州", "supported"), ("三个钟头", "wrong_value")]),
        (MILK, "挤完奶两个钟头之内就降到四度。", [("两个钟头", "supported"), ("四度", "supported")]),
    ],
)
def test_hours_said_as_zhongtou(
    spoken_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert labels(spoken_kb, sku, text) == expected


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        # the reports' line is 游离氨基酸总量: 4.6% this batch, 4.2% in the expired LJ250325 report
        (TEA, "游离氨基酸四点六，喝着鲜。", [("四点六", "supported")]),
        (TEA, "游离氨基酸四点二，喝着鲜。", [("四点二", "expired")]),
        # 菌落总数 ≤1600 CFU/ml this batch, ≤3400 CFU/ml the last (MK261024); a colony is counted with 个
        (MILK, "每毫升菌落才一千六百个，很干净。", [("一千六百个", "supported")]),
        (MILK, "每毫升菌落才三千四百个，很干净。", [("三千四百个", "wrong_batch")]),
    ],
)
def test_an_item_named_without_its_total(
    spoken_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert labels(spoken_kb, sku, text) == expected


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        (HONEY, "这瓶蜜拿过全国蜂产品博览会金奖。", [("金奖", "invented")]),
        (MILK, "这款牛奶是广东省名牌产品。", [("广东", "supported"), ("名牌产品", "invented")]),
        (HONEY, "咱们没拿过什么金奖，就是实实在在的土蜂蜜。", []),  # denied: no claim
    ],
)
def test_an_award_needs_a_document(
    spoken_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert labels(spoken_kb, sku, text) == expected
