"""The periods a host names instead of a day, and the host's spellings canonical rewrites for them."""

from __future__ import annotations

from datetime import date

import pytest

from agent.checks.claims import canonical
from agent.checks.grounding_dates import MONTH, RELATIVE, add_months, month_period, relative_period

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("host", "documents"),
    [
        ("保质期到二〇二八年十月", "保质期到2028-10"),
        ("2026年10月灌装", "2026-10灌装"),
        ("10月中旬在庄园灌装", "--10中旬在庄园灌装"),
        ("今年4月灌装的", "今年--04灌装的"),
        ("灌装日期是10.16，很新鲜", "灌装日期是--10-16，很新鲜"),
        ("产蛋日期11.15到11.17", "产蛋日期--11-15到--11-17"),
        ("七八百毫升", "700〜800ml"),
        ("十二三克", "12〜13g"),
        ("一百七八十天", "170〜180天"),
        ("两三成", "20〜30%"),
        ("二三十块", "20〜30元"),
    ],
)
def test_host_periods_and_ranges_in_the_documents_spelling(host: str, documents: str) -> None:
    assert canonical(host).text == documents


@pytest.mark.parametrize(
    "text",
    [
        "过氧化值3.6",
        "K270是0.14",
        "15-25℃",
        "3个月内",
        "6月龄以上",
        "三五成群",
        "乱七八糟",
        "七八成熟",
        "一月一取",
    ],
)
def test_no_period_or_range_where_there_is_none(text: str) -> None:
    out = canonical(text).text
    assert "〜" not in out and "--" not in out and not MONTH.search(out)


def test_spans_of_a_range_lead_back_to_the_hosts_words() -> None:
    c = canonical("一瓶七八百毫升")
    start = c.text.index("700")
    assert c.original[slice(*c.source(start, len(c.text)))] == "七八百毫升"


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2028-10", date(2028, 10, 1), date(2028, 10, 31)),
        ("2026-10中旬", date(2026, 10, 11), date(2026, 10, 20)),
        ("2026-02底", date(2026, 2, 21), date(2026, 2, 28)),
        ("2026-11初", date(2026, 11, 1), date(2026, 11, 10)),
    ],
)
def test_month_periods(text: str, first: date, last: date) -> None:
    period = month_period(MONTH.search(text), TODAY)  # type: ignore[arg-type]
    assert period is not None and (period.first, period.last) == (first, last)


def test_a_month_of_any_year() -> None:
    period = month_period(MONTH.search("--10中旬"), TODAY)  # type: ignore[arg-type]
    assert period is not None and period.holds(date(2025, 10, 16)) and not period.holds(date(2025, 10, 21))


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("3天前生产", date(2026, 11, 21), date(2026, 11, 17)),
        ("一多个月前灌装", date(2026, 10, 16), date(2026, 11, 10)),
        ("6个月前灌装", date(2026, 5, 30), date(2026, 10, 16)),
        ("上个月生产", date(2026, 10, 18), date(2026, 11, 2)),
        ("这个月生产", date(2026, 11, 2), date(2026, 10, 31)),
        ("去年灌装", date(2025, 4, 8), date(2026, 4, 8)),
        ("上周检测", date(2026, 11, 18), date(2026, 11, 24)),
        ("上个月中旬生产", date(2026, 10, 15), date(2026, 10, 9)),  # a part of last month
        ("上个月底生产", date(2026, 10, 31), date(2026, 10, 18)),
        ("这个月初生产", date(2026, 11, 2), date(2026, 11, 12)),
    ],
)
def test_relative_periods(text: str, inside: date, outside: date) -> None:
    period = relative_period(RELATIVE.search(text), TODAY)  # type: ignore[arg-type]
    assert period is not None and period.holds(inside) and not period.holds(outside)


def test_months_are_added_to_the_last_day_of_a_short_month() -> None:
    assert add_months(date(2026, 8, 31), 18) == date(2028, 2, 29)
    assert add_months(date(2026, 10, 16), 24) == date(2028, 10, 16)
    assert add_months(date(2026, 11, 24), -11) == date(2025, 12, 24)
