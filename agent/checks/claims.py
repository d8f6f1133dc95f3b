"""One spelling for the figures hosts say and documents write, so that a claim can be matched to a fact.

Hosts say 百分之零点二, 两千米, 三十六个月, 一年半, 三成, 十九块九, 27度, 0.021克每百克, 26年8月15号; documents write
0.2%, 2000米, 36个月, 18个月, 30%, 19.9元, 27℃, 0.021 g/100g, 2026-08-15. ``canonical`` rewrites a text into the
documents' spelling (Chinese numerals as digits, dates as ISO, units one way, both ends of a range with their unit)
and remembers, for every character it writes, the span of the original it came from: a claim found in the
canonical text is reported where the host wrote it.

``Quantity`` and ``agree`` compare two figures of one dimension (毫克 and 克, 天 and 个月, 千焦 and 千卡) with the
tolerance the wording allows: exact when both are exact, a few per cent when either says 约/左右 or a unit is
converted, a range for 多 (五百多 is 500 to 600), and a bound for 不到/超过/以上 that a measured value must satisfy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN = "零〇一二两三四五六七八九十百千万"
CN_RUN = rf"[{CN}]+(?:点[零〇一二三四五六七八九]+)?"
# the units a spoken figure can carry (before the canonical spelling is applied)
SPOKEN_UNIT = (
    r"毫克每千克|毫克每公斤|毫克/千克|毫克/公斤|微克每千克|微克每公斤|克每千克|克每公斤|克每百克|克每百毫升|毫克每百克|"
    r"毫克每百毫升|毫克每克|毫克|微克|千克|公斤|克|毫升|升|千焦|千卡|大卡|个小时|小时|分钟|秒钟|秒|摄氏度|度|℃|公顷|亩|"
    r"公里|千米|米|个月|月龄|周|星期|天|年|只|头|口(?!之家)|项|种|枚|户|个|分(?![钟之])|块钱|块|元|%|mg|g|kg|ml|mL|kJ|kcal|"
    r"CFU|cfu|μg|吨|斤"
)
# units after which a lone 一/两 is always a quantity (一克盐, 两公斤): no article goes before a unit of measure
MEASURE_UNIT = re.compile(
    r"^(?:毫克|微克|千克|公斤|克|毫升|升|千焦|千卡|大卡|摄氏度|度|℃|公顷|亩|公里|千米|吨|斤|mg|g|kg|ml|mL|kJ)"
)
# words after which a lone 一/两 is a figure (保质期一年, 放一个月, 一个月内) and not an article (一只鸡一年也就…)
LONE_BEFORE = re.compile(
    r"(?:(?:保质期|有效期|净重|重量|月龄|净含量|含量|规格)(?:是|为|有|只有|测出来是|实测)?|放|存放|保存|冷藏|常温|能放|可以放|约|大约|大概|差不多|控制在|"
    r"不超过|不到|超过|只有|才|仅|高达|达到|测了|实测|养|长到|煮|泡|闷|发酵|晒|需要)(?:了|能|也|就|得)?$"
)
LONE_AFTER = re.compile(r"^(?:内|以内|之内|左右|上下|半|以上|以下|(?:要|就)?(?:吃完|用完|喝完))")
# a lone 一 in a set phrase is no figure (一年到头, 一年四季, 一年一取)
LONE_IDIOM = re.compile(r"^(?:到头|四季|一度|一取|一次|一季|只|多)")
# 多 after a unit: a bit over the figure (10克多, 一斤多), not 多少 or 多 of a verb (两斤多吃点)
MORE_AFTER = re.compile(r"^多(?!少|吃|喝|放|加|用|买|拿|次|种|样|家|人|了)")
# 三个多月 → 三多个月: the 多 goes with the figure
MORE_MONTHS = re.compile(r"个多(月|小时)")


@dataclass(frozen=True)
class Canonical:
    """A text in the documents' spelling; ``spans[i]`` is the original span canonical character i came from."""

    text: str
    spans: tuple[tuple[int, int], ...]
    original: str

    def source(self, start: int, end: int) -> tuple[int, int]:
        """The original span of canonical characters [start, end)."""
        if not self.spans:
            return 0, 0
        start = min(max(start, 0), len(self.spans) - 1)
        end = min(max(end, start + 1), len(self.spans))
        return self.spans[start][0], self.spans[end - 1][1]


def _rewrite(
    c: Canonical, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str | None]
) -> Canonical:
    """Every match of ``pattern`` replaced by ``repl(match)`` (None keeps it), the spans carried along."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in pattern.finditer(c.text):
        new = repl(m)
        if new is None or new == m.group() or m.start() == m.end():
            continue
        parts.append(c.text[pos : m.start()])
        spans.extend(c.spans[pos : m.start()])
        span = (c.spans[m.start()][0], c.spans[m.end() - 1][1])
        parts.append(new)
        spans.extend([span] * len(new))
        pos = m.end()
    if pos == 0:
        return c
    parts.append(c.text[pos:])
    spans.extend(c.spans[pos:])
    return Canonical("".join(parts), tuple(spans), c.original)


def cn_int(text: str) -> int | None:
    """三百二十 → 320, 一千六 → 1600 (the spoken short form), 十五 → 15, 4万 handled by the caller; None if not a
    number (三五, 十几)."""
    if not text or text[0] in "百千万":
        return None  # 千克, 百克, 万一: a unit or a word, not a number
    if "万" in text:
        high, _, low = text.partition("万")
        high_value = cn_int(high) if high else 1
        if high_value is None or "万" in low:
            return None
        if not low:
            return high_value * 10000
        if len(low) == 1 and low in CN_DIGITS:  # 一万二 is 12000
            return high_value * 10000 + CN_DIGITS[low] * 1000
        low_value = cn_int(low.lstrip("零〇"))
        return None if low_value is None else high_value * 10000 + low_value
    total, digit, last_unit, zero_after_unit = 0, None, None, False
    for ch in text:
        if ch in CN_DIGITS:
            if ch in "零〇":
                if last_unit is None:
                    return None if len(text) > 1 else 0
                zero_after_unit = True
                continue
            if digit is not None:
                return None  # two digits in a row: 三五, 四五十
            digit = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            unit = CN_UNITS[ch]
            if last_unit is not None and unit >= last_unit:
                return None
            total += (1 if digit is None else digit) * unit
            digit, last_unit, zero_after_unit = None, unit, False
        else:
            return None
    if digit is not None:
        total += digit * last_unit // 10 if last_unit and not zero_after_unit else digit
    return total


def cn_number(text: str) -> str | None:
    """A Chinese numeral as digits: 零点二 → 0.2, 九十一点六 → 91.6, 四千五百五十 → 4550; None if it is none."""
    whole, dot, frac = text.partition("点")
    value = cn_int(whole)
    if value is None:
        return None
    if not dot:
        return str(value)
    if not frac or any(ch not in CN_DIGITS or ch == "两" for ch in frac):
        return None
    return f"{value}." + "".join(str(CN_DIGITS[ch]) for ch in frac)


def _year_digits(text: str) -> str | None:
    """二〇二六 → 2026 (a year is read digit by digit)."""
    if len(text) != 4 or any(ch not in CN_DIGITS for ch in text):
        return None
    return "".join(str(CN_DIGITS[ch]) for ch in text)


def _day_part(text: str) -> int | None:
    value = int(text) if text.isdigit() else cn_int(text)
    return value


DATE_FULL = re.compile(r"(?<!\d)(20\d{2})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})(?:\s*[日号])?(?!\d)")
DATE_SHORT_YEAR = re.compile(r"(?<![\d.])(\d{2})年(\d{1,2})月(\d{1,2})[日号]")
DATE_CN = re.compile(
    r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,4})[日号]"
)
DATE_NO_YEAR = re.compile(
    r"(?<![\d年./\-])(\d{1,2}|[一二三四五六七八九十]{1,3})月(\d{1,2}|[一二三四五六七八九十]{1,4})"
    r"(?:[日号]|(?=\s*(?:到|至|[-–~～])\s*\d))"
)
# a month and day written with a dot, slash or dash (灌装日期10.16, 10/16灌装): a date only where date words stand
# around it, so that 过氧化值3.6 stays a figure
DATE_DOTTED = re.compile(
    r"(?<![\d.\-/:A-Za-z])(1[0-2]|0?[1-9])[./\-](3[01]|[12]\d|0?[1-9])(?![\d.\-/:%A-Za-z])"
    r"(?!\s*(?:个|天|小时|月|年|℃|度|元|块|克|毫|升|分|米|倍|斤|公|千|周|倍|成|折))"
)
DATE_CONTEXT_BEFORE = re.compile(
    r"(?:日期|灌装|生产|包装|装瓶|出厂|签发|(?:有效期?|保质期|期限)(?:到|至|截止到?)|到期|产蛋|下蛋)"
    r"(?:是|为|在|于|就是|都是)?[：:]?\s*$"
)
DATE_CONTEXT_AFTER = re.compile(
    r"^\s*(?:号|日)?\s*(?:灌装|生产|包装|装瓶|出厂|签发|到期|下的|产的|采的|出的|检的)"
)
DATE_RANGE_BEFORE = re.compile(r"(?:--\d{2}-\d{2}|(?<![\d.])\d{1,2}[./]\d{1,2})\s*(?:到|至|~|～|–)\s*$")
# a month said without its day (2026年10月, 二〇二八年十月, 10月中旬, 今年4月): written 2026-10 or --10, the part
# of the month kept after it (--10中旬); the grounding check reads the period
MONTH_ONLY = re.compile(
    r"(?:(20\d{2}|[〇零一二三四五六七八九]{4})\s*年\s*)?(?<![\d个每])(1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月"
    r"(?!份?\s*[\d一二三四五六七八九十]|龄|饼|子|亮|球|光|嫂|季)份?(上旬|中旬|下旬|初|底|末|中)?"
)
MONTH_EVENT_AFTER = re.compile(
    r"^(?:的)?(?:灌装|生产|包装|装瓶|出厂|签发|采|产|下的|检|发|到期|过期|加工|收割|开镰|屠宰|宰|分割|磨|榨)"
)
RELATIVE_YEAR_BEFORE = re.compile(r"(?:今年|明年|去年|前年)(?:的)?\s*$")
# a spoken range of two neighbouring digits (七八百毫升, 二三十块, 十二三克, 三十五六度, 两三成): both ends, joined
# by 〜, which the grounding check reads as one figure that may lie anywhere between them
CN_RANGE = re.compile(
    r"(?<![一二两三四五六七八九十百千万零〇点第])(?:([一二两三四五六七八九])十([一二三四五六七八])([二三四五六七八九])|"
    r"([一二两三四五六七八九])百([一二三四五六七八])([二三四五六七八九])十|"
    r"十([一二三四五六七八])([二三四五六七八九])|([一二两三四五六七八])([两二三四五六七八九])([十百千万])?)"
    r"(?![一二三四五六七八九十百千万零〇点])(?:(成)(?!本|分|绩|熟|立|功|为|品|年|交|了|长|员|就)|"
    r"(?=(?:多|来)?\s*(?:" + SPOKEN_UNIT + r")))"
)
# a ratio said with 比 (一比一点五, 1比8, 米和水一比一): written as the documents do (1:1.5); a number must stand
# on both sides, so that 比超市的小 and 这批比上一批 stay comparisons
RATIO_SPOKEN = re.compile(
    rf"(?<![\d.{CN}A-Za-z])(\d+(?:\.\d+)?|{CN_RUN})\s*比\s*(\d+(?:\.\d+)?|{CN_RUN})(?![\d.{CN}])"
)
RATIO_COLON = re.compile(r"(?<=\d)\s*：\s*(?=\d)")  # 1：1.2 with a full-width colon
PERCENT = re.compile(rf"百分之\s*(\d+(?:\.\d+)?|{CN_RUN})")
TENTHS = re.compile(
    r"(?<![一二三四五六七八九十])([两二三四五六七八九])成([一二三四五六七八九])?(多)?(?=[的以左上、，。！？；\s]|$)"
)
HALF = re.compile(
    r"(?:(?<=占)|(?<=是)|(?<=有)|(?<=了)|(?<=近)|(?<=约)|(?<=过)|(?<=少)|(?<=低)|(?<=降)|(?<=减))一半"
)
YEAR_AND_HALF = re.compile(rf"(\d+|[{CN}]+)年半")
# 半年 is six months; 上半年, 下半年 are halves of a year (上半年卖的那批), no duration
HALF_YEAR = re.compile(r"(?<![一二三四五六七八九十\d上下])半年")
# 半小时, and 焖个半小时 (个 of the verb); 一个半小时 is no half hour
HALF_HOUR = re.compile(r"(?<![一二三四五六七八九十\d])(?<![一二三四五六七八九十\d]个)半(?:个)?小时")
# 二十几户, 20几户: 几 after a round figure is its 多 (twenty-odd)
ODD = re.compile(r"(?<=[十百千\d])几(?=\s*(?:" + SPOKEN_UNIT + r"))")
HALF_MONTH = re.compile(r"(?<![一二三四五六七八九十\d])半个月")
# 斤 and its halves: 半斤 is 250g, 一斤半 is 750g
HALF_JIN = re.compile(r"(?<![一二三四五六七八九十\d])半斤")
JIN_AND_HALF = re.compile(rf"(\d+|[{CN}]+)斤半")
# colloquial counts and the week said as 礼拜/星期 (仨月 is three months; 三月 is March)
COLLOQUIAL = re.compile(r"([俩仨])(个)?(?=月|小时|天|周|年|礼拜|星期|斤|公斤|克)")
WEEK = re.compile(r"(?<=[一二两三四五六七八九十\d])个?(?:礼拜|星期)")
# the hour said as 钟头 (两个钟头, 半个钟头, 一个多钟头) is the documents' 小时
HOURS_SPOKEN = re.compile(r"(?<=[个一二两三四五六七八九十百\d半俩仨几多])钟头")
TEN_THOUSAND = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)万(?=[\u4e00-\u9fa5a-zA-Z%])")
CN_FIGURE = re.compile(rf"(?<!第)({CN_RUN})(?=(多|余|来)?\s*({SPOKEN_UNIT}))")
CN_BARE = re.compile(rf"(?<![第{CN}])({CN_RUN})(?![{CN}几])")
PRICE_SPOKEN = re.compile(r"(?<![\d.])(\d+)\s*块\s*([\d一二三四五六七八九])(?![\d毛])")
COMPOUND_UNITS = [
    (r"(?:毫克|mg)\s*(?:每|/)\s*(?:千克|公斤|kg)", "mg/kg"),
    (r"(?:微克|μg|µg|ug)\s*(?:每|/)\s*(?:千克|公斤|kg)", "μg/kg"),
    (r"(?:克|g)\s*(?:每|/)\s*(?:千克|公斤|kg)", "g/kg"),
    (r"(?:毫克|mg)\s*(?:每|/)\s*(?:百克|100\s*(?:克|g))", "mg/100g"),
    (r"(?:克|g)\s*(?:每|/)\s*(?:百克|100\s*(?:克|g))", "g/100g"),
    (r"(?:毫克|mg)\s*(?:每|/)\s*(?:百毫升|100\s*(?:毫升|ml|mL))", "mg/100ml"),
    (r"(?:克|g)\s*(?:每|/)\s*(?:百毫升|100\s*(?:毫升|ml|mL))", "g/100ml"),
    (r"(?:毫克|mg)\s*(?:每|/)\s*(?:克|g)(?![/a-zA-Z])", "mg/g"),
    (r"毫摩尔\s*(?:每|/)\s*(?:千克|公斤|kg)", "mmol/kg"),
]
SIMPLE_UNITS = [
    (r"毫克", "mg"),
    (r"微克|µg", "μg"),
    (r"千克|公斤", "kg"),
    (r"克(?!罗|隆|伦)", "g"),  # 克伦特罗 (clenbuterol) is no gram
    (r"毫升|mL", "ml"),
    (r"升", "L"),
    (r"千焦", "kJ"),
    (r"千卡|大卡", "kcal"),
    (r"个小时", "小时"),
    (r"分钟", "min"),
    (r"秒钟|秒", "s"),
    (r"摄氏度|度(?![数量])|°C|℃", "℃"),
    (r"千米|公里", "km"),
    (r"星期", "周"),
    (r"块钱|块(?!\s*\d)", "元"),
]
# a figure that may be followed by 多/余/来 (五百多公顷) before its unit
AFTER_FIGURE = r"(?<=\d)(\s*(?:多|余|来)?\s*)"
UNIT_TOKEN = (
    r"mg/kg|μg/kg|g/kg|mg/100g|g/100g|mg/100ml|g/100ml|mg/g|mmol/kg|CFU/g|CFU/ml|cfu/g|cfu/ml|%|mg|μg|kg|g|ml|L|kJ|"
    r"kcal|小时|min|s|℃|公顷|亩|km|米|个月|月龄|周|天|年|只|头|口|项|种|枚|户|个|分(?![\u4e00-\u9fa5])|元"
)
UNIT_PATTERNS = [(re.compile(AFTER_FIGURE + f"(?:{p})"), u) for p, u in COMPOUND_UNITS + SIMPLE_UNITS]
FULL_WIDTH = re.compile("[０-９％．]")
RANGE = re.compile(
    rf"(?<![\d.\-])(\d+(?:\.\d+)?)\s*({UNIT_TOKEN})?\s*(?:到|至|-|–|~|～)\s*(\d+(?:\.\d+)?)\s*({UNIT_TOKEN})(?![A-Za-z/])"
)


def canonical(text: str, spoken: bool = True) -> Canonical:
    """``text`` in the documents' spelling, with the span of the original every character came from. ``spoken``
    reads a lone 一/两 before a unit as a figure where the words around make it one (保质期一年, 一个月内); documents
    write their figures in digits, so in them 一年内有效 and 一年只种一季 stay words."""
    c = Canonical(text, tuple((i, i + 1) for i in range(len(text))), text)
    c = _rewrite(c, FULL_WIDTH, lambda m: chr(ord(m.group()) - 0xFEE0))
    c = _rewrite(c, DATE_FULL, lambda m: f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}")
    c = _rewrite(c, DATE_SHORT_YEAR, lambda m: f"20{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}")
    c = _rewrite(c, DATE_CN, _cn_date)
    c = _rewrite(c, DATE_NO_YEAR, _no_year_date)
    c = _rewrite(c, DATE_DOTTED, _dotted_date)
    c = _rewrite(c, MONTH_ONLY, _month_only)
    c = _rewrite(c, RATIO_SPOKEN, _ratio)
    c = _rewrite(c, RATIO_COLON, lambda m: ":")
    c = _rewrite(c, CN_RANGE, _cn_range)
    c = _rewrite(c, PERCENT, lambda m: f"{_digits(m.group(1))}%" if _digits(m.group(1)) else None)
    c = _rewrite(
        c,
        TENTHS,
        lambda m: (
            f"{CN_DIGITS[m.group(1)] * 10 + (CN_DIGITS[m.group(2)] if m.group(2) else 0)}"
            f"{'多' if m.group(3) else ''}%"
        ),
    )
    c = _rewrite(c, HALF, lambda m: "50%")
    c = _rewrite(
        c,
        YEAR_AND_HALF,
        lambda m: f"{int(_digits(m.group(1)) or 0) * 12 + 6}个月" if _digits(m.group(1)) else None,
    )
    c = _rewrite(c, HALF_YEAR, lambda m: "6个月")
    c = _rewrite(c, HOURS_SPOKEN, lambda m: "小时")
    c = _rewrite(c, HALF_HOUR, lambda m: "30min")
    c = _rewrite(c, HALF_MONTH, lambda m: "15天")
    c = _rewrite(c, HALF_JIN, lambda m: "250g")
    c = _rewrite(
        c,
        JIN_AND_HALF,
        lambda m: f"{float(_digits(m.group(1)) or 0) * 500 + 250:g}g" if _digits(m.group(1)) else None,
    )
    c = _rewrite(c, COLLOQUIAL, _colloquial)
    c = _rewrite(c, WEEK, lambda m: "周")
    c = _rewrite(c, MORE_MONTHS, lambda m: f"多个{m.group(1)}")
    c = _rewrite(c, ODD, lambda m: "多")
    c = _rewrite(c, CN_FIGURE, lambda m: _spoken_figure(m, spoken))
    c = _rewrite(c, CN_BARE, lambda m: _apart(m, cn_number(m.group(1))) if len(m.group(1)) >= 2 else None)
    c = _rewrite(c, TEN_THOUSAND, lambda m: f"{float(m.group(1)) * 10000:g}")
    c = _rewrite(c, PRICE_SPOKEN, lambda m: f"{m.group(1)}.{CN_DIGITS.get(m.group(2), m.group(2))}元")
    for pattern, unit in UNIT_PATTERNS:
        c = _rewrite(c, pattern, _unit_writer(unit))
    return _rewrite(c, RANGE, _range)


def _unit_writer(unit: str) -> Callable[[re.Match[str]], str | None]:
    """A replacement that keeps a figure's 多 and writes its unit the documents' way."""
    return lambda m: f"{m.group(1).strip()}{unit}"


def _colloquial(m: re.Match[str]) -> str:
    """俩 → 两, 仨 → 三; before 月 with a 个 (仨月 → 三个月)."""
    digit = {"俩": "两", "仨": "三"}[m.group(1)]
    return f"{digit}个" if m.string.startswith("月", m.end()) else digit


def _digits(text: str) -> str | None:
    return text if re.fullmatch(r"\d+(?:\.\d+)?", text) else cn_number(text)


def _cn_date(m: re.Match[str]) -> str | None:
    year, month, day = _year_digits(m.group(1)), cn_int(m.group(2)), cn_int(m.group(3))
    if not year or not month or not day or month > 12 or day > 31:
        return None
    return f"{year}-{month:02d}-{day:02d}"


def _no_year_date(m: re.Match[str]) -> str | None:
    """10月18号 → --10-18 (the grounding check finds the year in the documents)."""
    month, day = _day_part(m.group(1)), _day_part(m.group(2))
    if not month or not day or month > 12 or day > 31:
        return None
    return f"--{month:02d}-{day:02d}"


def _dotted_date(m: re.Match[str]) -> str | None:
    """10.16 → --10-16 where date words stand around it (灌装日期10.16, 10/16灌装, 11.15到11.17)."""
    text = m.string
    clause = re.split(r"[，。！？；,;]", text[: m.start()])[-1]
    earlier = DATE_RANGE_BEFORE.search(text[: m.start()])
    if earlier:  # the second date of a range (11.15到11.17) stands in the date words of the first
        clause = clause[: len(clause) - len(earlier.group())]
    if not (DATE_CONTEXT_BEFORE.search(clause) or DATE_CONTEXT_AFTER.match(text[m.end() :])):
        return None
    return f"--{int(m.group(1)):02d}-{int(m.group(2)):02d}"


def _month_only(m: re.Match[str]) -> str | None:
    """2026年10月 → 2026-10, 10月中旬 → --10中旬; a month with neither year nor part only where a year word stands
    before it (今年4月) or an event after it (10月灌装), or it ends a period (保质期到10月)."""
    year = _year_digits(m.group(1)) if m.group(1) and not m.group(1).isdigit() else m.group(1)
    month = int(m.group(2)) if m.group(2).isdigit() else cn_int(m.group(2))
    if not month or month > 12 or (m.group(1) and not year):
        return None
    part = m.group(3) or ""
    text = m.string
    if not (
        year
        or part
        or RELATIVE_YEAR_BEFORE.search(text[: m.start()])
        or MONTH_EVENT_AFTER.match(text[m.end() :])
        or re.search(r"(?:到|至)\s*$", text[: m.start()])
    ):
        return None
    return f"{year}-{month:02d}{part}" if year else f"--{month:02d}{part}"


def _ratio(m: re.Match[str]) -> str | None:
    """一比一点五 → 1:1.5, 1比8 → 1:8; None when a side is no number."""
    a, b = _digits(m.group(1)), _digits(m.group(2))
    return f"{a}:{b}" if a and b else None


def _cn_range(m: re.Match[str]) -> str | None:
    """七八百 → 700〜800, 十二三 → 12〜13, 三十五六 → 35〜36, 一百七八十 → 170〜180, 两三 → 2〜3."""
    g = m.groups()
    if g[0]:
        tens, a, b, scale, base = CN_DIGITS[g[0]] * 10, CN_DIGITS[g[1]], CN_DIGITS[g[2]], 1, 0
        low, high = tens + a, tens + b
    elif g[3]:
        base, a, b = CN_DIGITS[g[3]] * 100, CN_DIGITS[g[4]], CN_DIGITS[g[5]]
        low, high = base + a * 10, base + b * 10
    elif g[6]:
        a, b = CN_DIGITS[g[6]], CN_DIGITS[g[7]]
        low, high = 10 + a, 10 + b
    else:
        a, b = CN_DIGITS[g[8]], CN_DIGITS[g[9]]
        scale = {"十": 10, "百": 100, "千": 1000, "万": 10000}.get(g[10] or "", 1)
        low, high = a * scale, b * scale
    if b != a + 1:
        return None  # 三五, 七九: no neighbouring digits, no range
    if g[11]:  # 两三成 is 20 to 30 per cent
        return f"{low * 10}〜{high * 10}%" if high < 10 else None
    return f"{low}〜{high}"


def _spoken_figure(m: re.Match[str], spoken: bool) -> str | None:
    """A Chinese numeral before a unit; a lone 一/两 only where it is a figure (保质期一年, 一个月内), not an
    article (一只鸡, 一勺)."""
    run = m.group(1)
    number = cn_number(run)
    if number is None:
        return None
    if len(run) == 1 and run in "一两二":
        if not spoken:
            return None
        text = m.string
        after = text[m.end() + len(m.group(2) or "") + len(m.group(3)) :]
        measure = MEASURE_UNIT.match(m.group(3))
        # 一斤多 is a figure (a pound and a bit); 一斤多少钱 and 一年多 stay words
        more_of_measure = bool(measure) and bool(MORE_AFTER.match(after))
        if (LONE_IDIOM.match(after) and not more_of_measure) or m.group(2):
            return None
        if not (
            measure or LONE_BEFORE.search(text[max(0, m.start() - 6) : m.start()]) or LONE_AFTER.match(after)
        ):
            return None
    return _apart(m, number)


def _apart(m: re.Match[str], number: str | None) -> str | None:
    """A figure written after a letter or digit keeps apart from it (K270零点一七 → K270 0.17)."""
    if number is None or m.start() == 0 or not re.match(r"[A-Za-z0-9]", m.string[m.start() - 1]):
        return number
    return f" {number}"


def _range(m: re.Match[str]) -> str:
    """15到25℃ and 15–25℃ → 15℃–25℃: each end a figure with its unit."""
    low, low_unit, high, high_unit = m.group(1), m.group(2), m.group(3), m.group(4)
    return f"{low}{low_unit or high_unit}–{high}{high_unit}"


# ------------------------------------------------------------------ comparing figures

DIMENSIONS: dict[str, tuple[str, float]] = {
    "μg": ("mass", 1e-6),
    "mg": ("mass", 1e-3),
    "g": ("mass", 1.0),
    "kg": ("mass", 1000.0),
    "斤": ("mass", 500.0),
    "ml": ("volume", 1.0),
    "L": ("volume", 1000.0),
    "kJ": ("energy", 1.0),
    "kcal": ("energy", 4.184),
    "s": ("duration", 1 / 86400),
    "min": ("duration", 1 / 1440),
    "小时": ("duration", 1 / 24),
    "天": ("duration", 1.0),
    "周": ("duration", 7.0),
    "个月": ("duration", 30.44),
    "月龄": ("duration", 30.44),
    "年": ("duration", 365.25),
    "米": ("length", 1.0),
    "km": ("length", 1000.0),
    "亩": ("area", 1.0),
    "公顷": ("area", 15.0),
    "μg/kg": ("fraction_small", 1e-3),
    "mg/kg": ("fraction_small", 1.0),
    "g/kg": ("fraction_small", 1000.0),
}


@dataclass(frozen=True)
class Quantity:
    """A figure as said: value, canonical unit, and how it is meant (``=`` exact, ``~`` about, ``+`` 多 (from
    value up to the next step), ``<`` ``<=`` ``>`` ``>=`` a bound)."""

    value: float
    unit: str
    mode: str = "="
    step: float = 0.0
    places: int = -1  # decimal places as written (约78% has 0), -1 when not known
    # a document figure that is one end of a range (冷藏0℃–5℃): the range's two ends, so that a range a host says
    # is judged against the whole range and not one end at a time
    span: tuple[float, float] | None = None

    def base(self) -> tuple[str, float] | None:
        dim = DIMENSIONS.get(self.unit)
        return (dim[0], self.value * dim[1]) if dim else None


def compatible(a: str, b: str) -> bool:
    """Two units that measure the same thing (克 and 毫克, 天 and 个月; 克 said of a per-100 g figure)."""
    if a == b:
        return True
    da, db = DIMENSIONS.get(a), DIMENSIONS.get(b)
    if da and db and da[0] == db[0]:
        return True
    if {a[:1], b[:1]} <= {"个", "枚"} and "枚" in (a, b):
        return True  # 30个蛋 and 30枚
    shorthand = {("g", "%"), ("mg", "mg/100g"), ("g", "g/100ml"), ("mg", "mg/100ml")}
    return (a, b) in shorthand or (b, a) in shorthand


def _as(q: Quantity, unit: str) -> float:
    if q.unit == unit:
        return q.value
    da, db = DIMENSIONS.get(q.unit), DIMENSIONS.get(unit)
    if da and db and da[0] == db[0]:
        return q.value * da[1] / db[1]
    return q.value  # the shorthand pairs are one figure written two ways


def agree(said: Quantity, stated: Quantity) -> bool:
    """Whether a host's figure agrees with a document's (same dimension is the caller's business)."""
    value = _as(stated, said.unit)
    converted = said.unit != stated.unit and said.unit in DIMENSIONS and stated.unit in DIMENSIONS
    tolerance = 0.03 if "~" in (said.mode, stated.mode) else 0.02 if converted else 1e-9
    if said.mode == "[]":
        # a range (七八百毫升, 两三个月, 20到30度): the document's figure lies in it, or its bound holds for all of it
        low, high = said.value, said.value + said.step
        slack = max(abs(high), 1e-9) * tolerance + 1e-9
        if stated.span is not None:
            # against a range the document states (冷藏0℃–5℃): the host's lies inside it (放在18到22度 for 15℃–25℃),
            # each end within a tenth of the document's, as a range is said roughly (四五十克 for 42–52g)
            first, last = sorted(_as(replace(stated, value=end), said.unit) for end in stated.span)
            return first - max(slack, abs(first) * 0.1) <= low and high <= last + max(slack, abs(last) * 0.1)
        if stated.mode in ("=", "~", "+"):
            return low - slack <= value <= high + slack
        # against a bound, the range reaches it (两三个月 for 3个月内, not for 1年内)
        if stated.mode in ("<", "<="):
            return abs(high - value) <= slack
        if stated.mode in (">", ">="):
            return abs(low - value) <= max(abs(low), 1e-9) * tolerance + 1e-9
        return False
    if said.mode in ("~-", "~+"):
        # a little under / over the figure said: within 15 per cent on that side
        low, high = (said.value * 0.85, said.value) if said.mode == "~-" else (said.value, said.value * 1.15)
        return stated.mode in ("=", "~", "<=", ">=") and low - 1e-9 <= value <= high + 1e-9
    if said.mode in ("=", "~") and stated.mode in ("<", ">"):
        return False  # 10 is not <10: a strict bound is no figure to repeat
    if said.mode == "=" and stated.mode == "~" and not converted and stated.places >= 0:
        # a precise figure against a document's round one (77.8% for 约78%): it must round to it
        return abs(round(said.value, stated.places) - value) < 1e-9
    if said.mode in ("=", "~") and stated.mode in ("=", "~", "<=", ">="):
        return _close(said.value, value, tolerance)
    if said.mode == "+":
        if stated.mode == "+":
            return _close(said.value, value, 1e-9)
        return said.value - 1e-9 <= value < said.value + said.step
    if said.mode in ("<", "<=", ">", ">="):
        if stated.mode in ("=", "~", "+"):
            return {
                "<": value < said.value + 1e-12,
                "<=": value <= said.value + 1e-12,
                ">": value > said.value - 1e-12,
                ">=": value >= said.value - 1e-12,
            }[said.mode]
        same_side = (said.mode[0] == "<") == (stated.mode[0] == "<")
        return same_side and _close(said.value, value, tolerance)
    return False


def _close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= max(abs(a), abs(b)) * tolerance + 1e-12


def places_of(number: str) -> int:
    """Decimal places of a written figure: 78 → 0, 0.20 → 2."""
    return len(number.partition(".")[2])


def step_of(number: str) -> float:
    """The step of a 多 figure: 五百多 → 100, 三十多 → 10, 5多 → 1."""
    whole = number.split(".")[0].rstrip("0")
    zeros = len(number.split(".")[0]) - len(whole)
    return float(10**zeros) if "." not in number else 1.0


UPPER_BEFORE = re.compile(
    r"(?:不到|不足|(?<!不)低于|(?<!不)少于|(?<!不)小于|不超过|[别勿]超过|不要超过|不能超过|不宜超过|最多|至多|≤|<|＜)\s*$"
)
LOWER_BEFORE = re.compile(
    r"(?:(?<![不别勿要能宜])超过|(?<!不)高于|(?<!不)大于|(?<!不)多于|不少于|不低于|不小于|至少|起码|≥|>|＞)\s*$"
)
APPROX_BEFORE = re.compile(r"(?:约|大约|大概|差不多|估计)\s*$")
# 将近三斤: a little under; 六百八十出头: a little over
NEARLY_BEFORE = re.compile(r"(?:将近|接近|快|近)\s*$")
OVER_AFTER = re.compile(r"^\s*(?:出头|多一点|挂零)")
UPPER_AFTER = re.compile(r"^\s*(?:以内|之内|以下|内|(?:都|还)?不到|(?:都|还)?不足)")
LOWER_AFTER = re.compile(r"^\s*(?:以上|起)")
APPROX_AFTER = re.compile(r"^\s*(?:左右|上下|前后)")


def read_mode(before: str, after: str) -> str:
    """How a figure is meant, from the words right before and after it."""
    strict_upper = re.search(
        r"(?:不到|不足|(?<!不)低于|(?<!不)少于|(?<!不)小于|<|＜)\s*$", before
    ) or re.match(r"^\s*(?:都|还)?(?:不到|不足)", after)
    strict_lower = re.search(
        r"(?:(?<![不别勿要能宜])超过|(?<!不)高于|(?<!不)大于|(?<!不)多于|>|＞)\s*$", before
    )
    if NEARLY_BEFORE.search(before):
        return "~-"
    if OVER_AFTER.match(after):
        return "~+"
    if UPPER_BEFORE.search(before) or UPPER_AFTER.match(after):
        return "<" if strict_upper else "<="
    if LOWER_BEFORE.search(before) or LOWER_AFTER.match(after):
        return ">" if strict_lower else ">="
    if APPROX_BEFORE.search(before) or APPROX_AFTER.match(after):
        return "~"
    return "="
