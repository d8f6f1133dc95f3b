"""Compliance rules from ``prompts/rules/*.yaml``: terms or patterns with allow-contexts, not bare substrings.

"最" is an absolute claim in "最好的橄榄油" but not in "最近" or "最后一单": each rule lists the contexts in which
its term is lawful, and a hit inside one of them is not a finding.
"""

from __future__ import annotations

import re
import re._parser as sre_parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from re._constants import BRANCH, IN, LITERAL, MAX_REPEAT, MIN_REPEAT, SUBPATTERN
from typing import Any

import yaml

from agent.checks import compliance_clause, compliance_model
from agent.checks.automaton import Automaton
from agent.checks.compliance_clause import ClauseClassifier
from agent.checks.compliance_model import SpanTagger
from agent.checks.normalise import CLAUSE_END_MARKS, View, view
from prompts import PROMPTS_DIR

SEVERITIES = ("block", "warn", "info")


class RuleFileError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    category: str
    legal_basis: str
    severity: str
    pattern: re.Pattern[str]
    term: str | None  # a literal term (matched by the automaton); None for a regex rule
    allow_contexts: tuple[str, ...]
    message: str
    suggestion: str | None
    allow_patterns: tuple[re.Pattern[str], ...] = ()  # regex contexts, for families of lawful uses (最多三瓶)
    denial: re.Pattern[str] | None = None  # the file's denial cues: "我们不说它能降血压" denies, not claims
    family_suggestion: str | None = None  # the file's general lawful rewrite (what a model finding suggests)


@dataclass(frozen=True)
class Finding:
    rule: str
    category: str
    severity: str
    start: int
    end: int
    text: str
    message: str
    suggestion: str | None
    family: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "message": self.message,
            "suggestion": self.suggestion,
        }


LEXICON_REF = re.compile(r"\{\{(\w+)\}\}")


def _expand(pattern: str, lexicon: dict[str, str], where: str) -> str:
    """``{{name}}`` in a pattern stands for the file's ``lexicon`` entry of that name (a family of words shared by
    several rules: the disease names, the body indicators), as a non-capturing alternation."""

    def one(m: re.Match[str]) -> str:
        if m.group(1) not in lexicon:
            raise RuleFileError(f"{where}: unknown lexicon entry {{{{{m.group(1)}}}}}")
        return lexicon[m.group(1)]

    return LEXICON_REF.sub(one, pattern)


def load_rule_file(path: Path) -> list[Rule]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    family = data.get("family") or path.stem
    lexicon: dict[str, str] = {}
    for name, words in (data.get("lexicon") or {}).items():
        if not isinstance(words, list) or not words:
            raise RuleFileError(f"{path}: lexicon.{name}: expected a list of words or patterns")
        lexicon[str(name)] = (
            "(?:" + "|".join(_expand(str(w), lexicon, f"{path}: lexicon.{name}") for w in words) + ")"
        )
    denial = None
    if data.get("denials"):
        try:
            denial = re.compile("(?:" + "|".join(str(d) for d in data["denials"]) + ")")
        except re.error as exc:
            raise RuleFileError(f"{path}: denials: bad pattern: {exc}") from exc
    rules = []
    for n, raw in enumerate(data.get("rules") or [], start=1):
        where = f"{path}: rules[{n}]"
        if "id" not in raw:
            raise RuleFileError(f"{where}: field 'id' missing")
        if ("term" in raw) == ("pattern" in raw):
            raise RuleFileError(f"{where} ({raw['id']}): give exactly one of 'term' or 'pattern'")
        severity = raw.get("severity", "block")
        if severity not in SEVERITIES:
            raise RuleFileError(f"{where} ({raw['id']}): severity must be one of {', '.join(SEVERITIES)}")
        try:
            pattern = re.compile(
                re.escape(str(raw["term"])) if "term" in raw else _expand(str(raw["pattern"]), lexicon, where)
            )
        except re.error as exc:
            raise RuleFileError(f"{where} ({raw['id']}): bad pattern: {exc}") from exc
        allow_patterns = []
        for k, context in enumerate(raw.get("allow_patterns") or (), start=1):
            try:
                allow_patterns.append(re.compile(_expand(str(context), lexicon, where)))
            except re.error as exc:
                raise RuleFileError(
                    f"{where} ({raw['id']}): allow_patterns[{k}]: bad pattern: {exc}"
                ) from exc
        rules.append(
            Rule(
                id=str(raw["id"]),
                family=family,
                category=str(raw.get("category") or data.get("category") or family),
                legal_basis=str(raw.get("legal_basis") or data.get("legal_basis") or ""),
                severity=severity,
                pattern=pattern,
                term=str(raw["term"]) if "term" in raw else None,
                allow_contexts=tuple(str(c) for c in raw.get("allow_contexts") or ()),
                message=str(raw.get("message") or f"「{raw.get('term', raw.get('pattern'))}」"),
                suggestion=raw.get("suggestion"),
                allow_patterns=tuple(allow_patterns),
                denial=denial,
                family_suggestion=str(data["suggestion"]) if data.get("suggestion") else None,
            )
        )
    return rules


@lru_cache
def rules(directory: str | None = None) -> tuple[Rule, ...]:
    folder = Path(directory) if directory else PROMPTS_DIR / "rules"
    out: list[Rule] = []
    for path in sorted(folder.glob("*.yaml")):
        out.extend(load_rule_file(path))
    ids = [r.id for r in out]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuleFileError(f"{folder}: duplicate rule ids: {', '.join(sorted(duplicates))}")
    return tuple(out)


CLAUSE_END = re.compile(f"[{re.escape(CLAUSE_END_MARKS)}]")
DENIAL_REACH = 10  # characters before a hit, within its clause, in which a denial cue counts


def _denied(text: str, start: int, end: int, denial: re.Pattern[str] | None) -> bool:
    """True when the hit is denied or asked about rather than claimed: a denial cue of its file stands shortly
    before it in the same clause (我们不说它能降血压, 不敢说能增强免疫力), or the clause asks (能降血糖吗？)."""
    if denial is None:
        return False
    before = text[max(0, start - DENIAL_REACH) : start]
    cut = [m.end() for m in CLAUSE_END.finditer(before)]
    before = before[cut[-1] :] if cut else before
    if denial.search(before):
        return True
    said = text[end : end + 14]
    cut_said = CLAUSE_END.search(said)
    said = said[: cut_said.start()] if cut_said else said
    if re.match(r"(?:这种|这个|这类|之类的|的)说法", said) and denial.search(said):
        return True  # 抗病毒这种说法我们不说
    after = text[end : end + 6]
    stop = CLAUSE_END.search(after)
    tail = after[: stop.start()] if stop else after
    rhetorical = re.match(
        r"(?:哪个|哪一个|哪位|谁|有谁)[^，,。！!？?；;]*不", text[start:end]
    )  # 哪个吃了不说好？
    if re.search(r"[吗么嘛]$", tail) or (
        stop and stop.group() in "？?" and "不" not in before and not rhetorical
    ):
        return True
    return _reported_and_corrected(text, start, end)


SENTENCE_END = re.compile(r"[。！!？?\n]")
REPORTED = re.compile(
    r"(?:有人|有家人|有邻居|有朋友|有的人|网上|别人|外面|群里有人)(?:在群里|在网上)?(?:说|讲|传)"
)
CORRECTED = re.compile(
    r"不能这么(?:宣传|说|讲)|不能这样(?:宣传|说|讲)|不认可|别这么(?:传|说)|不是这样|没有这个说法|不这么说|别信|谣言|没有这回事|别(?:再)?传|不属实|是假的"
)


def _reported_and_corrected(text: str, start: int, end: int) -> bool:
    """True when the sentence reports someone else's claim and then corrects it: 有家人说吃了血压降了，我得说明一下，
    这是普通食品，不能这么宣传."""
    head = text[:start]
    cut = [m.end() for m in SENTENCE_END.finditer(head)]
    head = head[cut[-1] :] if cut else head
    if not REPORTED.search(head):
        return False
    rest = text[end:]
    stop = SENTENCE_END.search(rest)
    return bool(CORRECTED.search(rest[: stop.start()] if stop else rest))


def _allowed(
    text: str, start: int, end: int, contexts: tuple[str, ...], patterns: tuple[re.Pattern[str], ...] = ()
) -> bool:
    """True when the hit lies inside an occurrence of one of the rule's allow-contexts (literal or pattern)."""
    window = text[max(0, start - 12) : end + 12]
    offset = max(0, start - 12)
    for allowed in patterns:
        for match in allowed.finditer(window):
            if offset + match.start() <= start and offset + match.end() >= end:
                return True
    for context in contexts:
        lo = max(0, end - len(context))
        for match in re.finditer(re.escape(context), text[lo : start + len(context)]):
            if lo + match.start() <= start and lo + match.end() >= end:
                return True
    return False


def _factors(items: Any) -> frozenset[str] | None:
    """Strings of which every match of this parsed regex sequence contains at least one (None: none known)."""
    candidates: list[frozenset[str]] = []
    run = ""
    for op, av in items:
        if op is LITERAL:
            run += chr(av)
            continue
        if run:
            candidates.append(frozenset([run]))
            run = ""
        found: frozenset[str] | None = None
        if op is SUBPATTERN and not av[1] & re.IGNORECASE:
            found = _factors(av[3])
        elif op is BRANCH:
            branches = [_factors(b) for b in av[1]]
            if all(b is not None for b in branches):
                found = frozenset().union(*(b for b in branches if b is not None))
        elif op in (MAX_REPEAT, MIN_REPEAT) and av[0] >= 1:
            found = _factors(av[2])
        elif op is IN and 0 < len(av) <= 16 and all(o is LITERAL for o, _ in av):
            found = frozenset(chr(v) for _, v in av)
        if found:
            candidates.append(found)
    if run:
        candidates.append(frozenset([run]))
    if not candidates:
        return None
    return max(candidates, key=lambda f: (min(map(len, f)), -len(f)))


def necessary_strings(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Strings of which every match of the pattern contains one, read off its parse tree (None when the pattern
    ignores case or no such set is known). A sentence holding none of them cannot match, so the rule is skipped."""
    if pattern.flags & re.IGNORECASE:
        return None
    return _factors(sre_parse.parse(pattern.pattern).data)


@dataclass(frozen=True)
class Index:
    """One automaton finds the literal terms and the necessary strings of the pattern rules in a single pass."""

    automaton: Automaton
    by_term: dict[str, list[Rule]]  # literal term → the rules that are that term
    by_factor: dict[str, list[int]]  # necessary string → positions in ``patterns`` of the rules needing it
    patterns: list[Rule]  # the pattern rules, in rule-file order
    always: frozenset[int]  # pattern rules without necessary strings: run on every sentence


@lru_cache(maxsize=8)
def _index(rule_set: tuple[Rule, ...]) -> Index:
    by_term: dict[str, list[Rule]] = {}
    for rule in rule_set:
        if rule.term is not None:
            by_term.setdefault(rule.term, []).append(rule)
    patterns = [r for r in rule_set if r.term is None]
    by_factor: dict[str, list[int]] = {}
    always = set()
    for n, rule in enumerate(patterns):
        factors = necessary_strings(rule.pattern)
        if factors is None:
            always.add(n)
            continue
        for factor in factors:
            by_factor.setdefault(factor, []).append(n)
    return Index(Automaton([*by_term, *by_factor]), by_term, by_factor, patterns, frozenset(always))


_default: tuple[tuple[Rule, ...], Index] | None = None


def _default_index() -> Index:
    """The index of :func:`rules`, rebuilt only when that cache hands out another rule set."""
    global _default
    current = rules()
    if _default is None or _default[0] is not current:
        _default = (current, _index(current))
    return _default[1]


def check_compliance(
    text: str,
    rule_set: tuple[Rule, ...] | None = None,
    *,
    tagger: SpanTagger | None = None,
    clause_model: ClauseClassifier | None = None,
) -> list[Finding]:
    """Findings for every rule hit outside its allow-contexts, then the trained span tagger's findings where no rule
    finding already speaks (see :func:`model_findings`), then the clause classifier's where neither speaks for its
    family in that clause (see :func:`clause_findings`). Matching reads a normalised view of the text (full width,
    traditional characters, separators inside words) and reports spans of the original text. The tagger and the
    clause model are those given, else the committed span tagger unless ``LINLI_COMPLIANCE_MODEL=off`` and the
    committed clause model only with ``LINLI_COMPLIANCE_CLAUSE=on`` (off by default: it adds recall, but on the test
    split also clean false positives, and it flags bare product names, see compliance_clause.py); a rule set given
    explicitly runs alone (with the models given, if any)."""
    seen = view(text)
    findings = rule_findings(text, seen, rule_set)
    if rule_set is None and compliance_model.enabled():
        tagger = tagger or compliance_model.default_model()
        if clause_model is None and compliance_clause.enabled():
            clause_model = compliance_clause.default_model()
    if tagger is not None:
        spans = tagger.spans(seen.text)
        findings = _drop_nested(findings + model_findings(text, seen, spans, findings, rule_set))
    if clause_model is not None:
        flagged = clause_model.flagged(seen.text)
        if flagged:
            found = clause_findings(
                text,
                seen,
                flagged,
                findings,
                rule_set,
                window=clause_model.best_window,
                whole_clause=clause_model.whole_clause,
                defer_any=clause_model.defer_any,
            )
            findings = _drop_nested(findings + found)
    return findings


def rule_findings(text: str, seen: View, rule_set: tuple[Rule, ...] | None = None) -> list[Finding]:
    """The rules' findings alone (see :func:`check_compliance`)."""
    # the default rules' index is built once: hashing 128 rules for the cache on every call cost more than matching
    index = _index(rule_set) if rule_set else _default_index()
    hits: list[tuple[int, int, Rule]] = []
    candidates = set(index.always)
    for s, e, term in index.automaton.find(seen.text):
        hits += [(s, e, rule) for rule in index.by_term.get(term, ())]
        candidates.update(index.by_factor.get(term, ()))
    for n in sorted(candidates):
        rule = index.patterns[n]
        hits += [(m.start(), m.end(), rule) for m in rule.pattern.finditer(seen.text)]
    findings: list[Finding] = []
    taken: set[tuple[str, int, int]] = set()
    for start, end, rule in sorted(hits, key=lambda h: (h[0], h[1], h[2].id)):
        if (
            start == end
            or _allowed(seen.text, start, end, rule.allow_contexts, rule.allow_patterns)
            or _denied(seen.text, start, end, rule.denial)
        ):
            continue
        o_start, o_end = seen.span(start, end)
        key = (rule.family, o_start, o_end)
        if key in taken:
            continue
        taken.add(key)
        basis = f"（依据：{rule.legal_basis}）" if rule.legal_basis else ""
        findings.append(
            Finding(
                rule.id,
                rule.category,
                rule.severity,
                o_start,
                o_end,
                text[o_start:o_end],
                rule.message + basis,
                rule.suggestion,
                rule.family,
            )
        )
    return _drop_nested(findings)


def _drop_nested(findings: list[Finding]) -> list[Finding]:
    """When two rules of one family hit overlapping text (降压 inside 降血压…), keep the longer hit."""
    findings.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[Finding] = []
    for f in findings:
        if any(k.family == f.family and k.start <= f.start and f.end <= k.end for k in kept):
            continue
        kept.append(f)
    return kept


@dataclass(frozen=True)
class Family:
    """What a model finding of one family carries, read off that family's rule file: its category, legal basis,
    usual severity, general rewrite, denial cues and the union of its rules' allow-contexts."""

    name: str
    category: str
    legal_basis: str
    severity: str
    suggestion: str | None
    denial: re.Pattern[str] | None
    allow_contexts: tuple[str, ...]
    allow_patterns: tuple[re.Pattern[str], ...]


_families: tuple[tuple[Rule, ...], dict[str, Family]] | None = None


def families(rule_set: tuple[Rule, ...] | None = None) -> dict[str, Family]:
    """Family name → :class:`Family` for the given rules (default: :func:`rules`), cached on the rule set's identity
    (hashing every rule on every call would cost more than the check)."""
    global _families
    current = rule_set if rule_set is not None else rules()
    if _families is None or _families[0] is not current:
        _families = (current, _group_families(current))
    return _families[1]


def _group_families(rule_set: tuple[Rule, ...]) -> dict[str, Family]:
    grouped: dict[str, list[Rule]] = {}
    for rule in rule_set:
        grouped.setdefault(rule.family, []).append(rule)
    out = {}
    for name, members in grouped.items():
        severities = [r.severity for r in members]
        first = members[0]
        out[name] = Family(
            name=name,
            category=max({r.category for r in members}, key=[r.category for r in members].count),
            legal_basis=first.legal_basis,
            severity=max(SEVERITIES, key=severities.count),
            suggestion=first.family_suggestion or first.suggestion,
            denial=first.denial,
            allow_contexts=tuple(dict.fromkeys(c for r in members for c in r.allow_contexts)),
            allow_patterns=tuple(dict.fromkeys(p for r in members for p in r.allow_patterns)),
        )
    return out


def model_findings(
    text: str,
    seen: View,
    spans: Sequence[tuple[str, int, int, float]],
    covered: Sequence[Finding] = (),
    rule_set: tuple[Rule, ...] | None = None,
) -> list[Finding]:
    """Findings from the span tagger's ``spans`` of the normalised view (family, start, end, peak probability), for
    families that have a rule file, outside the family's allow-contexts and denials, where no finding in
    ``covered`` (the rules') already speaks: none overlaps the span, and none of its family stands in its clause."""
    known = families(rule_set)
    out: list[Finding] = []
    pieces = []
    for family_name, start, end, score in spans:
        family = known.get(family_name)
        if family is not None:
            pieces += [(family, s, e, score) for s, e in _outside_allowed(seen.text, start, end, family)]
    for family, start, end, score in pieces:
        family_name = family.name
        o_start, o_end = seen.span(start, end)
        if any(_defers(text, o_start, o_end, family_name, f) for f in covered):
            continue
        if _denied(seen.text, start, end, family.denial):
            continue
        if family_name in NEEDS_EFFECT and not _effect_in_clause(seen.text, start, end):
            continue
        if family_name in NEEDS_SOURCE and not _effect_in_clause(seen.text, start, end, SOURCE_CUE):
            continue
        basis = f"（依据：{family.legal_basis}）" if family.legal_basis else ""
        out.append(
            Finding(
                f"model:{family_name}",
                family.category,
                family.severity,
                o_start,
                o_end,
                text[o_start:o_end],
                f"模型识别：疑似{family.category}「{text[o_start:o_end]}」（置信度{score:.2f}），请核对{basis}",
                family.suggestion,
                family_name,
            )
        )
    return out


ALLOW_REACH = 12  # characters either side of a span searched for an allow-context that covers part of it

# A disease named is not yet a claim: 我高血压十几年了, 血压高的家人少吃点 mention one. The law forbids claiming that the
# food acts on it (prevents, treats, lowers, relieves, cures), so a span tagger finding of disease_claims stands only
# where its clause (or the span itself) holds a word of acting or of a change in the body. Found by running the
# stages over text that is no eval row (demo chats and documents): the tagger had learnt disease words as claims.
NEEDS_EFFECT = frozenset({"disease_claims"})
EFFECT_CUE = re.compile(
    r"降|稳|通|消|好了|好多了|好很多|好转|好得|正常|下来|下去|没了|不见|治|防|缓解|改善|调理|调节|控制|控住|管住|修复|恢复|养好|"
    r"抗|排|清|护|软化|溶|减|逆转|根除|告别|远离|不再|再也|没再|不犯|少犯|不用|停药|克星|神器|管用|有效|见效|效果|帮助|"
    r"有助|作用|专治|对付|搞定|赶走|不怕|不疼|不痛|止|退|轻了|小了|化掉|化了|杀|灭|压住|压下|不咋|不怎么|很少|喝好|吃好"
)


# An endorsement borrows someone's authority (广告法第九条、第十六条): a span tagger finding of endorsements stands only
# where its clause names a source of authority (a person or body of the rule file's kind, a state medium, a state
# supply mark). 团长推荐的没错 (the group's own leader) and 大家给推荐推荐 borrow none; found on the same non-eval text.
NEEDS_SOURCE = frozenset({"endorsements"})
SOURCE_CUE = re.compile(
    r"医|大夫|专家|教授|院士|博士|营养|中医|药师|护士|科学|协会|学会|卫健|疾控|卫生|监管|领导|首长|干部|主席|总理|部长|"
    r"明星|艺人|网红|名人|主持|冠军|运动员|国家队|航天|宇航|劳模|代表|委员|央视|卫视|电视|台|报|新闻|国宴|国家|政府|机关|部委|"
    r"部队|军|武警|使馆|外交|国宾|特供|专供|御用|贡|指定|认证|认可|推荐官|农科院|科学院|研究|实验室|月嫂|教练|患者|病友"
)


def _effect_in_clause(text: str, start: int, end: int, cue: re.Pattern[str] = EFFECT_CUE) -> bool:
    """True when the clause around text[start:end] holds a word of ``cue`` (default: of acting on the body or of a
    change in it)."""
    lo = max((m.end() for m in CLAUSE_END.finditer(text, 0, start)), default=0)
    stop = CLAUSE_END.search(text, end)
    return bool(cue.search(text, lo, stop.start() if stop else len(text)))


def _outside_allowed(text: str, start: int, end: int, family: Family) -> list[tuple[int, int]]:
    """The parts of a model span that no allow-context of its family covers (最近 in 最近降温 is lawful, whatever
    the model thought of 最): a span inside one vanishes, one that only touches one is trimmed to what is left (two
    characters at least)."""
    lo = max(0, start - ALLOW_REACH)
    window = text[lo : end + ALLOW_REACH]
    free = [True] * (end - start)
    for context in family.allow_contexts:
        at = window.find(context)
        while at >= 0:
            for i in range(max(start, lo + at), min(end, lo + at + len(context))):
                free[i - start] = False
            at = window.find(context, at + 1)
    for pattern in family.allow_patterns:
        for m in pattern.finditer(window):
            for i in range(max(start, lo + m.start()), min(end, lo + m.end())):
                free[i - start] = False
    if all(free):
        return [(start, end)]
    # what is left beside an allow-context must stand on its own: a lone character there is a stray
    out, run = [], None
    for i, ok in enumerate(free + [False]):
        if ok and run is None:
            run = i
        elif not ok and run is not None:
            if i - run >= 2:
                out.append((start + run, start + i))
            run = None
    return out


def _defers(text: str, start: int, end: int, family: str, rule_finding: Finding) -> bool:
    """True when a model span at text[start:end] is left to a rule's finding: the rule's text overlaps it (whatever
    its family: the rule has read that claim), or the rule found the same family in the same clause (one claim, one
    finding; the model's run beside it is most often the rest of the same claim)."""
    if rule_finding.start < end and start < rule_finding.end:
        return True
    if rule_finding.family != family:
        return False
    lo, hi = min(end, rule_finding.end), max(start, rule_finding.start)
    return not CLAUSE_END.search(text, lo, hi) if lo <= hi else True


def clause_findings(
    text: str,
    seen: View,
    flagged: Sequence[tuple[str, int, int, float]],
    covered: Sequence[Finding] = (),
    rule_set: tuple[Rule, ...] | None = None,
    *,
    window: Callable[[str, int, int, str], tuple[int, int]] | None = None,
    whole_clause: bool = False,
    defer_any: bool = True,
) -> list[Finding]:
    """Findings from the clause classifier's flagged clauses of the normalised view (family, clause start and end,
    probability): one per clause and family, for families that have a rule file, where no finding in ``covered``
    (the rules' and the span tagger's) touches the clause (of any family with ``defer_any``, else of its own) or
    overlaps its window, the window is not inside an allow-context of the family, and no denial cue of the family
    stands before the window in its clause (nor does the clause ask). The window is ``window(view text, clause
    start, clause end, family)`` (the clause's highest-scoring characters), the whole clause when None; the finding
    spans the window, or the clause with ``whole_clause``."""
    known = families(rule_set)
    out: list[Finding] = []
    for family_name, c_start, c_end, score in flagged:
        family = known.get(family_name)
        if family is None:
            continue
        o_clause = seen.span(c_start, c_end)
        if any(
            (defer_any or f.family == family_name) and f.start < o_clause[1] and o_clause[0] < f.end
            for f in covered
        ):
            continue
        w_start, w_end = window(seen.text, c_start, c_end, family_name) if window else (c_start, c_end)
        o_start, o_end = seen.span(w_start, w_end)
        if any(f.start < o_end and o_start < f.end for f in covered):
            continue
        if _outside_allowed(seen.text, w_start, w_end, family) != [(w_start, w_end)]:
            continue
        if _denied(seen.text, w_start, w_end, family.denial) or _clause_denied(
            seen.text, c_start, w_start, family.denial
        ):
            continue
        if whole_clause:
            o_start, o_end = o_clause
        basis = f"（依据：{family.legal_basis}）" if family.legal_basis else ""
        out.append(
            Finding(
                f"clause:{family_name}",
                family.category,
                family.severity,
                o_start,
                o_end,
                text[o_start:o_end],
                f"模型识别（整句）：疑似{family.category}「{text[o_clause[0] : o_clause[1]]}」（置信度{score:.2f}），"
                f"请核对{basis}",
                family.suggestion,
                family_name,
            )
        )
    return out


def _clause_denied(text: str, clause_start: int, start: int, denial: re.Pattern[str] | None) -> bool:
    """True when a denial cue of the family stands anywhere in the clause before the window (the window is where
    the evidence peaks, which need not be where the claim begins: 并不能让血管变软)."""
    return (
        denial is not None and bool(denial.search(text, clause_start, start))
        if start > clause_start
        else False
    )
