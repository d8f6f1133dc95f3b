"""话术 templates (``prompts/templates/<kind>.yaml``): declared variables, validated when loaded.

A placeholder is ``{variable}`` (must be declared in ``variables``) or ``{fact:关键词}`` (a measured item).
An undeclared placeholder is an error at load time; a declared variable the caller does not supply is an error
at render time. Templates are data: the composer decides nothing about wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from prompts import PROMPTS_DIR

PLACEHOLDER = re.compile(r"\{(fact:)?([^{}]+)\}")
BLOCK_FIELDS = {
    "quote": {"query", "doc_type", "sentences"},
    "facts": {"doc_type", "limit", "line"},
    "segment_facts": {"limit", "intro", "line", "none"},
    "faq": {"limit", "question", "answer"},
    "points": {"limit", "intro"},
}
BLOCK_PLACEHOLDERS = {
    "facts.line": {"key", "value"},
    "segment_facts.line": {"key", "value"},
    "segment_facts.intro": {"audience"},
    "segment_facts.none": {"audience", "keys"},
    "faq.question": {"question"},
    "faq.answer": {"answer"},
    "points.intro": {"points"},
}


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Segment:
    name: str
    minutes: int | None
    lines: tuple[tuple[str, ...], ...]
    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Template:
    version: str
    kind: str
    variables: frozenset[str]
    segments: tuple[Segment, ...]


def placeholders(text: str) -> list[tuple[bool, str]]:
    return [(bool(m.group(1)), m.group(2)) for m in PLACEHOLDER.finditer(text)]


def load_template(path: Path) -> Template:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for key in ("version", "kind", "variables", "segments"):
        if key not in data:
            raise TemplateError(f"{path}: field {key!r} missing")
    declared = frozenset(data["variables"])
    segments = []
    for n, raw in enumerate(data["segments"], start=1):
        where = f"{path}: segments[{n}]"
        if "name" not in raw:
            raise TemplateError(f"{where}: field 'name' missing")
        lines = []
        for m, alternatives in enumerate(raw.get("lines") or [], start=1):
            if isinstance(alternatives, str):
                alternatives = [alternatives]
            for text in alternatives:
                for is_fact, name in placeholders(text):
                    if not is_fact and name not in declared:
                        raise TemplateError(
                            f"{where} ({raw['name']}) line {m}: undeclared variable {{{name}}}"
                        )
            lines.append(tuple(alternatives))
        blocks = {}
        for block, allowed in BLOCK_FIELDS.items():
            if block not in raw:
                continue
            unknown = set(raw[block]) - allowed
            if unknown:
                raise TemplateError(
                    f"{where} ({raw['name']}): {block}: unknown field(s) {', '.join(sorted(unknown))}"
                )
            for key, value in raw[block].items():
                allowed_names = BLOCK_PLACEHOLDERS.get(f"{block}.{key}")
                if allowed_names is None or not isinstance(value, str):
                    continue
                for _, name in placeholders(value):
                    if name not in allowed_names:
                        raise TemplateError(
                            f"{where} ({raw['name']}): {block}.{key}: unknown placeholder {{{name}}}"
                        )
            blocks[block] = dict(raw[block])
        segments.append(Segment(raw["name"], raw.get("minutes"), tuple(lines), blocks))
    return Template(str(data["version"]), str(data["kind"]), declared, tuple(segments))


@lru_cache
def template_for(kind: str) -> Template:
    path = PROMPTS_DIR / "templates" / f"{kind}.yaml"
    if not path.exists():
        raise TemplateError(f"no 话术 template for kind {kind!r} ({path})")
    return load_template(path)
