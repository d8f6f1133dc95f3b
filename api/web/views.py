"""What the templates show, shaped from the service documents: no SQL, no HTTP, only rearranging.

The draft page shows the text sentence by sentence with each finding marked where it occurs. Findings carry
offsets into the revision's whole text, so each sentence is first located in that text (in order), and every row
is cut into pieces at the finding boundaries that fall inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUS_LABELS = {
    "in_review": "待审核",
    "approved": "已批准",
    "changes_requested": "已退回修改",
    "rejected": "已驳回",
    "scheduled": "已排期",
    "sent": "已发送",
    "failed": "发送失败",
    "recalled": "已撤回",
}
DELIVERY_LABELS = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已送达",
    "failed": "失败",
    "cancelled": "已取消",
}
KIND_LABELS = {"script": "直播脚本", "chain": "接龙", "push": "推送"}
SEVERITY_LABELS = {"block": "阻断", "warn": "警告", "info": "提示"}
DOC_TYPE_LABELS = {
    "product": "产品资料",
    "traceability": "检测报告",
    "certificate": "证书",
    "faq": "常见问题",
    "policy": "售后政策",
}
REVIEW_LABELS = {
    "approve": "批准",
    "request_changes": "退回修改",
    "reject": "驳回",
    "recall": "撤回",
    "schedule": "排入发送",
    "retry": "重新发送",
}
ROLE_LABELS = {"host": "主播", "operator": "运营", "admin": "管理员", "cli": "命令行"}
CONSENT_LABELS = {"granted": "已同意", "refused": "已拒绝", "unknown": "未记录"}
TAG_STATUS_LABELS = {"inferred": "推断", "confirmed": "已确认", "rejected": "已否定"}
FLAG_LABELS = {"expired": "已过期", "other_batch": "非在售批次"}
ACTION_LABELS = {
    "draft.create": "创建草稿",
    "draft.edit": "编辑（新修订）",
    "draft.request_changes": "退回修改（带意见）",
    "draft.recompose": "按意见重新撰写",
    "draft.approve": "批准",
    "draft.reject": "驳回",
    "draft.recall": "撤回",
    "draft.schedule": "排入发送",
    "draft.retry": "重新发送失败的渠道",
    "tag.confirmed": "确认标签",
    "tag.rejected": "否定标签",
    "consent.set": "记录同意",
    "member.forget": "删除成员数据",
    "member.staff": "标为本店员工",
    "member.unstaff": "改回普通成员",
    "user.add": "添加用户",
    "community.add": "添加社区",
}


@dataclass
class Piece:
    text: str
    findings: list[int]  # indexes into the draft's findings list
    severity: str | None = None  # the gravest severity among them


@dataclass
class Row:
    """One line of the draft page: a 【header】 of a script, or a sentence with the chunks it cites."""

    kind: str  # "header" | "sentence"
    pieces: list[Piece]
    citations: list[int] = field(default_factory=list)  # numbers into the citation list
    located: bool = True


SEVERITY_ORDER = {"block": 0, "warn": 1, "info": 2}


def _pieces(text: str, start: int, end: int, findings: list[dict[str, Any]], hit: set[int]) -> list[Piece]:
    cuts = {start, end}
    covering = []
    for i, f in enumerate(findings):
        a, b = int(f["start"]), int(f["end"])
        if a < end and b > start and b > a:
            covering.append(i)
            cuts.update(x for x in (a, b) if start < x < end)
    points = sorted(cuts)
    out = []
    for a, b in zip(points, points[1:], strict=False):
        inside = [i for i in covering if int(findings[i]["start"]) <= a and int(findings[i]["end"]) >= b]
        hit.update(inside)
        severity = min(
            (findings[i]["severity"] for i in inside), key=SEVERITY_ORDER.__getitem__, default=None
        )
        out.append(Piece(text[a:b], inside, severity))
    return out


def draft_rows(document: dict[str, Any]) -> tuple[list[Row], list[str], list[int]]:
    """The rows of a draft, its cited chunk ids in order of first citation, and the findings no row shows."""
    text: str = document["text"]
    findings: list[dict[str, Any]] = document["findings"]
    cited: list[str] = []
    rows: list[Row] = []
    hit: set[int] = set()
    cursor = 0

    def gap(a: int, b: int) -> None:
        offset = a
        for line in text[a:b].split("\n"):
            if line.strip():
                rows.append(Row("header", _pieces(text, offset, offset + len(line), findings, hit)))
            offset += len(line) + 1

    for sentence in document["sentences"]:
        numbers = []
        for chunk_id in sentence.get("citations") or []:
            if chunk_id not in cited:
                cited.append(chunk_id)
            numbers.append(cited.index(chunk_id) + 1)
        body = sentence["text"]
        at = text.find(body, cursor) if body else -1
        if at < 0:
            rows.append(Row("sentence", [Piece(body, [])], numbers, located=False))
            continue
        gap(cursor, at)
        rows.append(Row("sentence", _pieces(text, at, at + len(body), findings, hit), numbers))
        cursor = at + len(body)
    gap(cursor, len(text))
    unplaced = [i for i in range(len(findings)) if i not in hit]
    return rows, cited, unplaced


def status_counts(drafts: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for d in drafts:
        counts[d["status"]] = counts.get(d["status"], 0) + 1
    return counts


def short_hash(value: str | None) -> str:
    return value[:12] if value else ""


@dataclass
class SourceBlock:
    """A piece of a source paragraph as the page shows it: running text, or a table (test reports are tables)."""

    kind: str  # "text" | "table"
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def source_blocks(text: str) -> list[SourceBlock]:
    """A chunk's text cut into running text and pipe tables (``| 检测项目 | 结果 |`` lines), the separator row
    (``|---|---|``) dropped; the first row of a table is its header."""
    blocks: list[SourceBlock] = []
    for line in text.split("\n"):
        is_row = line.strip().startswith("|") and line.strip().endswith("|") and line.count("|") >= 2
        if is_row:
            cells = _cells(line)
            if blocks and blocks[-1].kind == "table":
                if not all(set(c) <= set("-: ") and c for c in cells):
                    blocks[-1].rows.append(cells)
            else:
                blocks.append(SourceBlock("table", rows=[cells]))
        elif blocks and blocks[-1].kind == "text":
            blocks[-1].text += "\n" + line
        else:
            blocks.append(SourceBlock("text", text=line))
    for block in blocks:
        block.text = block.text.strip("\n")
    return [b for b in blocks if b.kind == "table" or b.text.strip()]
