"""Checks run on every draft and on any text (`linli check`): compliance rules, completeness, privacy."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from agent.checks.compliance import check_compliance
from agent.checks.grounding import Grounder, check_grounding
from agent.taxonomy import looks_like_injection
from community.privacy import Pseudonymizer
from knowledge.index import KnowledgeBase

MISSING_FIELD = "【待填写】"
PSEUDONYM = re.compile(r"\[(?:手机|电话|身份证|银行卡|邮箱|微信|QQ|尾号|地址)#[0-9a-f]{4}\]")


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


# someone in particular (楼上那位阿姨, 3号楼王姐, 她) and, in the same clause, a health condition: group copy may speak
# to a segment's interest ("控盐的家人"), never about a person's condition (PIPL Art. 28/29)
PERSON = r"(?:有位|有个|那位|这位|一位|某位|楼上|楼下|隔壁|对门|[0-9一二三四五六七八九十]+号楼|[0-9]+室|他家|她家|他|她)"
CONDITION = (
    r"(?:血压高|高血压|血糖高|高血糖|糖尿病|血脂高|高血脂|三高|痛风|尿酸高|脂肪肝|心脏病|冠心病|贫血|便秘|失眠|"
    r"胃病|胃炎|过敏|湿疹|怀孕|怀上|孕期|哺乳期|坐月子|抑郁|癌|肿瘤|做过手术|住院|在吃药|吃降压药|打胰岛素)"
)
HEALTH_STATEMENT = re.compile(rf"{PERSON}[^，。！？!?；;\n]{{0,10}}?{CONDITION}")
OPT_OUT_CUE = re.compile(r"退订|不想收到|不再推送|取消推送")


def check_health_statements(text: str) -> list[dict[str, Any]]:
    """Group copy never says something about a particular person's health, named or not."""
    return [
        {
            "rule": "privacy.health_statement",
            "category": "个人信息",
            "severity": "block",
            "start": m.start(),
            "end": m.end(),
            "text": m.group(),
            "message": "群发文案在说某一个人的身体状况（依据：《个人信息保护法》第二十八条、第二十九条）",
            "suggestion": "删去对个人的描述，改为面向人群的说法（如“注意控盐饮食的家人”）",
        }
        for m in HEALTH_STATEMENT.finditer(text)
    ]


def check_opt_out(text: str, *, kind: str | None, segment: str | None) -> list[dict[str, Any]]:
    """A push chosen by profiling (a segment) must tell members how to stop such pushes (PIPL Art. 24)."""
    if kind != "push" or not segment or OPT_OUT_CUE.search(text):
        return []
    return [
        {
            "rule": "privacy.opt_out_missing",
            "category": "个人信息",
            "severity": "block",
            "start": 0,
            "end": 0,
            "text": "",
            "message": "按人群标签推送的消息必须给出便捷的拒绝方式（依据：《个人信息保护法》第二十四条）",
            "suggestion": "在结尾加上：不想收到这类推荐的家人，回复“退订”即可，我们不再推送。",
        }
    ]


URL = re.compile(
    r"(?:https?://|www\.)[^\s，。]+|[A-Za-z0-9-]+\.(?:com|cn|net|top|xyz|shop|vip)(?:/[^\s，。]*)?", re.I
)


def check_pii(text: str) -> list[dict[str, Any]]:
    """Group copy never carries a phone number, ID number, address or account, pseudonymised or not."""
    findings = [
        {
            "rule": "privacy.pii",
            "category": "个人信息",
            "severity": "block",
            "start": span.start,
            "end": span.end,
            "text": text[span.start : span.end],
            "message": f"文案里有个人信息（{span.kind}）（依据：《个人信息保护法》第十条）",
            "suggestion": "删去个人信息；联系方式请用团长的公开渠道",
        }
        for span in Pseudonymizer(b"check").find(text)
    ]
    findings += [
        {
            "rule": "privacy.pseudonym",
            "category": "个人信息",
            "severity": "block",
            "start": m.start(),
            "end": m.end(),
            "text": m.group(),
            "message": "文案里带着聊天记录中的化名标记，说明有人的个人信息被搬进了文案",
            "suggestion": "删去",
        }
        for m in PSEUDONYM.finditer(text)
    ]
    return findings


def check_injection(text: str) -> list[dict[str, Any]]:
    """Nothing from chat that addresses the machine, and no links, may ride along into group copy."""
    findings = [
        {
            "rule": "injection.link",
            "category": "注入",
            "severity": "block",
            "start": m.start(),
            "end": m.end(),
            "text": m.group(),
            "message": "文案里有链接；群发内容的链接只能由运营在审核时加入",
            "suggestion": "删去链接",
        }
        for m in URL.finditer(text)
    ]
    for line in re.finditer(r"[^\n]+", text):
        if looks_like_injection(line.group()):
            findings.append(
                {
                    "rule": "injection.instruction",
                    "category": "注入",
                    "severity": "block",
                    "start": line.start(),
                    "end": line.end(),
                    "text": line.group(),
                    "message": "这一句像是写给机器的指令，不是给群友的话",
                    "suggestion": "删去这一句",
                }
            )
    return findings


def _from_request(finding: dict[str, Any], given: list[str]) -> bool:
    claimed = "".join(str(finding.get("text") or "").split())
    return bool(claimed) and any(claimed in g for g in given)


def grounder_for(
    sku: str | None, kb: KnowledgeBase | None, prices: Iterable[str | None] = ()
) -> Grounder | None:
    """The grounder a text's checks and its typed sentences share (None without a sku and a knowledge base):
    built once, it judges the text once."""
    if not sku or kb is None:
        return None
    return Grounder(kb, sku, tuple(p for p in prices if p))


def run_checks(
    text: str,
    *,
    sku: str | None = None,
    member_names: Iterable[str] = (),
    kb: KnowledgeBase | None = None,
    prices: Iterable[str | None] = (),
    kind: str | None = None,
    segment: str | None = None,
    given: Iterable[str | None] = (),
    grounder: Grounder | None = None,
) -> list[dict[str, Any]]:
    """Every check on a text; findings sorted by position. Grounding runs when the sku and a knowledge base are
    given: every figure, batch, place, certification and date must stand in that sku's valid documents, and every
    price must be one of ``prices`` (the request's 团购价) or one a document states. With ``kind`` and ``segment``,
    a push chosen by profiling must carry its opt-out line. ``given`` are the request's own details (event time,
    deadline, pickup point, limit): a date or figure the copy takes from them is the request's, not a product claim.
    ``grounder``: the caller's (``grounder_for`` the same sku, knowledge base and prices), else one is built; the
    grounding check and the rewrites use the one grounder."""
    compliance = check_compliance(text)
    findings = [f.as_dict() for f in compliance]
    if sku and kb is not None:
        from agent.checks.rewrites import attach_rewrites

        asked = tuple(p for p in prices if p)
        grounder = grounder or Grounder(kb, sku, asked)
        attach_rewrites(text, findings, compliance, sku, kb, grounder)
        grounded = check_grounding(text, sku, kb, asked, grounder)
        stated = ["".join(g.split()) for g in given if g and g.strip()]
        findings += [f for f in grounded if not _from_request(f, stated)]
    findings += check_completeness(text)
    findings += check_member_names(text, member_names)
    findings += check_health_statements(text)
    findings += check_opt_out(text, kind=kind, segment=segment)
    findings += check_pii(text)
    findings += check_injection(text)
    return sorted(findings, key=lambda f: (f["start"], f["end"], f["rule"]))


def typed_sentences(
    text: str,
    *,
    sku: str | None,
    kb: KnowledgeBase | None,
    keep: Iterable[dict[str, Any]] = (),
    grounder: Grounder | None = None,
) -> list[dict[str, Any]]:
    """The lines of a text a person typed (a host's script, an operator's edit), each citing the chunks in which
    the grounding check found its figures, places, batches and certificates, so the operator sees what a typed line
    stands on as for a composed one. ``keep``: the sentences of the revision it was edited from; a line kept as it
    was keeps its citations and segment as they were. ``grounder``: the one the text's checks use (``grounder_for``),
    so that the text is judged once."""
    previous = {str(s["text"]): s for s in keep}
    if grounder is None and sku and kb is not None:
        grounder = Grounder(kb, sku, ())
    claims = grounder.claims(text) if grounder is not None else []
    sentences = []
    for line in re.finditer(r"[^\r\n]+", text):
        if not line.group().strip():
            continue
        before = previous.get(line.group())
        if before is not None:
            sentences.append(
                {
                    "text": line.group(),
                    "citations": list(before.get("citations", [])),
                    "segment": before.get("segment"),
                }
            )
            continue
        cited: list[str] = []
        for claim in claims:
            inside = line.start() <= claim.start < line.end()
            if inside and claim.label == "supported" and claim.citation and claim.citation not in cited:
                cited.append(claim.citation)
        sentences.append({"text": line.group(), "citations": cited, "segment": None})
    return sentences
