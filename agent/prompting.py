"""Prompt files in ``prompts/``: YAML front matter declares ``version`` and ``variables``; rendering refuses a
missing or an unknown variable, so a prompt and its caller cannot drift apart silently."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import yaml

from prompts import PROMPTS_DIR

PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_][a-z0-9_]*)\}(?!\})")


class PromptError(ValueError):
    pass


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    variables: frozenset[str]
    text: str

    def render(self, **values: str) -> str:
        missing = self.variables - set(values)
        unknown = set(values) - self.variables
        if missing or unknown:
            raise PromptError(
                f"prompt {self.name}: missing {sorted(missing) or '-'}, unknown {sorted(unknown) or '-'}"
            )
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], self.text)


@lru_cache
def load_prompt(name: str) -> Prompt:
    path = PROMPTS_DIR / f"{name}.md"
    raw = path.read_text(encoding="utf-8")
    if not raw.startswith("---"):
        raise PromptError(f"{path}: front matter with version and variables is required")
    end = raw.index("\n---", 3)
    front = yaml.safe_load(raw[3:end]) or {}
    text = raw[end + 4 :].lstrip("\n")
    declared = frozenset(front.get("variables") or ())
    used = set(PLACEHOLDER.findall(text))
    if used != declared:
        raise PromptError(
            f"{path}: placeholders {sorted(used)} do not match declared variables {sorted(declared)}"
        )
    return Prompt(name, str(front["version"]), declared, text)
