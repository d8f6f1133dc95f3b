"""Periods a host names instead of a day: a month (2026年10月, written 2026-10 by ``claims.canonical``), part of a
month (10月中旬, --10中旬), a month of this or another year (今年4月, 明年10月), a year (去年灌装的) and a time before
the event date (一个多月前, 半年前, 上个月, 三天前). Each is read as the first and last day it may mean, so that
the grounding check can ask whether a document's date of that event falls inside.

Relative periods are read against the knowledge base's today (``LINLI_TODAY``); they are a claim only where the
sentence names the event whose date the documents give (灌装, 生产, 检测 …).

A shelf-life end (保质期到2028年10月) is the date a document states for it (保质期至2028-02-14, 本批次至2026-11-27),
or the batch's production date plus the shelf life its product sheet gives (灌装日期2026-10-16, 保质期24个月).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from agent.checks.claims import cn_int

# a month (with its year, or --MM for one of any year) and the part of it: 2026-10, --10中旬
MONTH = re.compile(r"(?<![\d\-])(?:(20\d{2})-(\d{2})|--(\d{2}))(?![\d\-])(上旬|中旬|下旬|初|底|末|中)?")
# a time before the event: 3天前, 一多个月前 (canonical for 一个多月前), 6个月前 (半年前), 上个月, 这个月, 今年, 去年
RELATIVE = re.compile(
    r"(?<![\d.])(?:(\d+|[一两二三四五六七八九十]+)\s*(多|来)?\s*(天|周|个月|年)(多)?(?:以)?前|"
    r"((?:上个?月|这个月|本月|当月)(?:上旬|中旬|下旬|初|底|末)?|上个?(?:周|星期|礼拜)|这个?(?:周|星期|礼拜)|本周|"
    r"大前天|前天|昨天))"
    r"|(?:(今年|去年|前年)(?:的)?(?=(?:刚|才|新)?(?:灌装|生产|采摘|采制|采收|采|产|包装|装瓶|出厂|签发|检测|检|下的|收|"
    r"批次|批|货|(?:新|陈)?(?:米|稻谷|稻子|谷子|粮|麦子)|(?:新|老|陈)?(?:蜜|茶))))"
)
DAYS_BEFORE = {"昨天": 1, "前天": 2, "大前天": 3}
# grain said by its harvest (去年的陈米, 今年的新米, 陈粮): a claim about the year it was harvested
GRAIN_AFTER = re.compile(r"(?:的)?(?:新|陈)?(?:米|稻谷|稻子|谷子|粮|麦子)")
# 新米 / 陈米 said of the product (这批是新米, 都是陈米): harvested within the last year, or before it
GRAIN_AGE = re.compile(r"(新|陈)(?:米|粮)")
GRAIN_AGE_BEFORE = re.compile(
    r"(?:是|都是|就是|属于|卖的|发的|这批|这袋|这款|咱们的|咱家的|我们的|我们家的)(?:今年|当年|当季)?(?:的)?\s*$"
)
# a year said of the honey or the tea itself (去年的老蜜, 今年的新茶)
HARVESTED_AFTER = re.compile(r"(?:的)?(?:新|老|陈)?(?:蜜|茶)")
# a year said of the batch itself (去年的批次, 今年的货)
BATCH_AFTER = re.compile(r"(?:的)?(?:批次|批|货)")
# a year alone (保质期到2028年, 2026年灌装的, 保质期到后年): a claim only as a shelf-life end or with its event right after
YEAR = re.compile(
    r"(?<![\d\-])(?:(20\d{2})\s*年(?:底|末|初)?|(今年|明年|后年)(?:年)?(?:底|末|初)?)"
    r"(?!\s*[\d〇零一二三四五六七八九十]|份?\s*\d|-|的?(?:批次|批|货))"
)
YEAR_EVENT_AFTER = re.compile(
    r"(?:的)?(?:刚|才|新)?(?:灌装|生产|采摘|采制|采收|产|包装|装瓶|出厂|签发|收割|屠宰)"
)
# words before a date that make it the end of the shelf life
EXPIRY_BEFORE = re.compile(
    r"(?:保质期|到期|过期|能放|能吃|可以放|可以吃|吃到|用到|喝到)[^，。！？；,;\d]{0,6}$"
)
# a clause that only carries on the one before (保质期两年，到2028年10月)
CARRIED_ON = re.compile(r"^\s*(?:能|可以)?(?:放|吃|用|喝)?(?:到|至)\s*$")


def expiry_before(before: str) -> bool:
    """Whether the words before a date (from the sentence's start) make it the end of the shelf life: in its own
    clause (保质期到…), or in the clause before when its own only carries on (保质期两年，到…)."""
    clauses = re.split(r"[，。！？；,;]", before)
    if EXPIRY_BEFORE.search(clauses[-1]):
        return True
    return len(clauses) > 1 and bool(CARRIED_ON.match(clauses[-1])) and "保质期" in clauses[-2]


# a shelf-life end a document states (保质期至2028-02-14, 本批次至2026-11-27)
STATED_END = re.compile(r"(?:保质期|本批次)(?:至|到|截止到?)\s*(20\d{2}-\d{2}-\d{2})")
# the shelf life a product sheet gives (保质期：24个月, 保质期：2–6℃冷藏7天)
SHELF_LIFE = re.compile(r"保质期[：:][^\n]{0,24}?(?<![\d.–\-])(\d+)(个月|天|年)")
# events a host names that the documents call otherwise (11月中旬下的 is an egg's 产蛋日期)
EXTRA_EVENTS = (
    (re.compile(r"下的|下蛋"), "产蛋"),
    (re.compile(r"检的|检了|检过"), "检测"),
    (re.compile(r"发的|出的"), "签发"),
)


@dataclass(frozen=True)
class Period:
    """The first and last day a host's words may mean; ``any_year`` when only the month was named (--10中旬)."""

    first: date
    last: date
    any_year: bool = False

    def holds(self, day: date) -> bool:
        if self.any_year:
            try:
                day = day.replace(year=self.first.year)
            except ValueError:  # 29 February
                return False
        return self.first <= day <= self.last


def month_period(match: re.Match[str], today: date) -> Period | None:
    """A MONTH match as the days it spans (上旬 1–10, 中旬 11–20, 下旬 21 to the end; 初 1–10, 底/末 21 on)."""
    year = int(match.group(1)) if match.group(1) else today.year
    month = int(match.group(2) or match.group(3))
    if not 1 <= month <= 12:
        return None
    last_day = calendar.monthrange(year, month)[1]
    first, last = {
        "上旬": (1, 10),
        "初": (1, 10),
        "中旬": (11, 20),
        "中": (11, 20),
        "下旬": (21, last_day),
        "底": (21, last_day),
        "末": (21, last_day),
    }.get(match.group(4) or "", (1, last_day))
    return Period(date(year, month, first), date(year, month, last), any_year=not match.group(1))


def relative_period(match: re.Match[str], today: date) -> Period | None:
    """A RELATIVE match as days before ``today``: 3天前 is that very day, 一个多月前 one to two months back, 半年前
    five to seven months back, 上个月 last calendar month, 上周 last week, 去年 last calendar year."""
    if match.group(6):
        year = today.year - {"今年": 0, "去年": 1, "前年": 2}[match.group(6)]
        return Period(date(year, 1, 1), min(date(year, 12, 31), today))
    if match.group(5):
        if match.group(5) in DAYS_BEFORE:  # 昨天, 前天: that day
            day = today - timedelta(days=DAYS_BEFORE[match.group(5)])
            return Period(day, day)
        if match.group(5)[-1] in "周期拜":  # 上周 is the seven days before this week; 这周 this week so far
            monday = today - timedelta(days=today.weekday())
            if match.group(5).startswith("上"):
                return Period(monday - timedelta(days=7), monday - timedelta(days=1))
            return Period(monday, today)
        word = match.group(5)
        part = re.search(r"(?:上旬|中旬|下旬|初|底|末)$", word)
        if word.removesuffix(part.group() if part else "") in ("这个月", "本月", "当月"):
            first, last = today.replace(day=1), today
        else:
            last = today.replace(day=1) - timedelta(days=1)
            first = last.replace(day=1)
        if part is None:
            return Period(first, last)
        # 上个月中旬: that part of the month (上旬/初 1–10, 中旬 11–20, 下旬/底/末 21 on)
        low, high = {"上旬": (1, 10), "初": (1, 10), "中旬": (11, 20)}.get(part.group(), (21, 31))
        start = first.replace(day=low)
        end = min(last, first.replace(day=min(high, calendar.monthrange(first.year, first.month)[1])))
        return Period(start, end) if start <= end else None
    number = match.group(1)
    value = int(number) if number.isdigit() else cn_int(number)
    if not value:
        return None
    unit = match.group(3)
    more = bool(match.group(2) or match.group(4))
    if unit == "天":
        low, high = (value, value + 9) if more else (value, value)
        return Period(today - timedelta(days=high), today - timedelta(days=max(low, 0)))
    if unit == "周":
        low, high = (value * 7, value * 7 + 7) if more else (value * 7 - 3, value * 7 + 3)
        return Period(today - timedelta(days=high), today - timedelta(days=low))
    months = value * 12 if unit == "年" else value
    if more:
        return Period(add_months(today, -(months + (12 if unit == "年" else 1))), add_months(today, -months))
    spread = 6 if unit == "年" else 1 if months >= 3 else 0
    first = add_months(today, -(months + spread)) - timedelta(days=0 if spread else 12)
    last = add_months(today, -(months - spread)) + timedelta(days=0 if spread else 12)
    return Period(first, min(last, today))


def grain_period(match: re.Match[str], today: date) -> Period:
    """A GRAIN_AGE match as the days its harvest may fall on: 新米 within the year before ``today``, 陈米 before."""
    year_ago = add_months(today, -12)
    if match.group(1) == "新":
        return Period(year_ago, today)
    return Period(date(1900, 1, 1), year_ago - timedelta(days=1))


def add_months(day: date, months: int) -> date:
    """``day`` ``months`` later (earlier when negative), on the same day of the month or the month's last."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def shelf_end(produced: str, shelf: re.Match[str]) -> date | None:
    """The last day of the shelf life: the production date plus a SHELF_LIFE match."""
    try:
        start = date.fromisoformat(produced)
    except ValueError:
        return None
    value, unit = int(shelf.group(1)), shelf.group(2)
    if unit == "天":
        return start + timedelta(days=value)
    return add_months(start, value * 12 if unit == "年" else value)


def event_word(around: str) -> str | None:
    """The event a host's words name that DATE_WORDS do not (下的 → 产蛋, 检的 → 检测, 发的 → 签发)."""
    return next((event for pattern, event in EXTRA_EVENTS if pattern.search(around)), None)


def year_period(match: re.Match[str], today: date) -> Period:
    """A YEAR match as the days of that year (底/末 its last quarter, 初 its first: said loosely)."""
    year = (
        int(match.group(1))
        if match.group(1)
        else today.year + {"今年": 0, "明年": 1, "后年": 2}[match.group(2)]
    )
    said = match.group()
    if said.endswith(("底", "末")):
        return Period(date(year, 10, 1), date(year, 12, 31))
    if said.endswith("初"):
        return Period(date(year, 1, 1), date(year, 3, 31))
    return Period(date(year, 1, 1), date(year, 12, 31))
