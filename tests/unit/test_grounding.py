"""The grounding check's spelling and comparison rules, without a knowledge base: what hosts say is rewritten into
the documents' spelling with spans back to the host's words, and figures agree only as the wording allows."""

from __future__ import annotations

import pytest

from agent.checks.claims import Quantity, agree, canonical, cn_number
from agent.checks.grounding_places import ancestors, covered


@pytest.mark.parametrize(
    ("spoken", "digits"),
    [
        ("零点二", "0.2"),
        ("三十六", "36"),
        ("两千", "2000"),
        ("一千二百", "1200"),
        ("一千六", "1600"),  # the spoken short form
        ("三百二", "320"),
        ("四千五百五十", "4550"),
        ("九十一点六", "91.6"),
        ("一百零五", "105"),
        ("十二万", "120000"),
    ],
)
def test_chinese_numerals_read_as_digits(spoken: str, digits: str) -> None:
    assert cn_number(spoken) == digits


@pytest.mark.parametrize("word", ["三五", "十几", "千万", "万一", "点"])
def test_words_that_are_no_numbers(word: str) -> None:
    assert cn_number(word) is None


@pytest.mark.parametrize(
    ("host", "documents"),
    [
        ("酸度只有百分之零点二", "酸度只有0.2%"),
        ("保质期三十六个月", "保质期36个月"),
        ("保质期一年半", "保质期18个月"),
        ("少了三成", "少了30%"),
        ("皮夸尔占八成五", "皮夸尔占85%"),
        ("榨油温度不超过27度", "榨油温度不超过27℃"),
        ("过氧化值0.021克每百克", "过氧化值0.021g/100g"),
        ("苯甲酸0.32克每公斤", "苯甲酸0.32g/kg"),
        ("每一百毫升四千五百五十毫克", "每100ml4550mg"),
        ("2026年10月16日灌装", "2026-10-16灌装"),
        ("2026.10.26灌装", "2026-10-26灌装"),
        ("26年8月15号生产", "2026-08-15生产"),
        ("二〇二六年十一月五日", "2026-11-05"),
        ("10月18号生产", "--10-18生产"),
        ("放在15到25度", "放在15℃–25℃"),
        ("十九块九一瓶", "19.9元一瓶"),
        ("存栏4.5万只", "存栏45000只"),
        ("三个多月", "3多个月"),
        ("米和水一比一点五", "米和水1:1.5"),  # a ratio, as the documents write it
        ("按1比8煮", "按1:8煮"),
        ("米和水1：1.2", "米和水1:1.2"),
        ("一袋一斤多", "一袋1斤多"),  # a pound and a bit is a figure
        ("焖个半小时", "焖个30min"),  # 个 of the verb; 一个半小时 is no half hour
        ("二十几户蜂农", "20多户蜂农"),  # twenty-odd
        ("两个钟头之内", "2小时之内"),  # 钟头 is the hour
        ("半个钟头", "30min"),
        ("排酸七十二个钟头", "排酸72小时"),
    ],
)
def test_host_speech_in_the_documents_spelling(host: str, documents: str) -> None:
    assert canonical(host).text == documents


@pytest.mark.parametrize(
    "text",
    [
        "一只麻鸡一年也就下一百五十个蛋",  # 一只, 一年: articles, not figures
        "不是一年到头都在草原上",
        "开封后一两天就好",
        "三口之家",
    ],
)
def test_a_lone_one_in_a_phrase_stays_a_word(text: str) -> None:
    rewritten = canonical(text).text
    assert "1只" not in rewritten and "1年" not in rewritten and "3口" not in rewritten


@pytest.mark.parametrize(
    "text", ["这批比上一批好", "比超市的小一圈", "一比较就知道", "一斤多少钱", "9:00–21:00"]
)
def test_comparisons_questions_and_times_are_no_ratios_or_figures(text: str) -> None:
    assert canonical(text).text == text


def test_spans_lead_back_to_the_hosts_words() -> None:
    text = "这批酸度百分之零点二，保质期二十四个月。"
    c = canonical(text)
    at = c.text.index("0.2%")
    start, end = c.source(at, at + len("0.2%"))
    assert text[start:end] == "百分之零点二"
    at = c.text.index("24个月")
    start, end = c.source(at, at + len("24个月"))
    assert text[start:end] == "二十四个月"


@pytest.mark.parametrize(
    ("said", "stated", "expected"),
    [
        (Quantity(1, "个月"), Quantity(30, "天"), True),  # 一个月 for 30天
        (Quantity(1, "个月"), Quantity(20, "天"), False),
        (Quantity(382, "kcal"), Quantity(1597, "kJ"), True),
        (Quantity(200, "kcal"), Quantity(1597, "kJ"), False),
        (Quantity(580, "kJ", "~"), Quantity(579, "kJ"), True),  # 大概五百八十千焦
        (Quantity(500, "公顷", "+", 100), Quantity(320, "公顷", "~"), False),  # 五百多公顷
        (Quantity(2300, "kJ", "+", 100), Quantity(2314, "kJ"), True),  # 两千三百多
        (Quantity(0.06, "mg/kg", "<"), Quantity(0.052, "mg/kg"), True),  # 不到0.06
        (Quantity(90, "%", ">"), Quantity(82, "%"), False),  # 超过九成
        (Quantity(230, "CFU/g", "<="), Quantity(120, "CFU/g", "<="), False),  # another bound
        (Quantity(6, "小时", "<="), Quantity(6, "小时", "<="), True),
        (Quantity(10, "CFU/g"), Quantity(10, "CFU/g", "<"), False),  # 10 is not <10
        (Quantity(77.8, "%"), Quantity(78, "%", "~", places=0), True),  # 77.8% for 约78%
        (Quantity(76.9, "%"), Quantity(78, "%", "~", places=0), False),
    ],
)
def test_figures_agree_as_the_wording_allows(said: Quantity, stated: Quantity, expected: bool) -> None:
    assert agree(said, stated) is expected


def test_places_inside_a_place_support_it() -> None:
    assert ancestors("方正")[:2] == ["哈尔滨", "黑龙江"]
    assert covered("哈尔滨", {"方正"}) and covered("东北", {"黑龙江"})
    assert not covered("五常", {"黑龙江"})  # a document naming the province says nothing of a county in it
    assert covered("东乌旗", {"东乌珠穆沁旗"})  # an alias


@pytest.mark.parametrize(
    ("said", "stated", "expected"),
    [
        # a range said (20到30度: 20 with a step of 10) against a range a document states (冷藏0℃–5℃)
        (Quantity(20, "℃", "[]", 10), Quantity(5, "℃", span=(0, 5)), False),
        (Quantity(0, "℃", "[]", 5), Quantity(5, "℃", span=(0, 5)), True),
        (Quantity(2, "℃", "[]", 2), Quantity(5, "℃", span=(0, 5)), True),  # inside it
        (Quantity(3, "℃", "[]", 5), Quantity(5, "℃", span=(0, 5)), False),  # reaching past its end
        (Quantity(3, "min", "[]", 2), Quantity(300, "s", span=(180, 300)), True),  # 3到5分钟 for 180–300秒
    ],
)
def test_a_range_agrees_with_a_range_it_lies_in(said: Quantity, stated: Quantity, expected: bool) -> None:
    assert agree(said, stated) is expected


@pytest.mark.parametrize(
    ("text", "months"), [("上半年卖的那批", False), ("下半年的新米", False), ("开封后半年内", True)]
)
def test_half_a_year_is_six_months_but_not_a_half_of_the_year(text: str, months: bool) -> None:
    assert ("6个月" in canonical(text).text) is months
