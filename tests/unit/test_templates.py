from pathlib import Path

import pytest

from agent.drafting.templates import TemplateError, load_template, template_for


def test_shipped_templates_load() -> None:
    for kind in ("script", "chain", "push"):
        template = template_for(kind)
        assert template.kind == kind and template.segments


def test_undeclared_variable_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "version: t1\nkind: script\nvariables: [title]\nsegments:\n  - name: 开场\n    lines:\n      - ['{title}{price}']\n",
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match=r"undeclared variable \{price\}"):
        load_template(path)


def test_unknown_block_field_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "version: t1\nkind: script\nvariables: []\nsegments:\n  - name: x\n    facts: {limit: 2, colour: red}\n",
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match="unknown field"):
        load_template(path)
