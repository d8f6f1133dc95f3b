"""PII pseudonymisation: what an LLM (or a host) sees instead of phone numbers, ID numbers and addresses.

Each kind of identifier is replaced by a stable typed pseudonym such as ``[手机#a1b2]``: the same number gives the
same pseudonym everywhere in one deployment (keyed HMAC), so a reader can still tell two people apart.
Python's ``\\b`` treats Chinese characters as word characters, so every pattern uses digit look-arounds instead.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass

# Full-width digits, letters and separators (１３８－１２３４, ＠) become ASCII before matching. The mapping is one
# character to one character, so spans found in the normalised text are spans of the original text too.
FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Cheap first look: a text without digits, '@' or an id context word cannot hold any of the kinds below.
MAYBE_PII = re.compile(r"[0-9@]|微信|[vVwW][xX]|[vV]信|QQ|qq|扣扣")

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_card_valid(number: str) -> bool:
    """GB 11643 checksum of an 18-digit 居民身份证 number."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def normalise(text: str) -> str:
    """Full-width characters to ASCII, same length."""
    return text.translate(FULL_WIDTH)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


@dataclass(frozen=True)
class PiiKind:
    label: str
    pattern: re.Pattern[str]
    accept: Callable[[re.Match[str]], bool]
    group: int = 0


def _before(m: re.Match[str], width: int) -> str:
    return m.string[max(0, m.start() - width) : m.start()]


NUM = r"[0-9一二三四五六七八九十两]"
BUILDING = re.compile(r"号楼|栋|幢|座")
ROOM_END = re.compile(r"(\d{3,4}|室)$")
ADDRESS_CONTEXT = re.compile(r"住|送到|送至|送货|送|地址|家在|家是|放到|放在|登记|寄到|收货")
ORDER_CONTEXT = re.compile(r"订单|单号|快递|取件|取货码|提货码|运单|流水|热线|客服|批次|批号|编号|条码")
CHAIN_LINE = re.compile(r"^\s*\d{1,4}\s*[.、．]")


def _address_ok(m: re.Match[str]) -> bool:
    """An address fragment must look like one: a building with a unit or room, or a building/room code said in an
    address context (住/送到/地址…) or on a 接龙 line. "学习第3单元", "3号自提点" and dates are not addresses."""
    text = m.group()
    if _before(m, 1) == "第":
        return False
    context = bool(ADDRESS_CONTEXT.search(_before(m, 8))) or bool(CHAIN_LINE.match(m.string))
    if "-" in text and not BUILDING.search(text):
        parts = re.findall(r"\d+", text)
        if len(parts) < 2 or len(parts[0]) >= 4 or ORDER_CONTEXT.search(_before(m, 10)):
            return False
        return context and len(parts) >= 3 or (context and len(parts[-1]) >= 3)
    has_building = bool(BUILDING.search(text))
    has_unit = "单元" in text
    has_room = bool(ROOM_END.search(text.strip()))
    if has_building and (has_unit or has_room):
        return True
    if has_unit and has_room:
        return True
    if re.match(r"[\u4e00-\u9fa5]{2,6}(小区|花园|家园|公寓|苑|新村|大厦)", text) and has_building:
        return True
    return has_building and context


def _card_ok(m: re.Match[str]) -> bool:
    digits = _digits(m.group())
    return 16 <= len(digits) <= 19 and luhn_valid(digits) and not ORDER_CONTEXT.search(_before(m, 8))


KINDS: tuple[PiiKind, ...] = (
    PiiKind(
        "身份证",
        re.compile(
            r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{6}[ -]\d{8}[ -]\d{3}[\dXx]|\d{4}(?: \d{4}){3} \d[\dXx])(?![0-9A-Za-z])"
        ),
        lambda m: id_card_valid(_digits(m.group()[:-1]) + m.group()[-1]),
    ),
    PiiKind(
        "银行卡",
        re.compile(
            r"(?<![\d-])(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?|\d{6}[ -]\d{10,13})(?![\d-])"
        ),
        _card_ok,
    ),
    PiiKind(
        "手机",
        re.compile(r"(?<![\d+])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d){8}(?!\d)"),
        lambda m: not ORDER_CONTEXT.search(_before(m, 6)),
    ),
    PiiKind(
        "电话",
        re.compile(r"(?<![\d-])(?:\(0\d{2,3}\)\s?|0\d{2,3}[- ]?)[2-9]\d{2,3}[- ]?\d{4}(?![\d-])"),
        lambda m: not ORDER_CONTEXT.search(_before(m, 8)),
    ),
    PiiKind(
        "电话",
        re.compile(r"(?:座机|固话|电话|家里)\s*[:：是]?\s*([2-9]\d{6,7})(?![\d-])"),
        lambda m: True,
        group=1,
    ),
    PiiKind("邮箱", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), lambda m: True),
    PiiKind(
        "微信",
        re.compile(
            r"(?:微信号?|薇信号?|威信号?|[vV][xX]号?|[wW][xX]号?|[vV]信|加我?[vV]|\+[vV])\s*[:：是为]?\s*([A-Za-z][-_A-Za-z0-9]{5,19})"
        ),
        lambda m: True,
        group=1,
    ),
    PiiKind(
        "QQ",
        re.compile(r"(?:QQ|qq|扣扣|企鹅)号?码?\s*[:：是为]?\s*(\d{5,11})(?!\d)"),
        lambda m: True,
        group=1,
    ),
    PiiKind(
        "尾号",
        re.compile(r"(?:尾号|后四位|后4位)\s*(?:是|为|[:：])?\s*(\d{4})(?!\d)"),
        lambda m: not ORDER_CONTEXT.search(_before(m, 4)),
        group=1,
    ),
    PiiKind(
        "地址",
        re.compile(
            r"(?:[\u4e00-\u9fa5]{2,6}(?:小区|花园|家园|公寓|苑|新村|大厦)\s*)?"
            rf"(?:{NUM}{{1,4}}\s*(?:号楼|栋|幢|座|单元|楼|层|室|号|-)\s*){{1,4}}\d{{0,5}}室?"
        ),
        _address_ok,
    ),
)


@dataclass(frozen=True)
class PiiSpan:
    kind: str
    start: int
    end: int
    pseudonym: str


class Pseudonymizer:
    """Replaces PII by ``[类型#xxxx]`` pseudonyms keyed by a per-deployment secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def pseudonym(self, kind: str, value: str) -> str:
        normalised = _digits(value) if kind not in ("邮箱", "微信") else value.lower()
        digest = hmac.new(self._secret, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()
        return f"[{kind}#{digest[:4]}]"

    def find(self, text: str) -> list[PiiSpan]:
        text = normalise(text)
        if not MAYBE_PII.search(text):
            return []
        spans: list[PiiSpan] = []
        taken: list[tuple[int, int]] = []
        for kind in KINDS:
            for match in kind.pattern.finditer(text):
                if not kind.accept(match):
                    continue
                start, end = match.span(kind.group)
                value = match.group(kind.group).strip()
                # the address pattern may swallow trailing separators; keep the span tight
                while end > start and text[end - 1] in " -":
                    end -= 1
                if any(start < t_end and t_start < end for t_start, t_end in taken):
                    continue
                taken.append((start, end))
                spans.append(PiiSpan(kind.label, start, end, self.pseudonym(kind.label, value)))
        return sorted(spans, key=lambda s: s.start)

    def apply(self, text: str) -> str:
        spans = self.find(text)
        if not spans:
            return text
        out: list[str] = []
        pos = 0
        for span in spans:
            out.append(text[pos : span.start])
            out.append(span.pseudonym)
            pos = span.end
        out.append(text[pos:])
        return "".join(out)
