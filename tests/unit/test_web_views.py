"""How the draft page cuts a text into rows and marked pieces, and a source paragraph into text and tables."""

from __future__ import annotations

from api.web.views import draft_rows, source_blocks


def finding(start: int, end: int, severity: str = "block", rule: str = "r") -> dict[str, object]:
    return {"rule": rule, "severity": severity, "start": start, "end": end}


def test_sentences_are_located_in_order_and_findings_cut_them_into_pieces() -> None:
    text = "【开场】\n天天吃能降血压，比吃药还管用。\n钠含量低。"
    doc = {
        "text": text,
        "sentences": [
            {"text": "天天吃能降血压，比吃药还管用。", "citations": []},
            {"text": "钠含量低。", "citations": ["soy#1", "soy#2"]},
        ],
        "findings": [
            finding(text.index("降血压"), text.index("降血压") + 3),
            finding(text.index("降血压"), text.index("管用") + 2, "warn"),  # overlaps the first
        ],
    }
    rows, cited, unplaced = draft_rows(doc)
    assert [r.kind for r in rows] == ["header", "sentence", "sentence"]
    assert "".join(p.text for p in rows[0].pieces) == "【开场】"
    pieces = [(p.text, p.findings, p.severity) for p in rows[1].pieces]
    assert pieces == [
        ("天天吃能", [], None),
        ("降血压", [0, 1], "block"),  # the gravest severity colours the overlap
        ("，比吃药还管用", [1], "warn"),
        ("。", [], None),
    ]
    assert rows[2].citations == [1, 2] and cited == ["soy#1", "soy#2"]
    assert unplaced == []


def test_a_repeated_sentence_maps_to_its_own_occurrence() -> None:
    text = "好。\n好。"
    doc = {
        "text": text,
        "sentences": [{"text": "好。", "citations": []}, {"text": "好。", "citations": ["a#1"]}],
        "findings": [finding(3, 4)],
    }
    rows, _, _ = draft_rows(doc)
    assert [p.findings for p in rows[0].pieces] == [[]]
    assert [p.findings for p in rows[1].pieces] == [[0], []]


def test_a_sentence_not_in_the_text_is_shown_plain_and_its_finding_listed_apart() -> None:
    doc = {
        "text": "甲乙丙",
        "sentences": [{"text": "别的句子", "citations": ["x#1"]}],
        "findings": [finding(0, 0, "info"), finding(1, 2)],
    }
    rows, cited, unplaced = draft_rows(doc)
    assert rows[0].located is False and rows[0].citations == [1]
    assert rows[1].kind == "header" and [p.findings for p in rows[1].pieces] == [[], [1], []]
    assert unplaced == [0]  # an empty span marks nothing in the text


def test_report_tables_become_rows_without_the_separator() -> None:
    blocks = source_blocks("检测结果：\n| 项目 | 结果 |\n|---|:---:|\n| 酸度 | 0.2% |\n结论：合格")
    assert [b.kind for b in blocks] == ["text", "table", "text"]
    assert blocks[1].rows == [["项目", "结果"], ["酸度", "0.2%"]]
    assert blocks[2].text == "结论：合格"
