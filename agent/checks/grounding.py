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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date as Day
from functools import lru_cache
from typing import Any

from agent.checks import grounding_dates as dates
from agent.checks import grounding_places as places
from agent.checks.claims import (
    DIMENSIONS,
    MORE_AFTER,
    Canonical,
    Quantity,
    _rewrite,
    agree,
    canonical,
    cn_number,
    compatible,
    places_of,
    read_mode,
    step_of,
)
from community.errors import NotFound
from knowledge.index import SHARED_SKU, Hit, KnowledgeBase

UNIT_WORDS = [
    "%",
    "％",
    "mg/kg",
    "μg/kg",
    "ug/kg",
    "mg/100g",
    "g/100g",
    "mg/100ml",
    "g/100ml",
    "mg/100mL",
    "g/100mL",
    "mmol/kg",
    "mg/g",
    "kJ",
    "千焦",
    "kcal",
    "千卡",
    "mg",
    "毫克",
    "kg",
    "公斤",
    "g",
    "克",
    "ml",
    "mL",
    "毫升",
    "L",
    "升",
    "公顷",
    "亩",
    "小时",
    "分钟",
    "min",
    "天",
    "个月",
    "月龄",
    "周",
    "年",
    "℃",
    "°C",
    "CFU/g",
    "cfu/g",
    "CFU/ml",
    "个/g",
    "项",
    "只",
    "种",
    "米",
    "μg/kg",
    "g/kg",
    "μg",
    "km",
    "头",
    "口",
    "枚",
    "户",
    "斤",
]
# longest first, so that g/kg is read as g/kg and not as g; 个 and 分 only before a noun or at a word's end
UNIT = "|".join(re.escape(u) for u in sorted(set(UNIT_WORDS), key=len, reverse=True)) + (
    r"|个(?=[\u4e00-\u9fa5])|分(?![\u4e00-\u9fa5])"
)
# units specific enough that the same unit with another number in the documents means a wrong value
SPECIFIC_UNITS = {
    "公顷",
    "亩",
    "小时",
    "min",
    "天",
    "个月",
    "月龄",
    "周",
    "年",
    "℃",
    "只",
    "种",
    "米",
    "项",
    "头",
    "口",
    "个",
    "户",
    "分",
    "km",
}
# a place of work named after its work (加工车间, 生产基地) names no event
WORKPLACE = r"(?!车间|厂|场所|基地|企业|许可|线)"
DATE_WORDS = re.compile(
    rf"灌装|灌(?![溉浆区])|生产{WORKPLACE}|有效|签发|检测|收样|到期|采收|采摘|采制|产蛋|出厂|屠宰|分割|包装{WORKPLACE}|加工{WORKPLACE}|"
    r"收割|取蜜|开镰|装瓶|下蛋|宰|采|产|收"
)
# what a batch's making is called in the documents (a batch "of last year" was made then)
PRODUCED_EVENTS = "生产|灌装|装瓶|产蛋|加工|包装|采制|采摘|屠宰|收割"
# what a document calls the harvest a grain's age is of (新米收割日期, 稻谷收获期)
HARVEST = "收割|收获|秋收|^收$"
# what a year said of honey or tea is of: the honey's taking, the tea's picking (去年的老蜜, 今年的新茶)
HARVESTED = "取蜜|取|采摘|采制|采收|采"
# the events a document's 生产日期 may stand for
PRODUCED = "生产灌装装瓶产蛋下蛋加工包装分割出厂产"
# the word a document uses for the event a host's word names (8月15号开镰 is a harvest date: 收割日期)
DATE_EVENTS = {
    "开镰": "收割|收获|收",
    "收": "收割|收获|收",
    "装瓶": "灌装",
    "下蛋": "产蛋",
    "产": "产蛋|生产|产",
    "宰": "屠宰",
    "采": "采摘|采制|采收|采",
    "灌": "灌装|装瓶",
}
MEASUREMENT = re.compile(rf"(?<![\d.A-Za-z])(\d+(?:\.\d+)?)\s*(多|余|来)?\s*({UNIT})(?![A-Za-z])")
# a price: ¥59, 59元, 39.9块 (prices come from the request or a document, never from nowhere)
PRICE = re.compile(r"(?:[¥￥]\s*(\d+(?:\.\d+)?)|(?<![\d.])(\d+(?:\.\d+)?)\s*(?:多|来)?\s*(?:元|块钱|块))")
# a price named as a comparison (原价, 专柜价): lawful only when a document states it (价格法: no invented 原价)
REFERENCE_PRICE = re.compile(
    r"原价|专柜价?|市场价|日常价|划线价|门店价|超市|商场|别家|外面|官方价|零售价|平时|实体店|线下"
)
# a figure with no unit, said of a measured item (哈夫单位81, GI值40, 品尝评分值91)
# (每毫升菌落才3400个: a count said with 个 at the clause's end is a bare figure of the item named before it)
BARE = re.compile(
    r"(?<![\d.A-Za-z])(\d+(?:\.\d+)?)(?:个(?=[，,。；;！？\s]|$))?(?![\d.个]|\s*[%％A-Za-z\u4e00-\u9fa5/(（])"
)
MEASURE_WORD = re.compile(r"(?:值|指数|单位|评分|得分|分值)(?:只有|是|为|达到|约|高达|才|有)?$")
# words between an item's name and its figure (出粉率只有50%, 保质期是18个月)
FILLER = re.compile(
    r"(?:只有|仅有|才|是|为|达到|高达|约|大约|大概|差不多|有|在|控制在|不超过|不到|不足|低于|高于|超过|不少于|不低于|"
    r"左右|足足|实测|测了|测出来|测出|测得|检测|检出来|检出|检了|一共|总共|了|就|也|都|能|可以)+$"
)
# an item's name ending in a word for its total or content (游离氨基酸总量, 菌落总数, 直链淀粉含量)
ITEM_TOTAL = re.compile(r"^(.{2,}?)(?:总量|总数|含量)$")
# words that name no item of their own (检测值只有0.14 says nothing about which item)
GENERIC_LABELS = {"检测值", "测值", "实测值", "含量", "数值", "结果", "检测结果", "指标", "数据", "检测"}
# words that deny what follows them (没有有机认证, 不是狮峰的茶, 不以“有机”名义)
DENIED = re.compile(
    r"(?:没有|并非|不是|不能再?|不得再?|不再|不以|不用|不使用|未|无|别|非)(?:以|用|叫|是|通过|获得|拿到|有)?[“”\"'「」]?$"
)
STANDARD_LINE = re.compile(r"-?(?:GB|QB|NY|SB|DB|GH)(?:/T)?\d")
# a basis a figure is given on (每100克, 每百毫升, 每15ml), left out when the item named before it is looked for
PER_BASIS = re.compile(r"每\s*(?:\d+(?:\.\d+)?\s*)?(?:g|kg|ml|L|kJ|克|百克|百毫升|毫升|袋|瓶|勺|份|天|人)")
# the content a host says a figure is of: after 含/富含/含有, or before 含量/有/是 (胶原蛋白含量15%, 维生素E有20mg)
CONTENT = re.compile(
    r"(?:(?P<marker>富含|含有|含)(?P<item>[\u4e00-\u9fa5A-Za-z0-9\-]{1,8}?)|(?P<item2>[\u4e00-\u9fa5A-Za-z0-9\-]{1,8}?)"
    r"(?P<marker2>含量)?)(?:含量|有|是|为|，|,)?\s*$"
)
# words that name a nutrient or a substance (叶酸, 花青素, 维生素E, 胶原蛋白, DHA)
NUTRIENT_LIKE = re.compile(r"(?:素|(?<!排)酸|蛋白|糖|醇|碱|酮|酯|纤维|苷|菌|酚|酶|[A-Za-z]{2,}|[A-Za-z]\d*)$")
# what hosts call a measured item and what the reports call it
ITEM_ALIASES = {
    "呕吐毒素": "脱氧雪腐镰刀菌烯醇",
    "DON": "脱氧雪腐镰刀菌烯醇",
    "维C": "维生素C",
    "维E": "维生素E",
    "维A": "维生素A",
    "维D": "维生素D",
    "苯并芘": "苯并[a]芘",
    "黄曲霉素": "黄曲霉毒素",
    "农残": "农药残留",
    "菌落数": "菌落总数",
    "细菌总数": "菌落总数",
    "大肠杆菌": "大肠菌群",
    "HMF": "羟甲基糠醛",
    "淀粉酶值": "淀粉酶活性",
    "热量": "能量",
    "卡路里": "能量",
}
# a figure said of one package (一袋面粉五斤, 这盒两升, 一罐半斤, 这一大袋一斤多) is its net content
NET_CONTENT = re.compile(
    r"(?:一|这|每)(?:大|小|整)?(?:袋|盒|瓶|罐|包|箱|桶|听)(?:(?![里中内的])[\u4e00-\u9fa5]){0,4}?(?:是|有|装|重|净重|净含量)?\s*$"
)
# sample and package counts in a report (5份, 6瓶) are no measurement a bare figure could be of
COUNTS = {"份", "批", "瓶", "罐", "袋", "盒"}
# words that put a certificate in the past (以前有有机证书，现在过期了)
PAST = re.compile(r"以前|此前|之前|曾经|原来|过期|到期了|已到期|失效")
ITEM_ALIAS = re.compile("|".join(sorted(map(re.escape, ITEM_ALIASES), key=len, reverse=True)))
# one-character items a bare figure may be said of (这批铅零点零二五)
ELEMENTS = set("铅钠钙铁锌镉汞砷硒碘镁钾铜锰")
# two-character words that say nothing about which item a figure measures
CONTEXT_STOP = {
    "这批",
    "批次",
    "本批",
    "检测",
    "实测",
    "大概",
    "只有",
    "一共",
    "可以",
    "就是",
    "我们",
    "大家",
    "现在",
    "这款",
    "这个",
    "以上",
    "以下",
    "左右",
    "不到",
    "超过",
    "报告",
    "国标",
    "标准",
    "大约",
    "差不多",
    "每天",
    "的话",
    "一下",
    "已经",
    "还是",
}
PER_100G = re.compile(r"每\s*100\s*(?:克|g)")
OTHER_BATCH_WORDS = re.compile(r"上一批|上批|上一期|之前那批|去年那批|老批次")
BATCH = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{4,6}[A-Z]?(?![A-Za-z0-9])")
# a batch number as hosts type or say it (ev2611a, SY 260612, MK-261121): rewritten when its letters are a batch
# prefix of this sku's documents
LOOSE_BATCH = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})[\s\-]?(\d{4,6})([A-Za-z]?)(?![A-Za-z0-9])")
DATE = re.compile(r"(?<!\d)(?:20\d{2}|-)-\d{1,2}-\d{1,2}(?!\d)")
MONTH_OF_YEAR = re.compile(r"20\d{2}-\d{2}")
DOC_MONTH = re.compile(r"(?<![\d\-])(20\d{2})-(\d{2})(?![\d\-])")
RELATIVE_DAY = re.compile(r"(今年|明年|去年|前年)(?:的)?(\d{1,2})月(\d{1,2})[日号]")
RELATIVE_MONTH = re.compile(r"(今年|明年|去年|前年)(?:的)?--(\d{2})(?![\d\-])")
# a document's chunk that lists what hosts must not say states no fact
FORBIDDEN = re.compile(r"^\s*(?:不要说的|不能说的|禁说)[:：]")
CERTIFICATION = re.compile(
    r"(欧盟|美国|日本|USDA|国际)?\s*(有机[\u4e00-\u9fa5]{0,6}?(认证|产品|食品|码|证书)|有机(鸡蛋|蛋|牛肉|面粉|大米|散养)|"
    r"绿色食品(认证)?|绿色认证|地理标志(产品|保护)?|地标产品|SGS|HACCP|ISO ?\d{4,5}(认证)?|[A-Z]{2,6}认证|检疫合格证明|"
    r"无公害(农产品)?认证|有机(?![会物质肥酸磷机码])[\u4e00-\u9fa5]{1,2}|"
    r"(?:清真|出口|原产地|质量|生态|非转基因|雨林联盟|公平贸易|富硒)认证|免检产品|国家免检)"
)
# an award or a title a product is said to hold (金奖, 一等奖, 名牌产品, 驰名商标, 老字号): a claim like any other, true
# only where a document of the sku says it
AWARD = re.compile(
    r"[金银铜]奖|金牌|大奖|[一二三特]等奖|优秀奖|优质奖|获奖|得奖|奖项|名牌产品|名牌|驰名商标|著名商标|(?:中华)?老字号|"
    r"(?:博览会|大赛|评比|评选)[\u4e00-\u9fa5]{0,2}?(?:冠军|第一名|状元)"
)
# a denial a few words before the award, which DENIED (right before it) does not reach: "没拿过什么金奖"
AWARD_DENIED = re.compile(r"(?:没|不是|不敢说|别说|不要说|不能说)[\u4e00-\u9fa5]{0,6}$")
# what a certificate calls a loosely named certification (地标产品 is 地理标志)
CERT_STEMS = (("有机", "有机"), ("地标", "地理标志"), ("地理标志", "地理标志"), ("检疫", "检疫"))
CODE = re.compile(
    r"(?<![A-Za-z0-9-])(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{7,}(?![A-Za-z0-9-])"
)
PLACE = re.compile(
    "|".join(
        sorted(set(places.NAMES), key=len, reverse=True)
    )  # the gazetteer, agent/checks/grounding_places.py
)
# an origin said as a known place and a smaller one the gazetteer does not know (产自吉林舒兰): the smaller one is
# the claim
ORIGIN_TAIL = re.compile(
    rf"(?:产自|来自|产于|原产于?|出自|采自)\s*(?:{PLACE.pattern})([\u4e00-\u9fa5]{{2}})(?=[。！？，、；\s]|的|产|$)"
)
TAIL_WORDS = set(
    [
        "南部",
        "北部",
        "东部",
        "西部",
        "中部",
        "南边",
        "北边",
        "一带",
        "那边",
        "这边",
        "地区",
        "山区",
        "本地",
        "当地",
        "农村",
        "乡下",
        "深山",
        "山里",
        "大山",
        "高原",
        "平原",
        "草原",
        "牧区",
        "南坡",
        "北坡",
        "农场",
        "牧场",
        "基地",
        "原产",
        "进口",
        "产区",
        "庄园",
        "那里",
        "这里",
        "境内",
        "周边",
        "附近",
        "山上",
        "山中",
        "河边",
    ]
)
# a figure the host denies or corrects (保质期不是36个月，是24个月; 别信网上说的0.5%; 并非0.3%; 网上说的18个月不对) is
# no claim of it; what follows 是 in the same clause (不是36个月而是24个月) still is
NEGATED_BEFORE = re.compile(
    r"(?:不是|并非|而非|别信|不要信|别听|不能信)(?P<between>[^，。！？；,;!?]{0,12})$"
)
NEGATED_AFTER = re.compile(r"^[的]?[^，。！？；,;!?\d]{0,3}?(?:不对|是错的|不准确|不准|是谣言|是假的|是误传)")
NEGATABLE = {"measurement", "date", "batch", "price"}
# what stands between a weight and the item it is of (10g多的脂肪, 12克左右蛋白质)
ITEM_AFTER_FILLER = re.compile(r"^\s*(?:多|左右|上下)?\s*(?:的)?")
KEY_WINDOW = 12  # characters before a figure in which the measured item's name is looked for


# a ratio as ``canonical`` writes it (1:1.5; a range of ratios 100:65到100:70), not a time of day (9:00) or a
# code's part (C18:1)
RATIO = re.compile(
    r"(?<![\d.A-Za-z:])(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)"
    r"(?:\s*(?:到|至|–|-|~|～)\s*(\d+(?:\.\d+)?):(\d+(?:\.\d+)?))?(?![\d.:])"
)
TIME_OF_DAY = re.compile(r"(?:[01]?\d|2[0-4]):[0-5]\d")
# words that make a pair of figures a ratio even where it could be read as a time (按1:1, 比例10:30)
RATIO_CUE = re.compile(r"比例|配比|按|约|大约|大概|差不多|和水|加水|兑")
# a ratio of something mixed or cooked (米和水, 燕麦和牛奶, 和中筋粉混合): a kitchen tip, no product fact when the
# documents give no ratio for it
KITCHEN = re.compile(r"水|奶|煮|冲|泡|调|兑|混|掺|拌|蒸|焖|和面|揉|加")
# the two things a ratio is of (米和水, 燕麦片和水（或牛奶）)
RATIO_PAIR = re.compile(
    r"([\u4e00-\u9fa5]{1,4})(?:和|跟|与|同|加)([\u4e00-\u9fa5]{1,4})(?:[（(]或([\u4e00-\u9fa5]{1,4})[)）])?"
    r"[^，。！？；\n]{0,14}$"
)

# a ratio said as two amounts of two things (一份燕麦配八份水, 一斤面粉配三两多水, 一杯米一杯半水, 一勺米粉配五勺水)
AMOUNT_UNITS = {"斤": (500.0, "g"), "两": (50.0, "g"), "克": (1.0, "g"), "g": (1.0, "g"), "kg": (1000.0, "g")}
AMOUNT_UNIT = r"(斤|两|克|g|kg|碗|杯|勺|份|量勺)"
AMOUNT_NUMBER = r"(\d+(?:\.\d+)?|[一两二三四五六七八九十]+)"
AMOUNTS = re.compile(
    rf"(?<![\d.一两二三四五六七八九十]){AMOUNT_NUMBER}{AMOUNT_UNIT}(半)?([\u4e00-\u9fa5]{{1,3}}?)(?:配|兑|加|对|，|,)?"
    rf"\s*{AMOUNT_NUMBER}{AMOUNT_UNIT}(半)?(多)?(?:的)?(水|牛奶|奶|温水|开水|温开水|热水)"
)

# how many of a thing one package holds (一盒二十四袋, 一箱12瓶, 一罐五小袋): a claim about the product's packing
PACKAGE_COUNT = re.compile(
    r"(?:一|每|这|整)(?:大|小)?(?:盒|箱|罐|提|包|袋|桶)(?:里面|里)?(?:装|有|是|共)?(?:了)?\s*"
    r"(\d+|[一两二三四五六七八九十百]+)\s*(?:小|大)?(袋|瓶|盒|罐|包|支|听|根)"
)

# what the shared documents (the after-sales policy) are about: their figures back a host only on these topics
AFTER_SALES = re.compile(r"退|换货|赔|售后|取货|签收|自提|破损|坏单|无理由|申请|保管|补发")


@dataclass(frozen=True)
class Claim:
    kind: str  # measurement | ratio | count | price | batch | date | certification | award | place | code
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


@lru_cache(maxsize=8192)
def _norm(text: str, spoken: bool = True) -> str:
    """One spelling for what documents and hosts write differently (％/%, mL/ml, 分钟/min, 毫克/mg, 三十六个月/36个月,
    2026年10月16日/2026-10-16 …), without spaces; ``spoken=False`` for a document's text (see ``canonical``)."""
    text = canonical(text, spoken).text
    text = (
        text.replace("％", "%").replace(" ", "").replace("\u3000", "").replace("mL", "ml").replace("°C", "℃")
    )
    text = text.replace("分钟", "min").replace("毫克", "mg").replace("毫升", "ml").replace("千焦", "kJ")
    text = re.sub(r"(?<=\d)(?:公斤|千克)", "kg", re.sub(r"(?<=\d)克", "g", text))
    return re.sub(r"(?<![mμu])g/100g", "%", text)  # a mass fraction: 8.6 g/100g is 8.6%


def _unit(unit: str) -> str:
    """A unit in the canonical spelling _norm gives it (毫克 → mg, g/100g → %)."""
    return _norm(f"0{unit}")[1:] if unit else ""


DOC_UNIT = (
    r"mg/kg|μg/kg|ug/kg|g/kg|mg/100g|mg/100ml|g/100ml|mg/g|mmol/kg|CFU/g|CFU/ml|cfu/g|cfu/ml|μgRE/100g|μgRE|%|mg|μg|"
    r"kg|g|ml|L|kJ|kcal|小时|min|s|℃|公顷|亩|km|米|个月|月龄|周|天|年|只|头|口|项|种|枚|户|个|分|元|份|批|瓶|罐|袋|盒|斤"
)
DOC_FIGURE = re.compile(rf"(?<![\d.A-Za-z])(\d+(?:\.\d+)?)(多|余)?({DOC_UNIT})?(?![\d.])")
DOC_UPPER = re.compile(r"控制在$")
# the lower end of a spoken range, as ``canonical`` writes it (700〜800ml)
SPOKEN_RANGE_LOW = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)〜$")
# the lower end of a written range, as ``canonical`` writes it (20℃–30℃ for 20到30度)
WRITTEN_RANGE_LOW = re.compile(rf"(?<![\d.A-Za-z\-])(\d+(?:\.\d+)?)\s*(?:{UNIT})?\s*–\s*$")


def _doc_figures(text: str) -> list[Quantity]:
    """The figures a (normalised) document text states, each with how it is meant (≤0.8% is a bound, 约78% is
    about, 一千多口 from 1000 up); both ends of a range share the range's bound."""
    out: list[Quantity] = []
    previous: Quantity | None = None
    previous_end = -1
    for m in DOC_FIGURE.finditer(text):
        if m.group(3) == "年" and 1900 <= float(m.group(1)) <= 2100:
            continue  # 2026年 is a year
        before, after = text[max(0, m.start() - 6) : m.start()], text[m.end() : m.end() + 3]
        if m.group(2):
            mode = "+"
        elif DOC_UPPER.search(before):
            mode = "<="
        elif previous is not None and before.endswith("–") and previous.mode != "=":
            mode = previous.mode
        else:
            mode = read_mode(before, after)
        figure = Quantity(
            float(m.group(1)),
            (m.group(3) or "") + (_counted(text, m.end()) if m.group(3) == "个" else ""),
            mode,
            step_of(m.group(1)) if m.group(2) else 0.0,
            places_of(m.group(1)),
        )
        if previous is not None and text[previous_end : m.start()] == "–" and previous.unit == figure.unit:
            # the two ends of a range (0℃–5℃, 42g–52g): each knows the whole range
            span = (previous.value, figure.value)
            out[-1] = replace(previous, span=span)
            figure = replace(figure, span=span)
        out.append(figure)
        previous, previous_end = figure, m.end()
    return out


# what follows the lower end of a written range: its upper end with the same unit (20℃–30℃)
RANGE_HIGH_AFTER = re.compile(rf"\s*–\s*\d+(?:\.\d+)?\s*(?:{UNIT})(?![A-Za-z])")


def _range_low(text: str, start: int) -> re.Match[str] | None:
    """The lower end of the range whose upper end starts at ``start`` (七八百毫升 → 700〜, 20到30度 → 20℃–)."""
    return SPOKEN_RANGE_LOW.search(text[:start]) or WRITTEN_RANGE_LOW.search(text[:start])


def _fits(said: Quantity, stated: Quantity) -> bool:
    """A host's figure and a document's agree: a figure said without a unit is compared by value alone."""
    if not said.unit and stated.unit in COUNTS:
        return False
    if not said.unit and said.mode in ("<", "<=", ">", ">=") and not stated.unit:
        return False  # 不超过230 is not satisfied by the n=5, c=2 of a sampling plan
    if not said.unit:
        return agree(Quantity(said.value, stated.unit, said.mode, said.step), stated)
    return bool(stated.unit) and compatible(said.unit, stated.unit) and agree(said, stated)


def _comparable(said: Quantity, stated: Quantity, unnamed: bool = False, limit: float = 10.0) -> bool:
    """A document's figure that could contradict the host's: the same unit, or the same dimension within a factor
    of ten (一个月 against 20天, not 80mg against a 1kg bag); any figure for a bare one. When the host names no item
    (``unnamed``) the same unit must be within a factor of ten too (传承150年 says nothing against 一年内有效)."""
    if not said.unit:
        return True
    if not stated.unit or not compatible(said.unit, stated.unit):
        return False
    if said.unit == stated.unit and not unnamed:
        return True
    a, b = said.base(), stated.base()
    return a is None or b is None or (b[1] > 0 and 1 / limit <= a[1] / b[1] <= limit)


# words a host and a document use for one topic (放在阴凉处 ~ 储存, 晒了半年 ~ 发酵期): each counts as the topic
TOPICS = (
    (re.compile(r"放|存|储|保存|冷藏|冷冻|常温|室温|阴凉"), "存放"),
    (re.compile(r"晒|酿|发酵|缸"), "发酵"),
    (re.compile(r"开封|拆开|打开|开瓶|开盖|开罐|开袋|拆封"), "开封"),
    (re.compile(r"冲|调|兑|温水|开水|热水"), "冲调"),
    (re.compile(r"煮|焖|蒸|炒|炸|烤|烟点|油温|火"), "烹饪"),
)


# the topics whose words are synonyms enough to tie a host's figure to a document's in another spelling
SYNONYM_TOPICS = {"发酵", "开封"}


def _topic_grams(text: str) -> set[str]:
    """The two-character words of ``text`` and the topics its words name (see TOPICS)."""
    grams = {
        text[i : i + 2] for i in range(len(text) - 1) if re.fullmatch(r"[\u4e00-\u9fa5]{2}", text[i : i + 2])
    }
    return (grams - CONTEXT_STOP) | {topic for pattern, topic in TOPICS if pattern.search(text)}


def _shown(figure: Quantity) -> str:
    """A document figure as the finding names it: a range with both its ends (0℃–5℃)."""
    if figure.span is not None:
        return f"{figure.span[0]:g}{figure.unit}–{figure.span[1]:g}{figure.unit}"
    return f"{figure.value:g}{figure.unit}"


# a duration of eating the package up (十来天吃完, 一个月就能吃完), not a use-by limit (30天内用完)
PACE_AFTER = re.compile(
    r"\s*(?:左右|上下)?(?:就|也就|差不多|基本)?(?:能|可以|刚好|正好)?(?:吃完|用完|喝完|吃光|用光)"
)
# a use-by limit (20天内吃完, 30天之内用完)
USE_BY = re.compile(
    r"\d+(?:\.\d+)?\s*(?:天|周|个月|小时|min)(?:以内|之内|内)(?:就|要|得|尽快)?(?:吃完|用完|喝完)"
)
# a package or a household the pace is of (一盒, 一家三口, 两口子, 一个人)
HOUSEHOLD = re.compile(
    r"[一两二三四五这每](?:盒|袋|瓶|罐|箱|桶|包|提|斤)|一家|家里|两口子|老两口|一个人|[一两三四五]口人|[3-5]口"
)
# words about opening, preparing or keeping it, where a time to eat it up is a use-by limit
KEEPING = re.compile(
    r"开封|拆开|拆封|打开|开瓶|开罐|开袋|冲好|泡好|煮好|做好|剩|保质|保存|冷藏|常温|放冰箱|能放|可以放"
)
DIMENSIONS_OF = {unit: dim for unit, (dim, _) in DIMENSIONS.items()}
# a kitchen verb before a figure of its clause (冲50毫升, 加200毫升牛奶, 闷5分钟, 凉拌放10毫升; not 放在15到25度, 加工)
USAGE_VERB = r"(?:冲|水温|(?<![添增追])加(?!工|盟|了|过|的)|兑|倒|淋|调(?!整|味)|泡|煮|焖|闷|蒸(?!汽)|烤|炒|炖|拌|(?<![存摆])放(?!在|冰箱|阴凉|到|了|置|超过))"
USAGE_BEFORE = re.compile(USAGE_VERB + r"[^\d]{0,4}$")
# the clause before, when the figure's own clause carries it on (淋一小勺，大概10毫升)
USAGE_CLAUSE = re.compile(USAGE_VERB + r"[^\d]*$")
# the water or milk a figure is of (70度的温水, 50毫升温水)
USAGE_AFTER = re.compile(r"\s*(?:左右|上下)?(?:的)?(?:温开水|温水|开水|热水|凉水|清水|纯净水|水|热牛奶|牛奶)")
# the words around a document's usage figure (加约25ml、70℃左右的温开水; 盖上盖子闷5分钟; 小火煮3–5分钟)
# the verbs of a kitchen step a host and a document may share (焖 and 闷 are one)
KITCHEN_VERBS = re.compile(r"冲|泡|煮|焖|闷|蒸|烤|炒|炖|淋|兑|拌")
DOC_USAGE = re.compile(r"冲|加入?|兑|配|水温|温开水|温水|开水|热水|煮|闷|焖|泡|调|淋|炒|烤|蒸(?!汽)")


# a clause about a certificate (有机证书, 认证, 发证), not a test report
CERTIFICATE_WORDS = re.compile(r"证书|认证|发证|换证|拿证|下证|有机证")
REPORT_WORDS = re.compile(r"报告|检测|送检|抽检|复检")
# what a certificate's date is of: its issue (发的, 颁发, 签发, 下来的, 拿到) or its end (到期, 有效期, 过期)
CERTIFICATE_ISSUED = re.compile(
    r"发证|颁发|签发|发的|发下来|下来的|下的证|拿到|拿的|获得|取得|获证|办的|办下来|发"
)
CERTIFICATE_UNTIL = re.compile(r"到期|有效期|过期|失效|有效到|截止|为止")


def _certificate_event(text: str, start: int, end: int) -> str | None:
    """ "issued" or "until" when the date at [start, end) is a certificate's issue or expiry date by the words of its
    clause (有机证书是2026年9月10号发的; 证书有效期到2027年9月9号), else None."""
    lo = max(text.rfind(stop, 0, start) for stop in "，,；;。！？\n") + 1
    his = [i for i in (text.find(stop, end) for stop in "，,；;。！？\n") if i >= 0]
    hi = min(his) if his else len(text)
    before, after = text[lo:start], text[end:hi]
    sentence_before = re.split(r"[。！？\n]", text[:start])[-1]
    if REPORT_WORDS.search(before) or not CERTIFICATE_WORDS.search(sentence_before + after):
        return None
    if REPORT_WORDS.search(after) or (
        not CERTIFICATE_WORDS.search(before + after) and REPORT_WORDS.search(sentence_before)
    ):
        return None
    # the words right after the date say it first (9月10号发的，明年9月到期), then those before it in its clause
    for words in (after[:6], before[-8:]):
        until, issued = CERTIFICATE_UNTIL.search(words), CERTIFICATE_ISSUED.search(words)
        if until and (not issued or until.start() <= issued.start()):
            return "until"
        if issued:
            return "issued"
    return None


def _counted(text: str, end: int) -> str:
    """The noun a 个 counts (个国家, 个项目, 个蛋): up to two characters."""
    found = re.match(r"[\u4e00-\u9fa5]{1,2}", text[end:])
    return found.group() if found else ""


def _stated(said: Quantity, figures: list[Quantity]) -> list[Quantity]:
    """The figures an exact claim is checked against: a table row's results, not its limits (品尝评分值 ≥90分 91分:
    the 90 is the standard's), unless the row states only a bound (湿面筋 ≥32%)."""
    if said.mode not in ("=", "~", "[]"):
        return figures
    exact = [f for f in figures if f.mode in ("=", "~", "+") and _comparable(said, f) and f.unit]
    return exact or figures


def _before(doc: str, at: int) -> str:
    """The words a document puts before a figure: ten characters, or a table row from its start."""
    line_start = doc.rfind("\n", 0, at) + 1
    if doc[line_start : line_start + 1] == "|":
        return doc[max(line_start, at - 60) : at]
    low = re.search(r"\d+(?:\.\d+)?[^\d–\s]{0,6}–$", doc[max(0, at - 20) : at])
    if low:  # a range's upper end: the words before the range
        at -= len(low.group())
    return doc[max(0, at - 10) : at]


APPROX_WORDS = re.compile(r"(?:约|大约|大概|差不多|估计|按照?)\s*$")
APPROX_AFTER_WORDS = re.compile(r"\s*(?:左右|上下|的样子)")


def _amount(number: str, half: str | None, unit: str) -> tuple[float, str] | None:
    """An amount in one unit: 一斤 → 500 g, 三两 → 150 g, 一杯半 → 1.5 杯; None when it is no number."""
    value = float(number) if re.fullmatch(r"\d+(?:\.\d+)?", number) else None
    if value is None:
        digits = cn_number(number)
        value = float(digits) if digits is not None else None
    if value is None:
        return None
    value += 0.5 if half else 0.0
    scale, base = AMOUNT_UNITS.get(unit, (1.0, unit))
    return value * scale, base


def _digits_of(number: str) -> int | None:
    """24 for "24" or "二十四"; None when it is no whole number."""
    if number.isdigit():
        return int(number)
    value = cn_number(number)
    return int(value) if value is not None and value.isdigit() else None


def _prices(prices: tuple[str, ...] | list[str]) -> list[float]:
    """The request's prices as values (¥59 → 59.0)."""
    return [v for v in (_price_value(p) for p in prices if p) if v is not None]


def _ratio_values(m: re.Match[str]) -> tuple[float, float] | None:
    """A RATIO match as its second-to-first value, low and high (1:1.5 → 1.5, 1.5; 100:65到100:70 → 0.65, 0.7)."""
    pairs = [(m.group(1), m.group(2))] + ([(m.group(3), m.group(4))] if m.group(3) else [])
    values = [float(b) / float(a) for a, b in pairs if float(a) > 0]
    if len(values) != len(pairs):
        return None
    return min(values), max(values)


def _clock(m: re.Match[str]) -> bool:
    """Whether a RATIO match reads as a time of day or a span of hours (9:00, 9:00到21:00)."""
    pairs = [f"{m.group(1)}:{m.group(2)}"] + ([f"{m.group(3)}:{m.group(4)}"] if m.group(3) else [])
    return all(TIME_OF_DAY.fullmatch(p) for p in pairs)


def _paired(host: tuple[str, str], doc: tuple[str, str, str | None], reverse: bool) -> bool:
    """Whether a host and a document name a ratio's two things alike (米和水 / 米和水), or in the other order with
    ``reverse`` (水和燕麦 / 燕麦片和水): one name inside the other, or the same last character."""

    def same(a: str, b: str) -> bool:
        return bool(a) and bool(b) and (a in b or b in a or a[-1] == b[-1])

    def thing(name: str) -> str:  # 想松软就(跟中筋粉): a preposition's 跟/和 names no first thing
        return re.sub(r"^.*(?:的|就|想|要|再|也|都|还|可以|把|用|按)", "", name)

    h1, h2, d1 = thing(host[0]), host[1], thing(doc[0])
    seconds = [doc[1], *([doc[2]] if doc[2] else [])]  # 水（或牛奶）: either
    if reverse:
        return bool(h1 and d1) and any(same(h1, d) for d in seconds) and same(h2, d1)
    return (not h1 or not d1 or same(h1, d1)) and any(same(h2, d) for d in seconds)


def _price_value(text: str) -> float | None:
    """59 for "¥59", "59元", "59.0 元"; None when the text is no price."""
    found = re.search(r"\d+(?:\.\d+)?", text.replace(",", ""))
    return float(found.group()) if found else None


JUDGED_TEXTS = 1024  # texts whose claims a grounder keeps


class Grounder:
    """Claims of one text checked against one sku's chunks (current, other batches, expired)."""

    def __init__(self, kb: KnowledgeBase, sku: str, prices: tuple[str, ...] = ()) -> None:
        self.sku = sku
        # the prices the request set (团购价 ¥59): a price in the copy must be one of them or stand in a document
        self.prices = _prices(prices)
        hits = kb.chunks_for_sku(sku)
        # a chunk listing what hosts must not say (不要说的：“有机鸡蛋”…) states nothing a claim could rest on
        stating = [h for h in hits if not FORBIDDEN.match(h.text)]
        self.current = [h for h in stating if not h.flags and h.sku == sku]
        self.flagged = [h for h in stating if h.flags and h.sku == sku]
        self.shared = [h for h in stating if h.sku == SHARED_SKU]
        self.batch_on_sale = kb.current_batches().get(sku)
        self.today = kb.today()
        self._ends: list[tuple[Day, Hit, bool]] | None = None
        self._norm = {h.chunk_id: _norm(h.text) for h in hits}
        self._figures: dict[str, list[tuple[Quantity, int]]] = {}
        self._judged: dict[str, tuple[Claim, ...]] = {}  # text → its claims (see ``claims``)
        names = {re.sub(r"[（(].*?[)）]", "", f.key).strip() for h in hits for f in h.facts}
        names |= {part for n in names for part in n.split() if len(part) >= 2}
        # the name without the 总量/总数/含量 hosts leave off (游离氨基酸 of 游离氨基酸总量, 菌落 of 菌落总数)
        names |= {m.group(1) for n in list(names) for m in [ITEM_TOTAL.match(n)] if m}
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
        batches = {h.batch for h in hits if h.batch} | ({self.batch_on_sale} if self.batch_on_sale else set())
        self._batch_prefixes = {b[:2].upper() for b in batches if b}
        # batch numbers the documents name in passing (上一批 EV2604B) count too
        self._batches = {b.upper() for b in batches if b} | {
            b for h in hits for b in BATCH.findall(h.text) if b[:2] in self._batch_prefixes
        }
        support = " ".join(h.text for h in self.current + self.shared)
        self._places = places.places_in(support)
        self._support = _norm(support)
        self._everything = _norm(" ".join(h.text for h in hits))
        # two-character words found in many of this sku's chunks (its name: 燕麦, 米粉) say nothing about which item
        # a figure measures
        counts: dict[str, int] = {}
        for h in hits:
            if h.sku == sku:
                for gram in set(re.findall(r"(?=([\u4e00-\u9fa5]{2}))", self._norm[h.chunk_id])):
                    counts[gram] = counts.get(gram, 0) + 1
        own = sum(1 for h in hits if h.sku == sku)
        self._common = {g for g, n in counts.items() if n >= max(3, 0.3 * own)}

    def _canonical(self, text: str) -> Canonical:
        """The host's text in the documents' spelling, batch numbers too (ev2611a, SY 260612 → EV2611A, SY260612)."""

        def batch(m: re.Match[str]) -> str | None:
            if m.group(1).upper() not in self._batch_prefixes:
                return None
            return f"{m.group(1)}{m.group(2)}{m.group(3)}".upper()

        spelled = _rewrite(canonical(text), LOOSE_BATCH, batch)
        years = {"今年": 0, "明年": 1, "去年": -1, "前年": -2}
        spelled = _rewrite(  # 今年4月 (今年--04) is 2026-04
            spelled,
            RELATIVE_MONTH,
            lambda m: f"{self.today.year + years[m.group(1)]}-{m.group(2)}",
        )
        spelled = _rewrite(  # 明年11月4号 is 2027-11-04
            spelled,
            RELATIVE_DAY,
            lambda m: (
                f"{self.today.year + years[m.group(1)]}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
                if 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31
                else None
            ),
        )
        return _rewrite(spelled, ITEM_ALIAS, lambda m: ITEM_ALIASES[m.group()])

    def _chunk_figures(self, hit: Hit) -> list[tuple[Quantity, int]]:
        """Every figure of a chunk with where it stands (cached)."""
        if hit.chunk_id not in self._figures:
            text = self._norm[hit.chunk_id]
            found = [
                m.start()
                for m in DOC_FIGURE.finditer(text)
                if not (m.group(3) == "年" and 1900 <= float(m.group(1)) <= 2100)
            ]
            figures = list(zip(_doc_figures(text), found, strict=True))
            # a line citing a standard (- GB 23200.113-2018 …208种农药…) states nothing about the product
            self._figures[hit.chunk_id] = [
                (f, at) for f, at in figures if not STANDARD_LINE.match(text, text.rfind("\n", 0, at) + 1)
            ]
        return self._figures[hit.chunk_id]

    def _find(self, needle: str, pool: list[Hit]) -> Hit | None:
        """A chunk that says ``needle``, not only in a sentence about another batch (上一批是 RI260815，生产日期…)."""
        return next(self._find_all(needle, pool), None)

    def _find_all(self, needle: str, pool: list[Hit]) -> Iterator[Hit]:
        """Every chunk of ``pool`` that says ``needle`` (as :meth:`_find`), in order."""
        wanted = _norm(needle)
        if not wanted:
            return
        digit = wanted[0].isdigit()
        for h in pool:
            text = self._norm[h.chunk_id]
            at = text.find(wanted)
            while at >= 0:
                whole = not digit or at == 0 or not (text[at - 1].isdigit() or text[at - 1] == ".")
                if whole and (h.flags or not self._other_batch(text, at, at + len(wanted))):
                    yield h
                    break
                at = text.find(wanted, at + 1)

    def _label(self, needle: str, kind: str, start: int, end: int) -> Claim:
        hit = self._find(needle, self.current) or self._find(needle, self.shared)
        if hit:
            return Claim(kind, needle, start, end, "supported", hit.chunk_id)
        old = self._find(needle, self.flagged) or self._stated_for_other_batch(needle)
        if old:
            label = "expired" if "expired" in old.flags else "wrong_batch"
            expected = f"在售批次为 {self.batch_on_sale}" if self.batch_on_sale else None
            return Claim(kind, needle, start, end, label, old.chunk_id, expected)
        return Claim(kind, needle, start, end, "invented", None)

    def _stated_for_other_batch(self, needle: str) -> Hit | None:
        """A current chunk that says ``needle`` only of another batch (its FAQ on the last batch)."""
        return self._find_any(needle, self.current)

    def _find_any(self, needle: str, pool: list[Hit]) -> Hit | None:
        """A chunk that says ``needle`` anywhere (a figure as a whole number: 5g is not in 250g)."""
        wanted = _norm(needle)
        if not wanted:
            return None
        for h in pool:
            text = self._norm[h.chunk_id]
            for m in re.finditer(re.escape(wanted), text):
                if not wanted[0].isdigit() or m.start() == 0 or not re.match(r"[\d.]", text[m.start() - 1]):
                    return h
        return None

    def _items(self, text: str, start: int) -> list[str]:
        """The measured items the sentence names just before a figure (酸度 in 酸度0.2%), longest first."""
        context = re.split(r"[，,；;。！？\n]", text[max(0, start - KEY_WINDOW) : start])[
            -1
        ]  # the figure's clause
        return [n for n in self.item_names if n in context]

    def _items_after(self, text: str, end: int, said: Quantity) -> list[str]:
        """The measured item a weight is said of right after it (一袋就有10g多脂肪, 含12克蛋白质), longest first."""
        if (said.base() or ("", 0.0))[0] != "mass":
            return []
        after = ITEM_AFTER_FILLER.sub("", text[end : end + KEY_WINDOW], count=1)
        return [n for n in self.item_names if len(n) >= 2 and after.startswith(n)]

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

    def _sentence(self, text: str, start: int, end: int) -> str:
        lo = max(text.rfind(stop, 0, start) for stop in "。！？\n")
        his = [i for i in (text.find(stop, end) for stop in "。！？\n") if i >= 0]
        return text[lo + 1 : min(his) if his else len(text)]

    def _other_batch(self, text: str, start: int, end: int) -> bool:
        """True when the sentence around a figure speaks of another batch (上一批 EV2604B 酸度0.3%)."""
        lo = max(text.rfind(stop, 0, start) for stop in "。！？\n")
        his = [i for i in (text.find(stop, end) for stop in "。！？\n") if i >= 0]
        sentence = text[lo + 1 : min(his) if his else len(text)]
        if any(b != self.batch_on_sale and b in self._batches for b in BATCH.findall(sentence)):
            return True
        return bool(OTHER_BATCH_WORDS.search(sentence))

    def _near(self, said: Quantity, item: str, pool: list[Hit]) -> Hit | None:
        """A chunk that states a figure agreeing with the host's right after the item's name, and not for
        another batch. A bound is checked against the bound the documents set for the item when they set one in
        prose or a spec line (不少于180天 answers 不少于90天, not 发酵180天); a table row's bound is a standard's."""
        windows: list[tuple[Hit, list[Quantity], bool]] = []
        for hit in pool:
            text = self._norm[hit.chunk_id]
            for m in re.finditer(re.escape(_norm(item)), text):
                if self._other_batch(text, m.start(), m.end()):
                    continue
                table = text[text.rfind("\n", 0, m.start()) + 1 :].startswith("|")
                windows.append((hit, _stated(said, _doc_figures(self._window(text, m.end()))), table))
        bound = said.mode in ("<", "<=", ">", ">=")
        side = said.mode[:1]
        set_bound = bound and any(
            not table and f.mode[:1] == side and f.mode in ("<", "<=", ">", ">=") and _comparable(said, f)
            for _, figures, table in windows
            for f in figures
        )
        for hit, figures, _table in windows:
            if set_bound:
                figures = [f for f in figures if f.mode[:1] == side and f.mode in ("<", "<=", ">", ">=")]
            if any(_fits(said, f) for f in figures):
                return hit
        return None

    def _said_otherwise(self, item: str, said: Quantity, pool: list[Hit]) -> tuple[Hit, str] | None:
        """A chunk that states the item with another figure of the same kind (出粉率控制在65%左右)."""
        for hit in pool:
            text = self._norm[hit.chunk_id]
            for m in re.finditer(re.escape(_norm(item)), text):
                # 每100g is a basis, not the item's figure
                window = PER_BASIS.sub("", self._window(text, m.end()))
                figures = _doc_figures(window)
                if any(_fits(said, f) for f in figures):
                    continue
                other = next((f for f in figures if _comparable(said, f)), None)
                if other is not None:
                    return hit, f"{item} {_shown(other)}"
        return None

    def _fact_says(self, item: str, said: Quantity, pool: list[Hit]) -> Hit | None:
        """A chunk whose extracted fact for this item has this figure (tables often put the unit in the header)."""
        for hit in pool:
            for fact in hit.facts:
                if fact.number is None or item not in fact.key:
                    continue
                if any(_fits(said, f) for f in _stated(said, self._fact_figures(fact, said))):
                    return hit
        return None

    def _fact_figures(self, fact: Any, said: Quantity) -> list[Quantity]:
        """A fact's figures (5份均≤120 CFU/g: the 120 CFU/g bound); a fact whose figure has no unit (a table with
        the unit in its header) takes the host's."""
        figures = [f for f in _doc_figures(_norm(fact.value or "")) if f.unit]
        if figures:
            return figures
        unit = _unit(fact.unit) if fact.unit else said.unit
        bound = re.match(r"\s*(≤|≥|<|>)", fact.value or "")
        mode = {"≤": "<=", "≥": ">=", "<": "<", ">": ">"}[bound.group(1)] if bound else "="
        return [Quantity(float(fact.number), unit, mode)]

    def _anywhere(self, said: Quantity, pool: list[Hit]) -> Hit | None:
        """A chunk of this sku stating a figure that agrees with the host's in another spelling (一个月 for
        30天, 382千卡 for 1597kJ); a bound only agrees with a bound."""
        if not said.unit:
            return None
        bound = said.mode in ("<", "<=", ">", ">=")
        if not bound and said.unit in self._doc_units(pool) and not self._other_spellings(said, pool):
            return None  # the same spelling: a plain look-up has already been made
        for hit in pool:
            text = self._norm[hit.chunk_id]
            for figure, at in self._chunk_figures(hit):
                if bound and figure.mode in ("=", "~", "+"):
                    continue
                if _fits(said, figure) and (hit.flags or not self._other_batch(text, at, at + 1)):
                    return hit
        return None

    def _host_grams(self, text: str, start: int) -> set[str]:
        """The two-character words right before a host's figure that could name what it measures (before the
        range, for a range's upper end)."""
        low = re.search(r"\d+(?:\.\d+)?[^\d–\s]{0,6}–$", text[:start])
        if low:
            start = low.start()
        # within the host's sentence: the end of the line before is no word of this figure's
        context = re.split(r"[\n。！？!?；;]", text[max(0, start - 8) : start])[-1]
        context = FILLER.sub("", context)
        grams = {context[i : i + 2] for i in range(len(context) - 1)}
        return {
            g
            for g in grams
            if re.fullmatch(r"[\u4e00-\u9fa5]{2}", g) and g not in CONTEXT_STOP and g not in self._common
        }

    def _said_alike(self, text: str, start: int, plain: str, chunk_id: str | None) -> bool:
        """Whether the document states ``plain`` after words the host also uses (or the host names nothing)."""
        grams = self._host_grams(text, start)
        if not grams or chunk_id is None:
            return True
        doc = self._norm.get(chunk_id, "")
        wanted = _norm(plain)
        at = doc.find(wanted)
        while at >= 0:
            if any(g in _before(doc, at) for g in grams):
                return True
            at = doc.find(wanted, at + 1)
        return False

    def _other_spellings(self, said: Quantity, pool: list[Hit]) -> bool:
        """Whether ``pool`` writes a count of the host's kind with another word too (30枚 for 30个蛋, where 150个蛋
        is written as the host says it); measures (天 and 年, g and kg) are compared by the look-ups already made."""
        if said.unit in DIMENSIONS:
            return False
        return any(u != said.unit and u and compatible(said.unit, u) for u in self._doc_units(pool))

    def _doc_units(self, pool: list[Hit]) -> set[str]:
        return {figure.unit for hit in pool for figure, _ in self._chunk_figures(hit)}

    def _context_match(self, text: str, start: int, said: Quantity) -> tuple[str, Hit, str] | None:
        """The document figures of the same kind whose words before them share a two-character word with the
        host's words before the figure (常温放一个月 ~ 常温（25℃以下）20天): supported if one agrees, otherwise the
        first is what the documents say instead."""
        grams = self._host_grams(text, start)
        if USE_BY.match(text, start):
            # 常温放在20到25度，20天内吃完: a time to eat it up is of the keeping the sentence spoke of before it
            sentence = re.split(r"[\n。！？!?；;]", text[max(0, start - 20) : start])[-1]
            grams |= {
                g
                for g in (sentence[i : i + 2] for i in range(len(sentence) - 1))
                if re.fullmatch(r"[\u4e00-\u9fa5]{2}", g) and g not in CONTEXT_STOP and g not in self._common
            }
        after = re.sub(r"^[\d.]*\s*\S?", "", text[start : start + 12])
        after_grams = {
            g
            for g in (after[i : i + 2] for i in range(min(len(after), 6) - 1))
            if re.fullmatch(r"[\u4e00-\u9fa5]{2}", g) and g not in CONTEXT_STOP
        }
        # the topic the host's clause names in other words than the documents (晒了半年 ~ 发酵期不少于180天)
        clause = re.split(r"[，,；;。！？\n]", text[max(0, start - KEY_WINDOW) : start])[-1]
        topics = {topic for pattern, topic in TOPICS if topic in SYNONYM_TOPICS and pattern.search(clause)}
        if not grams and not after_grams and not topics:
            return None
        first: tuple[Hit, Quantity] | None = None
        matched: list[tuple[list[Hit], Hit, Quantity, int]] = []
        for pool in (self.current, self.flagged):
            for hit in pool:
                doc = self._norm[hit.chunk_id]
                for figure, at in self._chunk_figures(hit):
                    if not _comparable(said, figure, unnamed=True, limit=30.0) or not said.unit:
                        continue
                    following = doc[at : at + 14]
                    before = _before(doc, at)
                    if (
                        any(g in before for g in grams)
                        or any(g in following for g in after_grams)
                        or topics & _topic_grams(before)
                    ):
                        matched.append((pool, hit, figure, at))
        side = said.mode[:1]
        if said.mode in ("<", "<=", ">", ">=") and any(
            f.mode in ("<", "<=", ">", ">=") and f.mode[:1] == side
            for _, h, f, at in matched
            if not self._norm[h.chunk_id][self._norm[h.chunk_id].rfind("\n", 0, at) + 1 :].startswith("|")
        ):
            # the documents set a bound for it: 不少于90天 is checked against 不少于180天, not 发酵180天
            matched = [m for m in matched if m[2].mode in ("<", "<=", ">", ">=") and m[2].mode[:1] == side]
        for pool, hit, figure, at in matched:
            doc = self._norm[hit.chunk_id]
            if _fits(said, figure):
                if pool is self.current and not self._other_batch(doc, at, at + 1):
                    return "supported", hit, ""
                if pool is self.flagged:
                    return self._stale(hit), hit, f"在售批次为 {self.batch_on_sale}"
                continue
            if first is None and pool is self.current:
                first = (hit, figure)
        if first is not None:
            return "wrong_value", first[0], _shown(first[1])
        return None

    def _usage_tip(self, text: str, start: int, end: int, said: Quantity) -> bool:
        """Whether a figure is how to prepare or use the product (冲50毫升温水, 闷5分钟, 用70度的水冲, 凉拌放10毫升):
        an amount, a temperature or a short time after a kitchen verb of its clause or before the water it is of."""
        dimension = DIMENSIONS_OF.get(said.unit)
        if not (dimension in ("mass", "volume") or said.unit == "℃" or said.unit in ("min", "s", "小时")):
            return False
        clauses = re.split(r"[，,；;。！？\n]", text[max(0, start - 16) : start])
        verb = USAGE_BEFORE.search(clauses[-1][-8:])
        if not verb and len(clauses) > 1 and not FILLER.sub("", clauses[-1].strip()):
            verb = USAGE_CLAUSE.search(
                clauses[-2][-8:]
            )  # 淋一小勺，大概10毫升: the clause carries on the one before
        if verb and verb.group().startswith("放") and dimension not in ("mass", "volume"):
            verb = None  # 放2小时, 放在25度: keeping it, not using it (放10毫升 is using it)
        return bool(verb or USAGE_AFTER.match(text, end))

    def _usage(self, said: Quantity, before: str = "") -> tuple[str, Hit, str | None] | None:
        """A usage figure against the usage figures of the product's valid documents (加约25ml、70℃左右的温开水; 闷5
        分钟): supported when one agrees, otherwise the first is what the documents say instead; None when they give
        no usage figure of that kind. When the host's verb (``before`` the figure: 焖个, 泡) is one a document puts
        right before some of its figures, only those count (焖10分钟, not 泡20–30分钟)."""
        verbs = set(KITCHEN_VERBS.findall(before))
        if verbs & {"焖", "闷"}:
            verbs |= {"焖", "闷"}
        found: list[tuple[Hit, Quantity, bool]] = []
        for hit in self.current + self.shared:
            doc = self._norm[hit.chunk_id]
            for figure, at in self._chunk_figures(hit):
                if not figure.unit or not compatible(said.unit, figure.unit):
                    continue
                low = re.search(r"\d+(?:\.\d+)?[^\d–\s]{0,6}–$", doc[max(0, at - 20) : at])
                lead = _before(doc, at - len(low.group()) if low else at)
                words = lead + doc[at : at + 12]
                if not DOC_USAGE.search(words) or self._other_batch(doc, at, at + 1):
                    continue
                found.append((hit, figure, any(v in lead[-6:] for v in verbs)))
        if any(same for _, _, same in found):
            found = [f for f in found if f[2]]
        for hit, figure, _ in found:
            if _fits(said, figure):
                return "supported", hit, None
        if not found:
            return None
        return "wrong_value", found[0][0], _shown(found[0][1])

    def _pace(self, text: str, match: re.Match[str]) -> bool:
        """Whether a duration says how fast a household gets through the package (一盒30枚一家三口十来天吃完, 一袋
        五斤一个月吃完): followed by 吃完/用完/喝完 without 内 (a use-by limit: 开封后30天内用完), in a sentence about
        a package or a household and not about opening or preparing it."""
        if not (match.re is MEASUREMENT and DIMENSIONS_OF.get(_unit(match.group(3))) == "duration"):
            return False
        if not PACE_AFTER.match(text, match.end()):
            return False
        sentence = self._sentence(text, match.start(), match.end())
        return bool(HOUSEHOLD.search(sentence)) and not KEEPING.search(sentence)

    def _range_claim(self, text: str, start: int, said: Quantity) -> tuple[str, Hit, str | None] | None:
        """A range the host says (20到30度) against the document figures of the same kind: the one whose words
        before it share most with the host's (冷藏, 放) decides. When it is a range (冷藏0℃–5℃) the host's range is
        supported if it lies inside, otherwise the range is what the documents say instead; when it is a single
        figure or a bound (常温（25℃以下）), or there is none, None: compared as before."""
        host = _topic_grams(re.split(r"[，,；;。！？\n]", text[max(0, start - 10) : start])[-1])
        best: tuple[int, int, Hit, Quantity] | None = None
        for order, hit in enumerate(self.current):
            doc = self._norm[hit.chunk_id]
            for figure, at in self._chunk_figures(hit):
                if not figure.unit or not compatible(said.unit, figure.unit):
                    continue
                if figure.span is not None and figure.value != figure.span[1]:
                    continue  # a range is looked at once, at its upper end
                if self._other_batch(doc, at, at + 1):
                    continue
                low = re.search(r"\d+(?:\.\d+)?[^\d–\s]{0,6}–$", doc[max(0, at - 20) : at])
                words = _topic_grams(_before(doc, at - len(low.group()) if low else at))
                score = len(host & words)
                if (
                    best is None
                    or (score, -order) > (best[0], best[1])
                    or (score == best[0] and agree(said, figure) and not agree(said, best[3]))
                ):
                    best = (score, -order, hit, figure)
        if best is None or best[3].span is None:
            return None  # the documents' closest figure is a single one or a bound: compared as before
        _, _, hit, figure = best
        if agree(said, figure):
            return "supported", hit, None
        return "wrong_value", hit, _shown(figure)

    def _ratios(self, hits: list[Hit]) -> Iterator[tuple[Hit, float, float, int, str]]:
        """The ratios current chunks state, each as its lowest and highest second-to-first value, where it stands
        and how it is shown (1:1.2; 100:65到100:70 is 0.65 to 0.7)."""
        for hit in hits:
            doc = self._norm[hit.chunk_id]
            for m in RATIO.finditer(doc):
                values = _ratio_values(m)
                if values is None or self._other_batch(doc, m.start(), m.end()):
                    continue
                if _clock(m) and not RATIO_CUE.search(doc[max(0, m.start() - 6) : m.start()]):
                    continue
                yield hit, values[0], values[1], m.start(), m.group()

    def _ratio(self, text: str, match: re.Match[str]) -> Claim | None:
        """A ratio (米和水一比一点五): see :meth:`_judge_ratio`. A time of day (9:00) is no ratio."""
        said = _ratio_values(match)
        before = text[max(0, match.start() - 8) : match.start()]
        if said is None or (_clock(match) and not RATIO_CUE.search(before)):
            return None
        clause = re.split(r"[。！？；;\n]", text[: match.start()])[-1]
        host_pair = RATIO_PAIR.search(clause)
        names = (host_pair.group(1), host_pair.group(2)) if host_pair else None
        approximate = bool(APPROX_WORDS.search(before) or APPROX_AFTER_WORDS.match(text, match.end()))
        return self._judge_ratio(text, match.start(), match.end(), said, names, approximate)

    def _amounts(self, text: str, match: re.Match[str]) -> Claim | None:
        """A ratio said as two amounts (一份燕麦配八份水, 一斤面粉配三两多水, 一杯米一杯半水): the second over the first,
        in one unit (斤 and 两 are 500 g and 50 g; a cup is only as much as another cup)."""
        first = _amount(match.group(1), match.group(3), match.group(2))
        second = _amount(match.group(5), match.group(7), match.group(6))
        if first is None or second is None or first[1] != second[1] or first[0] <= 0:
            return None
        # 三两多: from three liang up to four
        step = (AMOUNT_UNITS.get(match.group(6), (1.0, ""))[0] if match.group(8) else 0.0) / first[0]
        low = second[0] / first[0]
        said = (low, low + step)
        names = (match.group(4), match.group(9))
        before = text[max(0, match.start() - 8) : match.start()]
        approximate = bool(APPROX_WORDS.search(before) or APPROX_AFTER_WORDS.match(text, match.end()))
        return self._judge_ratio(text, match.start(), match.end(), said, names, approximate)

    def _judge_ratio(
        self,
        text: str,
        start: int,
        end: int,
        said: tuple[float, float],
        names: tuple[str, str] | None,
        approximate: bool,
    ) -> Claim | None:
        """A ratio, as its lowest and highest second-to-first value, of the two things ``names`` (米, 水) when the
        host names them: supported when a current document states it for the same things, in any equivalent form
        (2:3 is 1:1.5; 8:1 of 水和燕麦 is 1:8 of 燕麦和水) and within a range it gives; the documents' ratio for them
        otherwise (wrong_value). A kitchen ratio the documents give none for is no product fact; any other is
        invented."""
        sentence = self._sentence(text, start, end)
        clause = re.split(r"[。！？；;\n]", text[:start])[-1]
        grams = self._host_grams(text, start) | {
            topic for pattern, topic in TOPICS if pattern.search(clause[-KEY_WINDOW:])
        }
        on_topic: list[tuple[Hit, float, float, str]] = []
        others: list[tuple[Hit, float, float, str]] = []
        for hit, low, high, at, shown in self._ratios(self.current + self.shared):
            doc = self._norm[hit.chunk_id]
            doc_pair = RATIO_PAIR.search(re.split(r"[。！？；;\n]", doc[:at])[-1])
            if names and doc_pair:
                # both name the two things: the same two, in either order (水和燕麦8:1 is 燕麦片和水1:8)
                doc_names = (doc_pair.group(1), doc_pair.group(2), doc_pair.group(3))
                if _paired(names, doc_names, reverse=True):
                    low, high = 1 / high, 1 / low
                elif not _paired(names, doc_names, reverse=False):
                    continue
                on_topic.append((hit, low, high, shown))
                continue
            words = _topic_grams(_before(doc, at))
            (on_topic if grams & words else others).append((hit, low, high, shown))

        def claim(label: str, hit: Hit | None = None, expected: str | None = None) -> Claim:
            return Claim("ratio", text[start:end], start, end, label, hit.chunk_id if hit else None, expected)

        def fits(low: float, high: float) -> bool:
            slack = 0.03 if approximate or low != high else 1e-9
            return low * (1 - slack) - 1e-9 <= said[0] and said[1] <= high * (1 + slack) + 1e-9

        # what the host's words point at decides; a ratio said of nothing in particular is held against them all
        pool = on_topic or ([] if grams or names else others)
        for hit, low, high, _ in pool or others:
            if fits(low, high):
                return claim("supported", hit)
        if pool:
            return claim("wrong_value", pool[0][0], pool[0][3])
        return None if KITCHEN.search(sentence) else claim("invented")

    def _package_count(self, match: re.Match[str]) -> Claim | None:
        """A count of what a package holds against the counts the product's sheets and FAQs write (25g×30袋,
        30袋装一盒): supported when one says it, the documents' count otherwise, invented when they give none (a
        test report's sample count, 6瓶, is no packing)."""
        said = _digits_of(match.group(1))
        if said is None:
            return None
        inner = match.group(2)
        start, end = match.start(1), match.end()

        def claim(label: str, hit: Hit | None = None, expected: str | None = None) -> Claim:
            return Claim(
                "count", match.string[start:end], start, end, label, hit.chunk_id if hit else None, expected
            )

        stated = re.compile(rf"(?<![\d.])(\d+)\s*(?:小|大)?{inner}")
        other: tuple[Hit, str] | None = None
        for hit in self.current + self.shared:
            if hit.doc_type == "traceability":
                continue
            doc = self._norm[hit.chunk_id]
            for m in stated.finditer(doc):
                if self._other_batch(doc, m.start(), m.end()):
                    continue
                if int(m.group(1)) == said:
                    return claim("supported", hit)
                other = other or (hit, f"{m.group(1)}{inner}")
        if other is not None:
            return claim("wrong_value", other[0], other[1])
        return claim("invented")

    def _stale(self, hit: Hit) -> str:
        return "expired" if "expired" in hit.flags else "wrong_batch"

    def _said(self, text: str, match: re.Match[str]) -> Quantity:
        """The host's figure: value, unit and how it is meant (不到/超过/以上/约/左右, 多)."""
        value = match.group(1)
        more = match.group(2) if match.re is MEASUREMENT else None
        unit = _unit(match.group(3)) if match.re is MEASUREMENT else ""
        if unit in ("g",) and PER_100G.search(text[max(0, match.start() - KEY_WINDOW) : match.start()]):
            unit = "%"  # 每100克…13.4克 is 13.4 g/100g
        if unit == "个":  # 150个蛋 and 20个国家 count different things
            unit += _counted(text, match.end())
        if more:
            return Quantity(float(value), unit, "+", step_of(value))
        if match.re is MEASUREMENT and MORE_AFTER.match(text[match.end() : match.end() + 2]):
            return Quantity(float(value), unit, "+", 1.0)  # 10克多 (10g多): from 10 g up to 11 g
        low = _range_low(text, match.start()) if match.re is MEASUREMENT else None
        if low and float(low.group(1)) < float(value):  # 七八百毫升 (700〜800ml): one figure between the two
            return Quantity(float(low.group(1)), unit, "[]", float(value) - float(low.group(1)))
        before = text[max(0, match.start() - 6) : match.start()]
        return Quantity(float(value), unit, read_mode(before, text[match.end() : match.end() + 3]))

    def _unknown_item(self, text: str, start: int) -> bool:
        """Whether the host names, right before a figure, a content no document of this sku mentions (含DHA,
        维生素E有, 胶原蛋白含量, 叶酸每百克): a figure for it cannot stand on any other figure."""
        before = PER_BASIS.sub("", text[max(0, start - 14) : start])
        before = FILLER.sub("", before.rstrip())
        found = CONTENT.search(before)
        if not found:
            return False
        named = found.group("item") or found.group("item2") or ""
        marker = found.group("marker") or found.group("marker2")
        if not marker and re.search(r"含量\s*[，,]?\s*$", before):
            marker = "含量"
        item = re.sub(r"^(?:这批|这款|本批次|本批|咱们|我们|产品|的)+", "", named)
        if not item or (len(item) < 2 and item not in ELEMENTS):
            return False
        if not (marker or NUTRIENT_LIKE.search(item) or item in ELEMENTS):
            return False
        said = _norm(item.rsplit("的", 1)[-1])
        if not said:
            return False
        # the whole name, or a head or tail of three characters or more (维生素E is not 维生素A's 维生, 胶原蛋白
        # is not 蛋白质's 蛋白)
        parts = {said} | {said[i:] for i in range(1, len(said) - 2)} | {said[:j] for j in range(3, len(said))}
        return not any(p in self._everything for p in parts)

    def _measurement(self, text: str, match: re.Match[str]) -> Claim | None:
        value = match.group(1)
        unit = match.group(3) if match.re is MEASUREMENT else ""
        if unit == "年" and 1900 <= float(value) <= 2100:
            return None  # a year (2026年), not a duration
        if re.search(r"每\s*$", text[max(0, match.start() - 2) : match.start()]):
            return None  # 每100g, 每15ml: the basis a figure is given on, not a claim
        if match.re is MEASUREMENT and RANGE_HIGH_AFTER.match(text, match.end()):
            return None  # the lower end of a range (20℃–30℃): the upper end claims the whole range
        if unit == "口" and (
            text[: match.start()].endswith("家") or re.match(r"\s*(?:人|之家)", text[match.end() :])
        ):
            return None  # 一家三口, 三口人: a household, not the product's 一千多口 陶缸
        if self._pace(text, match):
            return None  # 一家三口十来天吃完: how fast a household eats it, no fact of the product
        said = self._said(text, match)
        plain = f"{value}{unit}" if match.re is MEASUREMENT else value
        if said.unit == "%" and unit in ("g", "克"):
            plain = f"{value}%"
        if said.unit.startswith("个") and match.re is MEASUREMENT:
            plain = f"{value}{said.unit}"  # 20个国家, not any 20个

        low = _range_low(text, match.start()) if said.mode == "[]" else None
        first = low.start() if low else match.start()

        def claim(label: str, hit: Hit | None = None, expected: str | None = None) -> Claim:
            return Claim(
                "measurement",
                text[first : match.end()],
                first,
                match.end(),
                label,
                hit.chunk_id if hit else None,
                expected,
            )

        items = self._items(text, first) or self._items_after(text, match.end(), said)
        sentence = self._sentence(text, first, match.end())
        weighed = (said.base() or ("", 0.0))[0] in ("mass", "volume")
        if (
            not items
            and weighed
            and (
                NET_CONTENT.search(text[max(0, first - 10) : first])
                or re.match(
                    r"\s*(?:一|每)(?:袋|盒|瓶|罐|包|箱|桶|听)(?:[。！？，,；;\s]|$)", text[match.end() :]
                )
                or (
                    re.match(r"\s*(?:重|装)", text[match.end() :])
                    and re.match(r"\s*(?:一|这|每)(?:袋|盒|瓶|罐|包|箱|桶)", sentence)
                )
            )
        ):
            items = ["净含量", "净重"]
        if not items and match.re is MEASUREMENT and self._usage_tip(text, first, match.end(), said):
            usage = self._usage(said, text[max(0, first - 8) : first])
            if usage is None:
                return None  # 冲50毫升温水: a tip for the kitchen the documents give no figure for is no product fact
            return claim(*usage)
        if not items and self._unknown_item(text, first):
            return claim("invented")
        for item in items:
            hit = (
                self._fact_says(item, said, self.current)
                or self._near(said, item, self.current)
                or self._near(said, item, self.shared)
            )
            if hit:
                return claim("supported", hit)
        for item in items:
            old = self._near(said, item, self.flagged) or self._fact_says(item, said, self.flagged)
            if old:
                return claim(self._stale(old), old, f"在售批次为 {self.batch_on_sale}")
        labels = self._labels(text, first)
        if not items:
            for label in labels:
                hit = self._near(said, label, self.current) or self._near(said, label, self.shared)
                if hit:
                    return claim("supported", hit)
            if said.mode in ("[]", "+"):
                # 四十几克 (40g多) is the range from 40 to 50 g: against a range the documents state (42–52g), as one
                ranged = self._range_claim(
                    text, first, replace(said, mode="[]") if said.mode == "+" else said
                )
                if ranged is not None:
                    return claim(*ranged)
            # the exact figure in a current document will do; only an item the documents measure can contradict it
            if match.re is MEASUREMENT and said.mode in ("=", "~", "+"):
                found = self._label(plain, "measurement", first, match.end())
                contradicted = None
                # the figure after the host's own words in any document that states it (a shared policy's
                # 未开封…7天内 is not contradicted by a product FAQ's 开封后30天)
                if found.label != "invented" and not any(
                    self._said_alike(text, first, plain, h.chunk_id)
                    for h in self._find_all(plain, [*self.current, *self.shared, *self.flagged])
                ):
                    contradicted = self._context_match(text, first, said)
                if contradicted is not None and contradicted[0] == "wrong_value":
                    return claim("wrong_value", contradicted[1], contradicted[2] or None)
                if found.label != "invented":
                    return Claim(
                        "measurement",
                        text[first : match.end()],
                        first,
                        match.end(),
                        found.label,
                        found.citation,
                        found.expected,
                    )
            if match.re is MEASUREMENT:
                # a figure any valid document of the sku states, or one a shared document (the after-sales
                # policy) states after the host's own words, said about after-sales (未开封…7天内退货; not
                # 开封后7天内用完)
                hit = self._anywhere(said, self.current) or next(
                    (
                        h
                        for h in (self.shared if AFTER_SALES.search(sentence) else [])
                        if self._anywhere(said, [h]) and self._said_alike(text, first, plain, h.chunk_id)
                    ),
                    None,
                )
                if hit:
                    return claim("supported", hit)
                old = self._anywhere(said, self.flagged)
                if old:
                    return claim(self._stale(old), old, f"在售批次为 {self.batch_on_sale}")
        # the same item stated with another value: first the documents' facts, then their sentences
        # within the figure's clause: 保质期24个月，开封后3个月内 names no 保质期 for the 3个月
        context = re.split(r"[，,；;。！？\n]", text[max(0, first - KEY_WINDOW) : first])[-1]
        for pool in (self.current, self.flagged):
            for hit in pool:
                for fact in hit.facts:
                    name = re.sub(r"[（(].*?[)）]", "", fact.key).strip()
                    if len(name) >= 1 and name in context and fact.number is not None:
                        figures = self._fact_figures(fact, said)
                        if any(_fits(said, f) for f in figures) or not any(
                            _comparable(said, f) for f in figures
                        ):
                            continue
                        label = "wrong_value" if pool is self.current else self._stale(hit)
                        return claim(label, hit, f"{fact.key} {fact.value}")
        for item in items + labels:
            other = self._said_otherwise(item, said, self.current)
            if other:
                return claim("wrong_value", other[0], other[1])
        if match.re is MEASUREMENT:
            matched = self._context_match(text, first, said)
            if matched:
                return claim(matched[0], matched[1], matched[2] or None)
        if not items and said.unit in SPECIFIC_UNITS:
            for hit in self.current:
                for figure, _ in self._chunk_figures(hit):
                    if _comparable(said, figure, unnamed=True) and not _fits(said, figure):
                        return claim("wrong_value", hit, _shown(figure))
        return claim("invented")

    def _bare(self, text: str, match: re.Match[str]) -> Claim | None:
        """A figure without a unit counts as a claim only when said of a measured item (哈夫单位81, GI值40)."""
        before = text[max(0, match.start() - KEY_WINDOW) : match.start()]
        stripped = FILLER.sub("", before.rstrip())
        named = any(stripped.endswith(n) for n in self.item_names if len(n) >= 2 or n in ELEMENTS)
        if not named and not MEASURE_WORD.search(before):
            return None
        return self._measurement(text, match)

    def _price(self, match: re.Match[str]) -> Claim:
        """A price must be the request's (团购价) or one a document states; a comparison price (原价, 专柜价)
        only the latter. A price nothing can confirm is a warning: the operator checks it against the 接龙."""
        value = float(match.group(1) or match.group(2))
        low_end = SPOKEN_RANGE_LOW.search(match.string[: match.start()])
        low = float(low_end.group(1)) if low_end and float(low_end.group(1)) < value else value
        first = low_end.start() if low < value and low_end else match.start()
        before = match.string[max(0, first - 8) : first]
        reference = REFERENCE_PRICE.search(before)

        def inside(price: float | None) -> bool:  # 五六十块 (50〜60元) is any price from 50 to 60
            return price is not None and low - 1e-9 <= price <= value + 1e-9

        def claim(label: str, hit: Hit | None = None, expected: str | None = None) -> Claim:
            return Claim(
                "price",
                match.string[first : match.end()],
                first,
                match.end(),
                label,
                hit.chunk_id if hit else None,
                expected,
            )

        stated = next(
            (
                hit
                for hit in self.current + self.shared
                if any(inside(_price_value(m.group())) for m in PRICE.finditer(hit.text))
            ),
            None,
        )
        if not reference and any(inside(p) for p in self.prices):
            # the request's price; it cites the document that states it too, if one does, so that what a claim
            # cites does not depend on the request
            return claim("supported", stated)
        if stated is not None:
            return claim("supported", stated)
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
        """Every claim of ``text`` with its label, at the span where the host wrote it. A text is judged once per
        grounder: the checks, the typed script's citations and the rewrites that share it share the result."""
        if text in self._judged:
            return list(self._judged[text])
        c = self._canonical(text)
        out = []
        for claim in self._claims(c.text):
            start, end = c.source(claim.start, claim.end)
            out.append(replace(claim, text=text[start:end], start=start, end=end))
        if len(self._judged) >= JUDGED_TEXTS:
            self._judged.clear()
        self._judged[text] = tuple(out)
        return out

    def _claims(self, text: str) -> list[Claim]:
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
            (dates.MONTH, lambda m: self._period(m, dates.month_period(m, self.today), relative=False)),
            (dates.RELATIVE, lambda m: self._period(m, dates.relative_period(m, self.today), relative=True)),
            (dates.YEAR, self._year),
            (dates.GRAIN_AGE, self._grain_age),
            (RATIO, lambda m: self._ratio(text, m)),
            (AMOUNTS, lambda m: self._amounts(text, m)),
            (PACKAGE_COUNT, self._package_count),
            (PRICE, self._price),
            (MEASUREMENT, lambda m: self._measurement(text, m)),
            (CERTIFICATION, self._certification),
            (AWARD, self._award),
            (CODE, self._code),
            (PLACE, self._place),
            (places.SUFFIXED, self._origin),
            (ORIGIN_TAIL, self._origin),
            (BARE, lambda m: self._bare(text, m)),
        ]
        for pattern, extract in extractors:
            for match in pattern.finditer(text):
                if pattern is places.SUFFIXED or pattern is ORIGIN_TAIL:
                    span = match.span(1)
                    if free(*span):
                        found = extract(match)
                        if found is not None:
                            out.append(found)
                            taken.append(span)
                    continue
                if free(*match.span()):
                    found = extract(match)
                    if found is not None:
                        out.append(found)
                        taken.append((min(match.start(), found.start), max(match.end(), found.end)))
                    elif pattern is dates.RELATIVE:
                        taken.append(match.span())  # 3天前到的货: a time before now, no duration to check
        out = [self._past(text, c) for c in out if not self._negated(text, c)]
        return sorted(out, key=lambda c: c.start)

    def _past(self, text: str, claim: Claim) -> Claim:
        """A date or a certificate number of an expired document said as past (证书2026年6月底就到期了, 此前持有的证书
        编号318OP2500236已经到期) is what that document says: true."""
        if (
            claim.kind in ("date", "code")
            and claim.label == "expired"
            and PAST.search(self._sentence(text, claim.start, claim.end))
        ):
            return replace(claim, label="supported", expected=None)
        return claim

    def _negated(self, text: str, claim: Claim) -> bool:
        """Whether the host denies or corrects the claim (保质期不是36个月; 别信网上说的0.5%; 网上说的18个月不对)."""
        if claim.kind not in NEGATABLE:
            return False
        before = NEGATED_BEFORE.search(text[max(0, claim.start - 16) : claim.start])
        if before and "是" not in before.group("between"):
            return True
        return bool(NEGATED_AFTER.match(text[claim.end :]))

    def _place(self, match: re.Match[str]) -> Claim | None:
        """A place is supported when a current document names it or a place inside it (方正县 for 哈尔滨); one
        the sentence denies (不是狮峰的茶) is no claim."""
        name = match.group()
        if DENIED.search(match.string[max(0, match.start() - 4) : match.start()]):
            return None
        claim = self._label(name, "place", match.start(), match.end())
        if claim.label == "supported" or not places.covered(name, self._places):
            return claim
        return Claim("place", name, match.start(), match.end(), "supported", None)

    def _origin(self, match: re.Match[str]) -> Claim | None:
        """A place the gazetteer does not know, said as an origin (产自XX县, 来自XX庄园)."""
        name = match.group(1)
        if PLACE.search(name) or name in TAIL_WORDS:
            return None
        stem = re.sub(r"(?:省|市|县|区|州|镇|乡|村|旗|盟|岛)$", "", name)
        if len(stem) >= 2 and _norm(stem) in self._support:
            return Claim("place", name, match.start(1), match.end(1), "supported", None)
        return self._label(name, "place", match.start(1), match.end(1))

    def _dates_in(self, hit: Hit) -> list[tuple[str, int]]:
        """Every ISO date a chunk states (its text, then its front matter)."""
        text = self._norm[hit.chunk_id]
        found = [(m.group(), m.start()) for m in re.finditer(r"(?:20\d{2}|-)-\d{2}-\d{2}", text)]
        return found + [(d, -1) for d in (hit.issued_at, hit.valid_until) if d]

    def _of_event(self, event: str | None, text: str, at: int, strict: bool = False) -> bool:
        """Whether a document's date (at ``at`` of its normalised ``text``; -1 for front matter) is of the event the
        host names (生产 is not 收样)."""
        if event is None:
            return True
        if at < 0:  # front matter: the day a report was issued, or the last day it is valid
            return bool(re.search(event, "签发检测有效到期"))
        field = re.split(r"[|\n。，；]", text[max(0, at - 30) : at])[-1]  # 检测日期：2026-11-18至
        named = DATE_WORDS.findall(field)
        after = re.match(
            r"(?:至|到|–)?(?:20\d{2}-\d{2}-\d{2})?[（(]([^）)]{1,8})[）)]", text[at + 10 : at + 30]
        )
        named += DATE_WORDS.findall(after.group(1)) if after else []
        if any(re.search(event, w) for w in named):
            return True
        # 生产日期 is the day the thing sold was made: bottled, laid, packed, milled; ``strict``: only a date the
        # document names as of the event will do
        return (not named and not strict) or ("生产" in named and bool(re.search(event, PRODUCED)))

    def _grain_age(self, match: re.Match[str]) -> Claim | None:
        """新米 / 陈米 said of the product (这批是新米, 都是陈米; not 别和陈米混着放) is a claim about its harvest date;
        right after a year (去年的陈米) the year says it already."""
        before = match.string[: match.start()]
        if re.search(r"(?:今年|去年|前年)(?:的)?\s*$", before) or not dates.GRAIN_AGE_BEFORE.search(before):
            return None
        return self._period(match, dates.grain_period(match, self.today), relative=False, event=HARVEST)

    def _period(
        self, match: re.Match[str], period: dates.Period | None, relative: bool, event: str | None = None
    ) -> Claim | None:
        """A month, part of a month or a time before today said of an event (2026年10月灌装, 10月中旬, 一个多月前灌装,
        保质期到2028年10月): supported when a current document's date of that event falls inside; a date only another
        batch's or an expired document has → wrong_batch / expired; a current date of the event outside → wrong_value.
        A period the documents cannot speak to (no event named, no date inside) is no claim."""
        if period is None:
            return None
        text, said = match.string, match.group()

        def claim(label: str, hit: Hit | None = None, expected: str | None = None) -> Claim:
            return Claim(
                "date", said, match.start(), match.end(), label, hit.chunk_id if hit else None, expected
            )

        def in_period(day: str) -> bool:
            try:
                return not day.startswith("--") and period.holds(Day.fromisoformat(day))
            except ValueError:
                return False

        certified = self._certificate_date(text, match.start(), match.end(), in_period, claim)
        if certified is not None:
            return certified
        if event is None and dates.expiry_before(re.split(r"[。！？\n]", text[: match.start()])[-1]):
            return self._expiry(period, claim)
        if event is None and relative and match.group(6) and dates.GRAIN_AFTER.match(text, match.end()):
            event = HARVEST  # 去年的陈米: the year the grain was harvested
        if event is None and relative and match.group(6) and dates.HARVESTED_AFTER.match(text, match.end()):
            event = HARVESTED  # 去年的老蜜, 今年的新茶: the year the honey was taken, the tea picked
        # the event is the claim's own (新米, 去年的陈米: its harvest), named by no word around it
        forced = event is not None

        def on_sale() -> str:
            """The batch on sale, and its date of the event where a document gives one (收割日期 2026-09-28)."""
            current = self._current_date(event, forced) if event is not None else None
            batch = f"在售批次为 {self.batch_on_sale}"
            return f"{batch}，{current[2]}日期 {current[1]}（{current[0].chunk_id}）" if current else batch

        event = event or self._period_event(text, match.start(), match.end())
        if event is None and relative and match.group(6) and dates.BATCH_AFTER.match(text, match.end()):
            event = PRODUCED_EVENTS  # 去年的批次: the year the batch was made
        if relative and event is None:
            return None
        if not relative and not forced and (said.startswith("--") or not said[-1].isdigit()):
            # the documents' own words (10月中旬在庄园灌装)
            wanted = re.compile(re.escape(said) + r"(?![\d\-])")
            hit = next((h for h in self.current if wanted.search(self._norm[h.chunk_id])), None)
            if hit is not None:
                return claim("supported", hit)
        if not relative and not forced and MONTH_OF_YEAR.fullmatch(said):
            # a month a current document states as a month (本批次茶叶于2026年4月入冷库), of the event the host names
            # if the host names one (2026年4月入冷库, not 2026年4月采的)
            hit = self._month_stated(said, event)
            if hit is not None:
                return claim("supported", hit)
        stale: Hit | None = None
        whole_year = relative and bool(match.group(6))
        for pool in (self.current, self.flagged):
            for hit in pool:
                doc = self._norm[hit.chunk_id]
                months = self._months_of(hit, event) if whole_year and event is not None else []
                for day, at in self._dates_in(hit) + months:
                    if day.startswith("--"):
                        continue
                    if (day, at) not in months and not self._of_event(event, doc, at, strict=forced):
                        continue
                    try:
                        inside = period.holds(Day.fromisoformat(day))
                    except ValueError:
                        continue
                    if not inside:
                        continue
                    if pool is self.current and (at < 0 or not self._other_batch(doc, at, at + len(day))):
                        return claim("supported", hit)
                    if pool is self.flagged:
                        return claim(self._stale(hit), hit, on_sale())
                    stale = stale or hit
        current = self._current_date(event, forced) if event is not None else None
        if stale is not None:
            return claim("wrong_batch", stale, on_sale())
        if current is not None:
            return claim("wrong_value", current[0], current[1])
        return None

    def _months_of(self, hit: Hit, event: str) -> list[tuple[str, int]]:
        """The months a chunk states (2025年9月取的蜜: 2025-09) of ``event``, named right after the month or in the
        field before it, each as its middle day: a year said of the product (去年的老蜜) holds a month of that year."""
        doc = self._norm[hit.chunk_id]
        return [
            (f"{m.group(1)}-{m.group(2)}-15", m.start())
            for m in DOC_MONTH.finditer(doc)
            if re.match(rf"\s*(?:的)?(?:{event})", doc[m.end() : m.end() + 6])
            or self._of_event(event, doc, m.start(), strict=True)
        ]

    def _month_stated(self, said: str, event: str | None) -> Hit | None:
        """A current chunk that states the month ``said`` (2026-04) as a month, not for another batch, with the
        word for ``event`` in its sentence within KEY_WINDOW characters of it when an event is given."""
        wanted = re.compile(r"(?<![\d\-])" + re.escape(said) + r"(?![\d\-])")
        for hit in self.current:
            doc = self._norm[hit.chunk_id]
            for m in wanted.finditer(doc):
                if self._other_batch(doc, m.start(), m.end()):
                    continue
                sentence = self._sentence(doc, m.start(), m.end())
                lo = doc.rfind(sentence, 0, m.end()) if sentence else m.start()
                around = doc[max(lo, m.start() - KEY_WINDOW) : min(lo + len(sentence), m.end() + KEY_WINDOW)]
                if event is None or re.search(event, around):
                    return hit
        return None

    def _current_date(self, event: str, strict: bool) -> tuple[Hit, str, str] | None:
        """The first date a current document gives the batch on sale for ``event``, with the document's word for
        the event (收割日期：2026-09-28 → 收割)."""
        for hit in self.current:
            doc = self._norm[hit.chunk_id]
            for day, at in self._dates_in(hit):
                if at < 0 or day.startswith("--"):
                    continue
                named = DATE_WORDS.search(re.split(r"[|\n。，；]", doc[max(0, at - 30) : at])[-1])
                if (
                    named
                    and self._of_event(event, doc, at, strict=strict)
                    and not self._other_batch(doc, at, at + len(day))
                ):
                    return hit, day, named.group()
        return None

    def _certificate_date(
        self, text: str, start: int, end: int, said: Callable[[str], bool], claim: Callable[..., Claim]
    ) -> Claim | None:
        """A certificate's issue or expiry date (有机证书是2026年9月10号发的, 证书明年9月到期) against the front matter of
        this sku's certificates (issued_at, valid_until), not against a test report's dates: supported when a valid
        certificate has it, expired when only an expired one does, otherwise wrong_value naming the certificate's
        date. None when the clause names no certificate or no issue or expiry."""
        event = _certificate_event(text, start, end)
        if event is None:
            return None
        certificates = [
            h
            for h in self.current + self.flagged
            if h.doc_type == "certificate" and (h.issued_at or h.valid_until)
        ]
        if not certificates:
            return None
        for hit in certificates:
            day = hit.issued_at if event == "issued" else hit.valid_until
            if day and said(day):
                return claim("supported" if not hit.flags else self._stale(hit), hit)
        hit = min(certificates, key=lambda h: bool(h.flags))  # a valid certificate's date is what to say
        day = hit.issued_at if event == "issued" else hit.valid_until
        if not day:
            return None
        return claim("wrong_value", hit, f"{'发证日期' if event == 'issued' else '有效期至'} {day}")

    def _year(self, match: re.Match[str]) -> Claim | None:
        """A year alone, as the end of the shelf life (保质期到2028年, 保质期到后年) or with its event right after it
        (2026年灌装的); otherwise no claim (2026年新米, 2026年的第一批)."""
        before = re.split(r"[。！？\n]", match.string[: match.start()])[-1]
        expiry = dates.expiry_before(before)
        if not expiry and not (match.group(1) and dates.YEAR_EVENT_AFTER.match(match.string, match.end())):
            return None
        return self._period(match, dates.year_period(match, self.today), relative=False)

    def _period_event(self, text: str, start: int, end: int) -> str | None:
        """The event a period is said of: the words right after it (11月中旬出的, 10月下旬灌装), else its clause
        before (灌装日期是…), else the sentence around it."""
        clauses = re.split(r"[，。！？；,;\n]", text[end:])
        after = clauses[0][:6] if clauses else ""
        before = re.split(r"[，。！？；,;\n]", text[:start])[-1]
        lo = max(text.rfind(stop, 0, start) for stop in "。！？\n") + 1
        his = [i for i in (text.find(stop, end) for stop in "。！？\n") if i >= 0]
        around = text[max(lo, start - KEY_WINDOW) : min([*his, end + KEY_WINDOW])]
        for words in (after, before, around):
            word = DATE_WORDS.search(words)
            found = DATE_EVENTS.get(word.group(), word.group()) if word else dates.event_word(words)
            if found is not None:
                return found
        return None

    def _shelf_ends(self) -> list[tuple[Day, Hit, bool]]:
        """The last days of the shelf life the documents state or imply, each with its chunk and whether it is the
        batch on sale's: stated (保质期至2028-02-14, 本批次至2026-11-27) or a production date plus the product
        sheet's shelf life (灌装日期2026-10-16 + 24个月)."""
        if self._ends is not None:
            return self._ends
        out: list[tuple[Day, Hit, bool]] = []
        for pool in (self.current, self.flagged):
            for hit in pool:
                doc = self._norm[hit.chunk_id]
                for m in dates.STATED_END.finditer(doc):
                    current = pool is self.current and not self._other_batch(doc, m.start(1), m.end(1))
                    out.append((Day.fromisoformat(m.group(1)), hit, current))
        shelf = next(
            (m for h in self.current for m in [dates.SHELF_LIFE.search(self._norm[h.chunk_id])] if m), None
        )
        if shelf is not None:
            for pool in (self.current, self.flagged):
                for hit in pool:
                    doc = self._norm[hit.chunk_id]
                    for day, at in self._dates_in(hit):
                        field = re.split(r"[|\n。，；]", doc[max(0, at - 30) : at])[-1] if at >= 0 else ""
                        if day.startswith("--") or not re.search(r"生产|灌装|装瓶|产蛋", field):
                            continue
                        end = dates.shelf_end(day, shelf)
                        if end is not None:
                            current = pool is self.current and not self._other_batch(doc, at, at + len(day))
                            out.append((end, hit, current))
        self._ends = out
        return out

    def _expiry(self, period: dates.Period, claim: Callable[..., Claim]) -> Claim | None:
        """A shelf-life end: the batch on sale's → supported; only another batch's → wrong_batch; else wrong_value
        naming the batch on sale's end. None when the documents give no end to check against."""
        ends = self._shelf_ends()
        for end, hit, current in ends:
            if current and period.holds(end):
                return claim("supported", hit)
        for end, hit, current in ends:
            if not current and period.holds(end):
                return claim("wrong_batch", hit, f"在售批次为 {self.batch_on_sale}")
        mine = [(end, hit) for end, hit, current in ends if current]
        if mine:
            return claim("wrong_value", mine[0][1], f"保质期到 {mine[0][0].isoformat()}")
        return None

    def _date(self, match: re.Match[str]) -> Claim:
        """A date is supported by a document's text or by its front matter (issued_at / valid_until); a date said
        without its year (10月18号) by a document date on that day of any year."""
        day = match.group()

        def claim(label: str, hit: Hit | None = None, expected: str | None = None) -> Claim:
            return Claim(
                "date", day, match.start(), match.end(), label, hit.chunk_id if hit else None, expected
            )

        def same(date: str) -> bool:
            if day.startswith("--") or date.startswith("--"):
                return date[-6:] == day[-6:]
            return date == day

        certified = self._certificate_date(match.string, match.start(), match.end(), same, claim)
        if certified is not None:
            return certified
        if dates.expiry_before(
            re.split(r"[。！？\n]", match.string[: match.start()])[-1]
        ):  # 保质期到11月27号
            try:
                on = Day.fromisoformat(
                    day.replace("--", f"{self.today.year}-", 1) if day.startswith("--") else day
                )
            except ValueError:
                on = None
            if on is not None:
                end = self._expiry(dates.Period(on, on, any_year=day.startswith("--")), claim)
                if end is not None:
                    return end
        around = match.string[max(0, match.start() - KEY_WINDOW) : match.end() + KEY_WINDOW]
        word = DATE_WORDS.search(around)
        event = DATE_EVENTS.get(word.group(), word.group()) if word else None

        def of_event(text: str, at: int) -> bool:
            return self._of_event(event, text, at)

        for pool in (self.current, self.flagged):
            for hit in pool:
                text = self._norm[hit.chunk_id]
                for date, at in self._dates_in(hit):
                    if not same(date) or not of_event(text, at):
                        continue
                    if pool is self.current and (at < 0 or not self._other_batch(text, at, at + len(date))):
                        return claim("supported", hit)
                    if pool is self.flagged:
                        return claim(self._stale(hit), hit, f"在售批次为 {self.batch_on_sale}")
        stale = next(
            (
                h
                for h in self.current
                for date, at in self._dates_in(h)
                if same(date) and at >= 0 and of_event(self._norm[h.chunk_id], at)
            ),
            None,
        )
        if stale is not None:  # said only of another batch (上一批是 RI260815，生产日期2026-08-15)
            return claim("wrong_batch", stale, f"在售批次为 {self.batch_on_sale}")
        if event is not None:
            said = re.compile(rf"(?:{event})[^\d\n]{{0,8}}(20\d{{2}}-\d{{1,2}}-\d{{1,2}})")
            for hit in self.current:
                found = said.search(self._norm[hit.chunk_id])
                if found and not self._other_batch(self._norm[hit.chunk_id], found.start(1), found.end(1)):
                    return claim("wrong_value", hit, found.group(1))
        return claim("invented")

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

    def _award(self, match: re.Match[str]) -> Claim | None:
        """An award or title (拿过金奖, 名牌产品) stands only where a document of this sku names it; one the sentence
        denies (没拿过什么金奖, 不是什么老字号) is no claim."""
        before = match.string[max(0, match.start() - 8) : match.start()]
        if DENIED.search(before) or AWARD_DENIED.search(before):
            return None
        return self._label(match.group(), "award", match.start(), match.end())

    def _certification(self, match: re.Match[str]) -> Claim | None:
        """A certification is supported only by a certificate (or report) of this sku that is valid today; one the
        sentence denies (没有有机认证, 不以“有机”名义) is no claim."""
        phrase = match.group()
        if DENIED.search(match.string[max(0, match.start() - 6) : match.start()]):
            return None
        agency = match.group(1)
        stem = next((doc for said, doc in CERT_STEMS if said in phrase), phrase[:4])
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
                if label == "expired" and PAST.search(
                    self._sentence(match.string, match.start(), match.end())
                ):
                    label = "supported"  # said as past: the expired certificate is what it speaks of
                return Claim("certification", phrase, match.start(), match.end(), label, hit.chunk_id)
        return Claim("certification", phrase, match.start(), match.end(), "invented", None)


def check_grounding(
    text: str,
    sku: str,
    kb: KnowledgeBase,
    prices: tuple[str, ...] = (),
    grounder: Grounder | None = None,
) -> list[dict[str, Any]]:
    """Blocking findings for every claim the sku's current, valid documents do not support; ``prices`` are the
    prices the request set (团购价), which a price in the text must match. ``grounder``: the caller's, built for
    this sku and these prices, when it has one."""
    if grounder is None:
        grounder = Grounder(kb, sku, prices)
    elif grounder.sku != sku or grounder.prices != _prices(prices):
        raise ValueError(f"grounder for {grounder.sku} {grounder.prices}, asked for {sku} {_prices(prices)}")
    if not grounder.current and not grounder.flagged:
        raise NotFound(
            f"sku {sku!r}: no documents in the knowledge base to check against (linli docs ingest PATH)"
        )
    return [c.finding() for c in grounder.claims(text) if c.label != "supported"]
