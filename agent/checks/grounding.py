"""Grounding: every factual claim in a text must be said by a document of that product, for the batch on sale, in a
document valid on the event date.

Claims are numbers with units (酸度0.2%, 每15ml含钠683mg), batch numbers (EV2611A), places of origin (安达卢西亚),
certifications (有机认证) and dates (2027-11-04). Each is looked up in the sku's chunks: found in a current, valid
document → supported (with the chunk that says it); found only in another batch's report or an expired document →
wrong_batch / expired; the same item with another value → wrong_value (naming the value and where it stands);
nowhere → invented. Anything but supported is a blocking finding.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from community.errors import NotFound
from knowledge.index import SHARED_SKU, Hit, KnowledgeBase

UNIT = (
    r"%|％|mg/kg|μg/kg|ug/kg|mg/100g|g/100g|mg/100ml|g/100ml|mg/100mL|g/100mL|mmol/kg|mg/g|kJ|千焦|kcal|千卡|mg|毫克|"
    r"kg|公斤|g|克|ml|mL|毫升|L|升|公顷|亩|小时|分钟|min|天|个月|月龄|周|年|℃|°C|CFU/g|cfu/g|个/g|项|只|种|米"
)
# units specific enough that the same unit with another number in the documents means a wrong value
SPECIFIC_UNITS = {"公顷", "亩", "小时", "min", "天", "个月", "月龄", "周", "年", "℃", "只", "种", "米", "项"}
DATE_WORDS = re.compile(r"灌装|生产|有效|签发|检测|收样|到期|采收|产蛋|出厂")
MEASUREMENT = re.compile(rf"(?<![\d.A-Za-z])(\d+(?:\.\d+)?)\s*({UNIT})(?![A-Za-z])")
# a price: ¥59, 59元, 39.9块 (prices come from the request or a document, never from nowhere)
PRICE = re.compile(r"(?:[¥￥]\s*(\d+(?:\.\d+)?)|(?<![\d.])(\d+(?:\.\d+)?)\s*(?:元|块钱|块))")
# a price named as a comparison (原价, 专柜价): lawful only when a document states it (价格法: no invented 原价)
REFERENCE_PRICE = re.compile(r"原价|专柜价?|市场价|日常价|划线价|门店价|超市|商场|别家|外面|官方价|零售价")
# a figure with no unit, said of a measured item (哈夫单位81, GI值40, 品尝评分值91)
BARE = re.compile(r"(?<![\d.A-Za-z])(\d+(?:\.\d+)?)(?![\d.]|\s*[%％A-Za-z\u4e00-\u9fa5/(（])")
MEASURE_WORD = re.compile(r"(?:值|指数|单位|评分|得分|分值)(?:只有|是|为|达到|约|高达|才|有)?$")
# words between an item's name and its figure (出粉率只有50%, 保质期是18个月)
FILLER = re.compile(
    r"(?:只有|仅有|才|是|为|达到|高达|约|大约|有|在|控制在|不超过|不到|低于|高于|左右|足足)+$"
)
# words that name no item of their own (检测值只有0.14 says nothing about which item)
GENERIC_LABELS = {"检测值", "测值", "实测值", "含量", "数值", "结果", "检测结果", "指标", "数据", "检测"}
PER_100G = re.compile(r"每\s*100\s*(?:克|g)")
OTHER_BATCH_WORDS = re.compile(r"上一批|上批|上一期|之前那批|去年那批|老批次")
BATCH = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{4,6}[A-Z]?(?![A-Za-z0-9])")
DATE = re.compile(r"(?<!\d)20\d{2}-\d{1,2}-\d{1,2}(?!\d)")
CERTIFICATION = re.compile(
    r"(欧盟|美国|日本|USDA|国际)?\s*(有机[\u4e00-\u9fa5]{0,6}?(认证|产品|食品|码|证书)|有机(鸡蛋|蛋|牛肉|面粉|大米|散养)|"
    r"绿色食品(认证)?|地理标志(产品|保护)?|SGS|HACCP|ISO ?\d{4,5}|检疫合格证明|无公害(农产品)?认证)"
)
CODE = re.compile(
    r"(?<![A-Za-z0-9-])(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{7,}(?![A-Za-z0-9-])"
)
MORE_PLACES = [
    "恩施",
    "英山",
    "坝上",
    "张北",
    "奇台",
    "崇明",
    "胶东",
    "潍坊",
    "寿光",
    "烟台",
    "赣南",
    "赣州",
    "阳澄湖",
    "舟山",
    "大连",
    "青岛",
    "哈尔滨",
    "阿勒泰",
    "伊犁",
    "和田",
    "吐鲁番",
    "丽江",
    "普洱",
    "西双版纳",
    "安溪",
    "武夷山",
    "黄山",
    "千岛湖",
    "巴彦淖尔",
    "赤峰",
    "通辽",
]
PLACES = [
    "西班牙",
    "意大利",
    "希腊",
    "法国",
    "葡萄牙",
    "土耳其",
    "突尼斯",
    "澳洲",
    "澳大利亚",
    "新西兰",
    "美国",
    "加拿大",
    "日本",
    "韩国",
    "泰国",
    "德国",
    "荷兰",
    "丹麦",
    "智利",
    "阿根廷",
    "巴西",
    "乌拉圭",
    "托斯卡纳",
    "安达卢西亚",
    "哈恩",
    "加泰罗尼亚",
    "克里特",
    "内蒙古",
    "黑龙江",
    "五常",
    "东北",
    "新疆",
    "云南",
    "四川",
    "湖北",
    "安徽",
    "秦岭",
    "陕西",
    "浙江",
    "杭州",
    "西湖",
    "广东",
    "佛山",
    "高明",
    "山东",
    "河南",
    "河北",
    "江苏",
    "福建",
    "江西",
    "湖南",
    "广西",
    "贵州",
    "甘肃",
    "宁夏",
    "青海",
    "西藏",
    "海南",
    "吉林",
    "辽宁",
    "山西",
    "重庆",
    "天津",
    "上海",
    "北京",
    "呼伦贝尔",
    "锡林郭勒",
    "大别山",
    "神农架",
    "宁夏",
    "张家口",
    "长白山",
]
PLACE = re.compile("|".join(sorted(set(PLACES) | set(MORE_PLACES), key=len, reverse=True)))
KEY_WINDOW = 12  # characters before a figure in which the measured item's name is looked for


@dataclass(frozen=True)
class Claim:
    kind: str  # measurement | price | batch | date | certification | place | code
    text: str
    start: int
    end: int
    label: str  # supported | wrong_value | wrong_batch | expired | invented | unverified (a price, warn only)
    citation: str | None
    expected: str | None = None

    def finding(self) -> dict[str, Any]:
        if self.kind == "price":
            return self._price_finding()
        reason = {
            "wrong_value": f"文档写的是 {self.expected}（{self.citation}）",
            "wrong_batch": f"这是其他批次或旧文档的内容（{self.citation}），在售批次的文档里没有；{self.expected or ''}",
            "expired": f"依据的文档已过期（{self.citation}）",
            "invented": "该商品的任何有效文档都没有这个说法",
        }[self.label]
        return {
            "rule": f"grounding.{self.label}",
            "category": "依据核对",
            "severity": "block",
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "message": f"「{self.text}」无据可查：{reason}".rstrip("；"),
            "suggestion": f"改为 {self.expected}"
            if self.label == "wrong_value" and self.expected
            else "删去，或换成在售批次有效文档里写明的内容",
        }

    def _price_finding(self) -> dict[str, Any]:
        message, suggestion, severity = {
            "wrong_value": (
                f"价格「{self.text}」与本次设定的{self.expected}不一致",
                f"改为 {self.expected}",
                "block",
            ),
            "invented": (
                f"对比价「{self.text}」没有任何有效文档写明（《价格法》第十四条：不得虚构原价）",
                "删去对比价，只写本次团购价",
                "block",
            ),
            "unverified": (
                f"价格「{self.text}」无从核对：请求里没有团购价，文档里也没有",
                "审核时对照接龙的团购价确认",
                "warn",
            ),
        }[self.label]
        return {
            "rule": f"grounding.price_{self.label}",
            "category": "依据核对",
            "severity": severity,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "message": message,
            "suggestion": suggestion,
        }


def _norm(text: str) -> str:
    """One spelling for what documents and hosts write differently (％/%, mL/ml, 分钟/min, 毫克/mg …)."""
    text = (
        text.replace("％", "%").replace(" ", "").replace("\u3000", "").replace("mL", "ml").replace("°C", "℃")
    )
    text = text.replace("分钟", "min").replace("毫克", "mg").replace("毫升", "ml")
    text = re.sub(r"(?<=\d)(?:公斤|千克)", "kg", re.sub(r"(?<=\d)克", "g", text))
    return re.sub(r"(?<![mμu])g/100g", "%", text)  # a mass fraction: 8.6 g/100g is 8.6%


def _price_value(text: str) -> float | None:
    """59 for "¥59", "59元", "59.0 元"; None when the text is no price."""
    found = re.search(r"\d+(?:\.\d+)?", text.replace(",", ""))
    return float(found.group()) if found else None


class Grounder:
    """Claims of one text checked against one sku's chunks (current, other batches, expired)."""

    def __init__(self, kb: KnowledgeBase, sku: str, prices: tuple[str, ...] = ()) -> None:
        self.sku = sku
        # the prices the request set (团购价 ¥59): a price in the copy must be one of them or stand in a document
        self.prices = [v for v in (_price_value(p) for p in prices if p) if v is not None]
        hits = kb.chunks_for_sku(sku)
        self.current = [h for h in hits if not h.flags and h.sku == sku]
        self.flagged = [h for h in hits if h.flags and h.sku == sku]
        self.shared = [h for h in hits if h.sku == SHARED_SKU]
        self.batch_on_sale = kb.current_batches().get(sku)
        self._norm = {h.chunk_id: _norm(h.text) for h in hits}
        names = {re.sub(r"[（(].*?[)）]", "", f.key).strip() for h in hits for f in h.facts}
        names |= {part for n in names for part in n.split() if len(part) >= 2}
        # the name before a qualifier: 油酸 of "油酸（C18:1）占总脂肪酸"
        names |= {
            head
            for h in hits
            for f in h.facts
            for head in [re.split(r"[（(]", f.key)[0].strip()]
            if len(head) >= 2
        }
        self.item_names = sorted(
            {n for n in names if len(n) >= 1},
            key=lambda n: (-len(n), n),  # longest first, ties by name: the same answer in every process
        )

    def _find(self, needle: str, pool: list[Hit]) -> Hit | None:
        wanted = _norm(needle)
        return next((h for h in pool if wanted in self._norm[h.chunk_id]), None)

    def _label(self, needle: str, kind: str, start: int, end: int) -> Claim:
        hit = self._find(needle, self.current) or self._find(needle, self.shared)
        if hit:
            return Claim(kind, needle, start, end, "supported", hit.chunk_id)
        old = self._find(needle, self.flagged)
        if old:
            label = "expired" if "expired" in old.flags else "wrong_batch"
            expected = f"在售批次为 {self.batch_on_sale}" if self.batch_on_sale else None
            return Claim(kind, needle, start, end, label, old.chunk_id, expected)
        return Claim(kind, needle, start, end, "invented", None)

    def _items(self, text: str, start: int) -> list[str]:
        """The measured items the sentence names just before a figure (酸度 in 酸度0.2%), longest first."""
        context = text[max(0, start - KEY_WINDOW) : start]
        return [n for n in self.item_names if n in context]

    def _labels(self, text: str, start: int) -> list[str]:
        """What the host calls the measured item right before a figure, when no document names it as a fact
        (出粉率 in 出粉率只有50%): the trailing words, then their shorter tails of three characters or more."""
        context = FILLER.sub("", text[max(0, start - 10) : start])
        found = re.search(r"[\u4e00-\u9fa5A-Za-z]{2,8}$", context)
        if not found:
            return []
        label = found.group()
        for generic in sorted(GENERIC_LABELS, key=len, reverse=True):
            if label.endswith(generic) and len(label) > len(generic):
                label = label[: -len(generic)]  # 油酸含量 → 油酸
                break
        tails = [label[i:] for i in range(len(label)) if len(label) - i >= 3 or i == 0]
        return [x for x in tails if len(x) >= 2 and x not in GENERIC_LABELS]

    def _window(self, text: str, end: int) -> str:
        """What a document says right after an item's name: 30 characters, or the rest of a table row."""
        line_start = text.rfind("\n", 0, end) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        if text[line_start : line_start + 1] == "|":
            return text[end : min(line_end, end + 80)]
        return text[end : end + 30]

    def _other_batch(self, text: str, start: int, end: int) -> bool:
        """True when the sentence around a figure speaks of another batch (上一批 EV2604B 酸度0.3%)."""
        lo = max(text.rfind(stop, 0, start) for stop in "。！？\n")
        his = [i for i in (text.find(stop, end) for stop in "。！？\n") if i >= 0]
        sentence = text[lo + 1 : min(his) if his else len(text)]
        if any(b != self.batch_on_sale for b in BATCH.findall(sentence)):
            return True
        return bool(OTHER_BATCH_WORDS.search(sentence))

    def _near(self, needle: str, item: str, pool: list[Hit]) -> Hit | None:
        """A chunk that states the figure right after the item's name, and not for another batch."""
        wanted = re.compile(rf"(?<![\d.]){re.escape(_norm(needle))}(?!\d)")
        for hit in pool:
            text = self._norm[hit.chunk_id]
            for m in re.finditer(re.escape(_norm(item)), text):
                if wanted.search(self._window(text, m.end())) and not self._other_batch(
                    text, m.start(), m.end()
                ):
                    return hit
        return None

    def _said_otherwise(self, item: str, value: str, unit: str, pool: list[Hit]) -> tuple[Hit, str] | None:
        """A chunk that states the item with another figure in the same unit (出粉率控制在65%左右)."""
        unit_n = _norm(unit)
        figure = re.compile(
            rf"(?<![\d.])(\d+(?:\.\d+)?){re.escape(unit_n)}"
            if unit_n
            else r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d.])"
        )
        for hit in pool:
            text = self._norm[hit.chunk_id]
            for m in re.finditer(re.escape(_norm(item)), text):
                found = figure.search(self._window(text, m.end()))
                if found and abs(float(found.group(1)) - float(value)) > 1e-9:
                    return hit, f"{item} {found.group()}"
        return None

    def _fact_says(self, item: str, value: str, unit: str, pool: list[Hit]) -> Hit | None:
        """A chunk whose extracted fact for this item has this number (tables often put the unit in the header)."""
        for hit in pool:
            for fact in hit.facts:
                if fact.number is None or item not in fact.key:
                    continue
                if abs(fact.number - float(value)) < 1e-9 and (
                    not fact.unit or _norm(fact.unit) == _norm(unit)
                ):
                    return hit
        return None

    def _stale(self, hit: Hit) -> str:
        return "expired" if "expired" in hit.flags else "wrong_batch"

    def _measurement(self, text: str, match: re.Match[str]) -> Claim:
        value, unit = match.group(1), match.group(2) if match.re is MEASUREMENT else ""
        said = match.group() if match.re is MEASUREMENT else value
        if unit in ("g", "克") and PER_100G.search(text[max(0, match.start() - KEY_WINDOW) : match.start()]):
            unit, said = "%", f"{value}%"  # 每100克…13.4克 is 13.4 g/100g

        def claim(label: str, hit: Hit | None = None, expected: str | None = None) -> Claim:
            return Claim(
                "measurement",
                match.group(),
                match.start(),
                match.end(),
                label,
                hit.chunk_id if hit else None,
                expected,
            )

        items = self._items(text, match.start())
        for item in items:
            hit = (
                self._fact_says(item, value, unit, self.current)
                or self._near(said, item, self.current)
                or self._near(said, item, self.shared)
            )
            if hit:
                return claim("supported", hit)
        for item in items:
            old = self._near(said, item, self.flagged) or self._fact_says(item, value, unit, self.flagged)
            if old:
                return claim(self._stale(old), old, f"在售批次为 {self.batch_on_sale}")
        labels = self._labels(text, match.start())
        if not items:
            for label in labels:
                hit = self._near(said, label, self.current) or self._near(said, label, self.shared)
                if hit:
                    return claim("supported", hit)
            # the exact figure in a current document will do; only an item the documents measure can contradict it
            if match.re is MEASUREMENT:
                plain = self._label(said, "measurement", match.start(), match.end())
                if plain.label != "invented":
                    return plain
        # the same item stated with another value: first the documents' facts, then their sentences
        context = text[max(0, match.start() - KEY_WINDOW) : match.start()]
        for pool in (self.current, self.flagged):
            for hit in pool:
                for fact in hit.facts:
                    name = re.sub(r"[（(].*?[)）]", "", fact.key).strip()
                    if len(name) >= 1 and name in context and fact.number is not None:
                        fact_unit = _norm(fact.unit or "")
                        if fact_unit and fact_unit != _norm(unit) or abs(fact.number - float(value)) < 1e-9:
                            continue
                        label = "wrong_value" if pool is self.current else self._stale(hit)
                        return claim(label, hit, f"{fact.key} {fact.value}")
        for item in items + labels:
            other = self._said_otherwise(item, value, unit, self.current)
            if other:
                return claim("wrong_value", other[0], other[1])
        if not items and _norm(unit) in SPECIFIC_UNITS:
            other_figure = re.compile(rf"(\d+(?:\.\d+)?){re.escape(_norm(unit))}")
            for hit in self.current:
                found = other_figure.search(self._norm[hit.chunk_id])
                if found and found.group(1) != value:
                    return claim("wrong_value", hit, found.group())
        return claim("invented")

    def _bare(self, text: str, match: re.Match[str]) -> Claim | None:
        """A figure without a unit counts as a claim only when said of a measured item (哈夫单位81, GI值40)."""
        before = text[max(0, match.start() - KEY_WINDOW) : match.start()]
        named = any(FILLER.sub("", before).endswith(n) for n in self.item_names if len(n) >= 2)
        if not named and not MEASURE_WORD.search(before):
            return None
        return self._measurement(text, match)

    def _price(self, match: re.Match[str]) -> Claim:
        """A price must be the request's (团购价) or one a document states; a comparison price (原价, 专柜价)
        only the latter. A price nothing can confirm is a warning: the operator checks it against the 接龙."""
        value = float(match.group(1) or match.group(2))
        before = match.string[max(0, match.start() - 8) : match.start()]
        reference = REFERENCE_PRICE.search(before)

        def claim(label: str, hit: Hit | None = None, expected: str | None = None) -> Claim:
            return Claim(
                "price",
                match.group(),
                match.start(),
                match.end(),
                label,
                hit.chunk_id if hit else None,
                expected,
            )

        if not reference and any(abs(value - p) < 1e-9 for p in self.prices):
            return claim("supported")
        for hit in self.current + self.shared:
            if any(_price_value(m.group()) == value for m in PRICE.finditer(hit.text)):
                return claim("supported", hit)
        if reference:
            return claim("invented")
        if self.prices:
            return claim("wrong_value", None, "团购价 " + "、".join(f"{p:g}元" for p in self.prices))
        return claim("unverified")

    def sources(self, text: str) -> list[str]:
        """The test-report and certificate chunks of the batch on sale that state a text's supported claims: a
        talking point that repeats a report's figure cites the report's paragraph, not only the sheet."""
        reports = [h for h in self.current if h.doc_type in ("traceability", "certificate")]
        out: list[str] = []
        for claim in self.claims(text):
            if claim.label != "supported" or claim.kind in ("price", "place"):
                continue
            wanted = _norm(claim.text)
            hit = next((h for h in reports if wanted and wanted in self._norm[h.chunk_id]), None)
            if hit is not None and hit.chunk_id not in out:
                out.append(hit.chunk_id)
        return out

    def claims(self, text: str) -> list[Claim]:
        out: list[Claim] = []
        taken: list[tuple[int, int]] = []

        def free(start: int, end: int) -> bool:
            return not any(start < e and s < end for s, e in taken)

        for match in BATCH.finditer(text):
            batch = match.group()
            if batch == self.batch_on_sale:
                claim = self._label(batch, "batch", match.start(), match.end())
                if claim.label != "supported":
                    claim = Claim("batch", batch, match.start(), match.end(), "supported", None)
            else:
                old = self._find(batch, self.flagged)
                claim = (
                    Claim(
                        "batch",
                        batch,
                        match.start(),
                        match.end(),
                        "wrong_batch",
                        old.chunk_id,
                        f"在售批次为 {self.batch_on_sale}",
                    )
                    if old
                    else self._label(batch, "batch", match.start(), match.end())
                )
            out.append(claim)
            taken.append(match.span())
        # first come, first served: a figure inside a date or a code is not a second claim
        extractors: list[tuple[re.Pattern[str], Callable[[re.Match[str]], Claim | None]]] = [
            (DATE, self._date),
            (PRICE, self._price),
            (MEASUREMENT, lambda m: self._measurement(text, m)),
            (CERTIFICATION, self._certification),
            (CODE, self._code),
            (PLACE, lambda m: self._label(m.group(), "place", m.start(), m.end())),
            (BARE, lambda m: self._bare(text, m)),
        ]
        for pattern, extract in extractors:
            for match in pattern.finditer(text):
                if free(*match.span()):
                    found = extract(match)
                    if found is not None:
                        out.append(found)
                        taken.append(match.span())
        return sorted(out, key=lambda c: c.start)

    def _date(self, match: re.Match[str]) -> Claim:
        """A date is supported by a document's text or by its front matter (issued_at / valid_until)."""
        day = match.group()
        for pool, label in ((self.current, "supported"), (self.flagged, "wrong_batch")):
            hit = next((h for h in pool if day in (h.issued_at, h.valid_until)), None)
            if hit:
                if label != "supported" and "expired" in hit.flags:
                    label = "expired"
                return Claim("date", day, match.start(), match.end(), label, hit.chunk_id)
        claim = self._label(day, "date", match.start(), match.end())
        around = match.string[max(0, match.start() - KEY_WINDOW) : match.end() + KEY_WINDOW]
        word = DATE_WORDS.search(around)
        if claim.label == "invented" and word:
            said = re.compile(rf"{word.group()}[^\d\n]{{0,8}}(20\d{{2}}-\d{{1,2}}-\d{{1,2}})")
            for hit in self.current:
                found = said.search(hit.text)
                if found:
                    return Claim(
                        "date", day, match.start(), match.end(), "wrong_value", hit.chunk_id, found.group(1)
                    )
        return claim

    def _code(self, match: re.Match[str]) -> Claim:
        """A report or certificate number: the document that carries it decides, even if others mention it."""
        code = match.group()
        owner = next(
            (h for h in self.flagged if h.doc_type in ("certificate", "traceability") and code in h.text),
            None,
        )
        if owner is not None:
            label = "expired" if "expired" in owner.flags else "wrong_batch"
            return Claim("code", code, match.start(), match.end(), label, owner.chunk_id)
        return self._label(code, "code", match.start(), match.end())

    def _certification(self, match: re.Match[str]) -> Claim:
        """A certification is supported only by a certificate (or report) of this sku that is valid today."""
        phrase = match.group()
        agency = match.group(1)
        stem = "有机" if "有机" in phrase else phrase[:4]
        if agency and not any(
            agency in h.text for h in self.current + self.flagged if h.doc_type == "certificate"
        ):
            return Claim("certification", phrase, match.start(), match.end(), "invented", None)
        for pool, label in ((self.current, "supported"), (self.flagged, "expired")):
            hit = next(
                (h for h in pool if h.doc_type in ("certificate", "traceability") and stem in h.text), None
            )
            if hit:
                if label == "expired" and "expired" not in hit.flags:
                    label = "wrong_batch"
                return Claim("certification", phrase, match.start(), match.end(), label, hit.chunk_id)
        return Claim("certification", phrase, match.start(), match.end(), "invented", None)


def check_grounding(
    text: str, sku: str, kb: KnowledgeBase, prices: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Blocking findings for every claim the sku's current, valid documents do not support; ``prices`` are the
    prices the request set (团购价), which a price in the text must match."""
    grounder = Grounder(kb, sku, prices)
    if not grounder.current and not grounder.flagged:
        raise NotFound(
            f"sku {sku!r}: no documents in the knowledge base to check against (linli docs ingest PATH)"
        )
    return [c.finding() for c in grounder.claims(text) if c.label != "supported"]
