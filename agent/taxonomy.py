"""The tag taxonomy (``prompts/taxonomy.yaml``) and the injection phrase list, loaded and validated once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from prompts import PROMPTS_DIR

CONTRACT_TAGS = {
    "blood_sugar",
    "blood_pressure",
    "blood_lipids",
    "weight",
    "digestive",
    "allergy",
    "maternal_infant",
    "elderly",
    "vegetarian",
    "baking",
    "fitness",
    "organic",
}


# a habit of keeping off a food, with a verb of avoidance before or after it: "少吃油", "甜的一口不敢碰"
AVOID_BEFORE = r"(?:不敢吃|不能吃|不让吃|不吃|少吃|少放|不放|戒了?|不碰|不沾|忌)(?:点|些)?"
AVOID_AFTER = r"(?:的|东西|类)?[^，。,!?！？]{0,5}?(?:不敢|不能|不让|不碰|不沾|一口不|都不|也不|戒了|全停|要少|得少|少吃|少放|别吃|别碰)"
# eating or touching something, then the body's reaction: "一吃海鲜脸就红一片", "吃点凉的就拉"
TRIGGER = r"(?:吃|喝|碰|沾)(?:了|到|点|完|多了)?[^，。,!?！？]{0,6}?(?:就|便|会)[^，。,!?！？]{0,3}?"


@dataclass(frozen=True)
class TagDef:
    id: str
    name: str
    sensitive: bool
    definition: str
    lexicon: tuple[str, ...]
    positive_examples: tuple[str, ...]
    negative_examples: tuple[str, ...]
    angle: str
    fact_keys: tuple[str, ...]
    audience: str  # how group copy may address the segment, e.g. "注意控盐饮食的家人"
    family_is_self: bool = False  # family words describe the member's own role (a parent and their 宝宝)
    family_when: tuple[
        str, ...
    ] = ()  # for such a tag, the words that still make it the family's (孙子, 外孙)
    # lexicon words that name a product attribute or an ambiguous everyday word rather than the member's state
    # ("低钠", "热量", "老人家"): alone they do not make a tag, a second message or semantic support must agree
    weak_lexicon: frozenset[str] = frozenset()
    # characters a message must contain before it is embedded and compared with this tag's examples ("胃肚肠便")
    cue_chars: str = ""
    # words that, in the same clause, put a hit outside the definition: 花粉/鼻炎 for 过敏忌口 (food only)
    exclusions: tuple[str, ...] = ()
    # foods whose habitual avoidance hints at this interest ("甜的" for 控糖, "荤的" for 素食): a weak hit
    avoided: tuple[str, ...] = ()
    # what the body does right after eating, for this tag ("一吃海鲜脸就红" for 过敏, "一吃凉的就拉" for 肠胃):
    # a weak hit
    reactions: tuple[str, ...] = ()
    # the member saying the interest is not theirs ("我还没孩子" for 母婴): weak words elsewhere do not stand
    self_denials: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    version: str
    negations: tuple[str, ...]
    past_markers: tuple[str, ...]
    family_markers: tuple[str, ...]
    tags: dict[str, TagDef]
    hedges: tuple[str, ...] = ()
    third_party_markers: tuple[str, ...] = ()
    # a person outside the household named by surname and title ("王姐", "李奶奶", "张阿姨") or as 老+surname
    # ("老李"): surnames, the titles that may follow one, and what must not follow 老+surname (老陈醋)
    surnames: str = ""
    person_titles: tuple[str, ...] = ()
    not_after_lao: str = ""
    # a later clause or the member's next message saying the state is over ("生完就正常了", "调理好了")
    resolutions: tuple[str, ...] = ()
    # a clause right after a hit that answers it with no ("减肥？我不需要")
    denials: tuple[str, ...] = ()
    claim_prefixes: tuple[str, ...] = ()  # right before a word, a product claim: "能降血糖"
    figurative: tuple[str, ...] = ()  # earlier in the clause, a figure of speech: "气得我血压都上来了"
    # everyday chat with no interest in it (semantic matching's background)
    chatter_examples: tuple[str, ...] = ()
    # a message saying the member only asks out of curiosity or that nobody at home needs it ("就是好奇",
    # "家里没人"): that message and the one before it are not evidence
    disclaimers: tuple[str, ...] = ()
    # in the same clause, the member enjoys the very thing a tag would avoid ("肥肉谁不爱吃", "红烧肉真香")
    enjoyment: tuple[str, ...] = ()

    @cached_property
    def lexicon_index(self) -> tuple[re.Pattern[str], dict[str, tuple[str, ...]]]:
        """One alternation of every lexicon word, longest first, and the tags each word belongs to."""
        owners: dict[str, list[str]] = {}
        for tag in self.tags.values():
            for word in tag.lexicon:
                owners.setdefault(word, []).append(tag.id)
        words = sorted(owners, key=len, reverse=True)
        return re.compile("|".join(re.escape(w) for w in words)), {w: tuple(t) for w, t in owners.items()}

    @cached_property
    def avoidance_index(self) -> dict[str, re.Pattern[str]]:
        """Per tag with ``avoided`` foods: a verb of avoidance before the food ("少吃油") or after it ("甜的一口不敢
        碰")."""
        out = {}
        for tag in self.tags.values():
            if tag.avoided:
                foods = "|".join(re.escape(w) for w in tag.avoided)
                out[tag.id] = re.compile(f"{AVOID_BEFORE}(?:{foods})|(?:{foods}){AVOID_AFTER}")
        return out

    @cached_property
    def reaction_index(self) -> dict[str, re.Pattern[str]]:
        """Per tag with ``reactions``: eating something, then that reaction ("一吃海鲜脸就红")."""
        return {
            tag.id: re.compile(TRIGGER + "(?:" + "|".join(re.escape(w) for w in tag.reactions) + ")")
            for tag in self.tags.values()
            if tag.reactions
        }

    @cached_property
    def family_re(self) -> re.Pattern[str]:
        """Any family marker (one regex scan instead of one ``in`` per marker); a marker written with 我家 also
        with 我们家, 咱家, 咱们家, 俺家 and 俺们家 ("我们家老太太")."""
        variants = tuple(
            other + m[2:]
            for m in self.family_markers
            if m.startswith("我家")
            for other in ("我们家", "咱家", "咱们家", "俺家", "俺们家")
        )
        return _alternation(self.family_markers + variants)

    @cached_property
    def third_party_re(self) -> re.Pattern[str]:
        """Someone outside the household: a marker ("同事", "楼下") or a person named by surname and title."""
        markers = _alternation(self.third_party_markers).pattern
        named = self.named_person_re.pattern
        return re.compile(f"{markers}|{named}" if named else markers)

    @cached_property
    def named_person_re(self) -> re.Pattern[str]:
        """ "王姐", "李奶奶", "张阿姨", "老李" (not "我奶奶", not "老陈醋"): a neighbour or acquaintance by name."""
        if not self.surnames or not self.person_titles:
            return re.compile("")
        titles = "|".join(re.escape(t) for t in sorted(self.person_titles, key=len, reverse=True))
        stop = f"(?![{re.escape(self.not_after_lao)}])" if self.not_after_lao else ""
        return re.compile(
            f"(?<![我俺咱家])[{self.surnames}](?:{titles})|(?<![我俺咱家])老[{self.surnames}]{stop}"
        )

    @cached_property
    def guards_re(self) -> re.Pattern[str]:
        """Past, hearsay, someone else (a marker; named people are checked by the rules, which know the member's
        own 接龙 name) or a state that is over: a message with one makes no semantic tag."""
        return _alternation(self.past_markers + self.hedges + self.third_party_markers + self.resolutions)

    @cached_property
    def past_re(self) -> re.Pattern[str]:
        return _alternation(self.past_markers)

    @cached_property
    def proxy_re(self) -> re.Pattern[str]:
        """Asked or bought for someone outside the household: "帮邻居问", "替同事带", "送我表姐的"."""
        markers = "|".join(re.escape(m) for m in sorted(self.third_party_markers, key=len, reverse=True))
        return re.compile(f"(?:帮|替|送给|送我|送|给我)(?:{markers})|送人|送礼")

    @property
    def sensitive_ids(self) -> frozenset[str]:
        return frozenset(t.id for t in self.tags.values() if t.sensitive)


def _alternation(words: tuple[str, ...]) -> re.Pattern[str]:
    if not words:
        return re.compile(r"(?!x)x")  # matches nothing
    return re.compile("|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)))


class TaxonomyError(ValueError):
    pass


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    path = path or PROMPTS_DIR / "taxonomy.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    tags: dict[str, TagDef] = {}
    for n, raw in enumerate(data.get("tags") or [], start=1):
        where = f"{path}: tags[{n}]"
        for key in ("id", "name", "sensitive", "lexicon"):
            if key not in raw:
                raise TaxonomyError(f"{where}: field {key!r} missing")
        if raw["id"] in tags:
            raise TaxonomyError(f"{where}: duplicate id {raw['id']!r}")
        tags[raw["id"]] = TagDef(
            id=raw["id"],
            name=raw["name"],
            sensitive=bool(raw["sensitive"]),
            definition=raw.get("definition", ""),
            lexicon=tuple(sorted({str(w) for w in raw["lexicon"]}, key=len, reverse=True)),
            positive_examples=tuple(raw.get("positive_examples") or ()),
            negative_examples=tuple(raw.get("negative_examples") or ()),
            angle=raw.get("angle", ""),
            fact_keys=tuple(raw.get("fact_keys") or ()),
            audience=raw.get("audience") or f"关注{raw['name']}的家人",
            family_is_self=bool(raw.get("family_is_self", False)),
            family_when=tuple(str(w) for w in raw.get("family_when") or ()),
            weak_lexicon=frozenset(str(w) for w in raw.get("weak_lexicon") or ()),
            cue_chars=str(raw.get("cue_chars") or ""),
            exclusions=tuple(str(w) for w in raw.get("exclusions") or ()),
            avoided=tuple(sorted({str(w) for w in raw.get("avoided") or ()}, key=len, reverse=True)),
            reactions=tuple(sorted({str(w) for w in raw.get("reactions") or ()}, key=len, reverse=True)),
            self_denials=tuple(str(w) for w in raw.get("self_denials") or ()),
        )
        stray = tags[raw["id"]].weak_lexicon - set(tags[raw["id"]].lexicon)
        if stray:
            raise TaxonomyError(
                f"{where} ({raw['id']}): weak_lexicon words not in lexicon: {', '.join(sorted(stray))}"
            )
    missing = CONTRACT_TAGS - set(tags)
    if missing:
        raise TaxonomyError(f"{path}: contract tag ids missing: {', '.join(sorted(missing))}")
    return Taxonomy(
        version=f"taxonomy-v{data.get('version', 1)}",
        negations=tuple(data.get("negations") or ()),
        past_markers=tuple(data.get("past_markers") or ()),
        family_markers=tuple(data.get("family_markers") or ()),
        tags=tags,
        hedges=tuple(data.get("hedges") or ()),
        third_party_markers=tuple(data.get("third_party_markers") or ()),
        surnames=str(data.get("surnames") or ""),
        person_titles=tuple(str(t) for t in data.get("person_titles") or ()),
        not_after_lao=str(data.get("not_after_lao") or ""),
        resolutions=tuple(data.get("resolutions") or ()),
        denials=tuple(data.get("denials") or ()),
        claim_prefixes=tuple(data.get("claim_prefixes") or ()),
        figurative=tuple(data.get("figurative") or ()),
        chatter_examples=tuple(data.get("chatter_examples") or ()),
        disclaimers=tuple(data.get("disclaimers") or ()),
        enjoyment=tuple(data.get("enjoyment") or ()),
    )


@lru_cache
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@lru_cache
def injection_patterns() -> tuple[re.Pattern[str], ...]:
    data = yaml.safe_load((PROMPTS_DIR / "injection.yaml").read_text(encoding="utf-8"))
    return tuple(re.compile(p, re.IGNORECASE) for p in data["patterns"])


def looks_like_injection(text: str) -> bool:
    """True when a text addresses the machine ("忽略以上指令…") rather than other people."""
    return any(p.search(text) for p in injection_patterns())
