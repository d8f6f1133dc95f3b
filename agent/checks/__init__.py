"""Checks run on every draft and on any text (`linli check`): compliance rules, completeness, privacy."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from agent.checks.compliance import check_compliance
from agent.checks.grounding import check_grounding
from knowledge.index import KnowledgeBase

MISSING_FIELD = "【待填写】"


def check_completeness(text: str) -> list[dict[str, Any]]:
    """A template field the request left empty must be filled by the operator before the copy goes out."""
    return [
        {
            "rule": "completeness.missing_field",
            "category": "完整性",
            "severity": "warn",
            "start": m.start(),
            "end": m.end(),
            "text": m.group(),
            "message": "有字段待填写（价格、截单时间、自提点或限购），发出前请补全",
            "suggestion": "编辑草稿，填入具体内容",
        }
        for m in re.finditer(re.escape(MISSING_FIELD), text)
    ]


def check_member_names(text: str, names: Iterable[str]) -> list[dict[str, Any]]:
    """Group copy speaks to a segment, never about a person: a member's name in the copy blocks it."""
    findings = []
    for name in sorted({n for n in names if len(n) >= 2}, key=len, reverse=True):
        for m in re.finditer(re.escape(name), text):
            findings.append(
                {
                    "rule": "privacy.member_named",
                    "category": "个人信息",
                    "severity": "block",
                    "start": m.start(),
                    "end": m.end(),
                    "text": m.group(),
                    "message": "群发文案不得点名成员（依据：《个人信息保护法》第二十八条、第二十九条）",
                    "suggestion": "删去成员昵称，改为面向人群的说法（如“控盐的家人”）",
                }
            )
    return findings


def run_checks(
    text: str, *, sku: str | None = None, member_names: Iterable[str] = (), kb: KnowledgeBase | None = None
) -> list[dict[str, Any]]:
    """Every check on a text; findings sorted by position. Grounding runs when the sku and a knowledge base are
    given: every figure, batch, place, certification and date must stand in that sku's valid documents."""
    findings = [f.as_dict() for f in check_compliance(text)]
    if sku and kb is not None:
        findings += check_grounding(text, sku, kb)
    findings += check_completeness(text)
    findings += check_member_names(text, member_names)
    return sorted(findings, key=lambda f: (f["start"], f["end"], f["rule"]))
