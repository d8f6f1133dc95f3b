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

from knowledge.index import SHARED_SKU, Hit, KnowledgeBase

UNIT = (
    r"%|％|mg/kg|μg/kg|ug/kg|mg/100g|g/100g|mg/100ml|g/100ml|mg/100mL|g/100mL|mmol/kg|mg/g|kJ|千焦|kcal|千卡|mg|毫克|"
    r"kg|公斤|g|克|ml|mL|毫升|L|升|公顷|亩|小时|分钟|天|个月|月龄|周|年|℃|°C|CFU/g|cfu/g|个/g|项|只|种|米"
)
# units specific enough that the same unit with another number in the documents means a wrong value
SPECIFIC_UNITS = {"公顷", "亩", "小时", "分钟", "天", "个月", "月龄", "周", "年", "℃", "只", "种", "米", "项"}
DATE_WORDS = re.compile(r"灌装|生产|有效|签发|检测|收样|到期|采收|产蛋|出厂")
MEASUREMENT = re.compile(rf"(?<![\d.A-Za-z])(\d+(?:\.\d+)?)\s*({UNIT})(?![A-Za-z])")
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
    kind: str  # measurement | batch | date | certification | place
    text: str
    start: int
    end: int
    label: str  # supported | wrong_value | wrong_batch | expired | invented
    citation: str | None
    expected: str | None = None

    def finding(self) -> dict[str, Any]:
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


def _norm(text: str) -> str:
    return (
        text.replace("％", "%").replace(" ", "").replace("\u3000", "").replace("mL", "ml").replace("°C", "℃")
    )


class Grounder:
    """Claims of one text checked against one sku's chunks (current, other batches, expired)."""

    def __init__(self, kb: KnowledgeBase, sku: str) -> None:
        self.sku = sku
        hits = kb.chunks_for_sku(sku)
        self.current = [h for h in hits if not h.flags and h.sku == sku]
        self.flagged = [h for h in hits if h.flags and h.sku == sku]
        self.shared = [h for h in hits if h.sku == SHARED_SKU]
        self.batch_on_sale = kb.current_batches().get(sku)
        self._norm = {h.chunk_id: _norm(h.text) for h in hits}
        self.item_names = sorted(
            {
                n
                for h in hits
                for f in h.facts
                for n in [re.sub(r"[（(].*?[)）]", "", f.key).strip()]
                if len(n) >= 1
            },
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

    def _item(self, text: str, start: int) -> str | None:
        """The measured item the sentence names just before a figure (酸度 in 酸度0.2%), if any."""
        context = text[max(0, start - KEY_WINDOW) : start]
        names = [n for n in self.item_names if n in context]
        return max(names, key=len) if names else None

    def _near(self, needle: str, item: str, pool: list[Hit]) -> Hit | None:
        """A chunk that states the figure right after the item's name, and not for another batch."""
        wanted = _norm(needle)
        for hit in pool:
            text = self._norm[hit.chunk_id]
            for m in re.finditer(re.escape(_norm(item)), text):
                window = text[m.end() : m.end() + 30]
                if wanted in window:
                    around = text[max(0, m.start() - 30) : m.end() + 30]
                    if any(b != self.batch_on_sale for b in BATCH.findall(around)):
                        continue  # "上一批EV2604B酸度0.3%": said of another batch
                    return hit
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

    def _measurement(self, text: str, match: re.Match[str]) -> Claim:
        value, unit = match.group(1), match.group(2)
        item = self._item(text, match.start())
        if item is not None:
            stated = self._fact_says(item, value, unit, self.current)
            if stated:
                return Claim(
                    "measurement", match.group(), match.start(), match.end(), "supported", stated.chunk_id
                )
            hit = self._near(match.group(), item, self.current) or self._near(
                match.group(), item, self.shared
            )
            if hit:
                return Claim(
                    "measurement", match.group(), match.start(), match.end(), "supported", hit.chunk_id
                )
            old = self._near(match.group(), item, self.flagged) or self._fact_says(
                item, value, unit, self.flagged
            )
            if old:
                label = "expired" if "expired" in old.flags else "wrong_batch"
                return Claim(
                    "measurement",
                    match.group(),
                    match.start(),
                    match.end(),
                    label,
                    old.chunk_id,
                    f"在售批次为 {self.batch_on_sale}",
                )
            claim = Claim("measurement", match.group(), match.start(), match.end(), "invented", None)
        else:
            claim = self._label(match.group(), "measurement", match.start(), match.end())
            if claim.label != "invented":
                return claim
            if _norm(unit) in SPECIFIC_UNITS:
                other = re.compile(rf"(\d+(?:\.\d+)?){re.escape(_norm(unit))}")
                for hit in self.current:
                    found = other.search(self._norm[hit.chunk_id])
                    if found and found.group(1) != value:
                        return Claim(
                            "measurement",
                            match.group(),
                            match.start(),
                            match.end(),
                            "wrong_value",
                            hit.chunk_id,
                            found.group(),
                        )
        # the same item stated with another value? look for a fact whose name stands just before the figure
        context = text[max(0, match.start() - KEY_WINDOW) : match.start()]
        for pool in (self.current, self.flagged):
            for hit in pool:
                for fact in hit.facts:
                    name = re.sub(r"[（(].*?[)）]", "", fact.key).strip()
                    if len(name) >= 1 and name in context and fact.number is not None:
                        fact_unit = _norm(fact.unit or "")
                        if fact_unit and fact_unit != _norm(unit) or abs(fact.number - float(value)) < 1e-9:
                            continue
                        where = "current" if pool is self.current else "flagged"
                        label = "wrong_value" if where == "current" else "wrong_batch"
                        return Claim(
                            "measurement",
                            match.group(),
                            match.start(),
                            match.end(),
                            label,
                            hit.chunk_id,
                            f"{fact.key} {fact.value}",
                        )
        return claim

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
        extractors: list[tuple[re.Pattern[str], Callable[[re.Match[str]], Claim]]] = [
            (DATE, self._date),
            (MEASUREMENT, lambda m: self._measurement(text, m)),
            (CERTIFICATION, self._certification),
            (CODE, self._code),
            (PLACE, lambda m: self._label(m.group(), "place", m.start(), m.end())),
        ]
        for pattern, extract in extractors:
            for match in pattern.finditer(text):
                if free(*match.span()):
                    out.append(extract(match))
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


def check_grounding(text: str, sku: str, kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Blocking findings for every claim the sku's current, valid documents do not support."""
    return [c.finding() for c in Grounder(kb, sku).claims(text) if c.label != "supported"]
