from pathlib import Path

import pytest

from knowledge.documents import DocumentError, parse_document
from tests.conftest import DEMO_DOCS

REPORT = DEMO_DOCS / "oil-evoo-500-report-ev2611a.md"


def test_front_matter_becomes_metadata() -> None:
    doc = parse_document(REPORT)
    assert doc.meta.doc_id == "oil-evoo-500-report-ev2611a"
    assert (doc.meta.sku, doc.meta.doc_type, doc.meta.batch) == ("OIL-EVOO-500", "traceability", "EV2611A")
    assert doc.meta.valid_until is not None and doc.meta.valid_until.isoformat() == "2027-11-04"


def test_every_chunk_is_its_exact_source_span_with_a_heading_path() -> None:
    raw = REPORT.read_text(encoding="utf-8")
    doc = parse_document(REPORT)
    assert len(doc.chunks) >= 4
    for chunk in doc.chunks:
        assert raw[chunk.start : chunk.end] == chunk.text
        assert chunk.heading_path and chunk.heading_path[0].startswith("西班牙特级初榨橄榄油")
        assert len(chunk.text) <= 460


def test_table_rows_are_never_cut_and_facts_carry_their_chunk() -> None:
    doc = parse_document(REPORT)
    for chunk in doc.chunks:
        for line in chunk.text.splitlines():
            if line.startswith("|"):
                assert line.rstrip().endswith("|")
    acidity = [f for c in doc.chunks for f in c.facts if f.key.startswith("酸度")]
    assert acidity and acidity[0].value == "0.2%" and acidity[0].number == 0.2 and acidity[0].unit == "%"
    assert acidity[0].chunk_id.startswith("oil-evoo-500-report-ev2611a#")
    lead = [f for c in doc.chunks for f in c.facts if f.key.startswith("铅")]
    assert lead and "未检出" in lead[0].value and lead[0].number is None


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("title: x\ndoc_type: product\n", "field 'sku': missing"),
        ("sku: A\ntitle: x\ndoc_type: brochure\n", "field 'doc_type': must be one of"),
        (
            "sku: A\ntitle: x\ndoc_type: certificate\nvalid_until: 2026-13-01\n",
            "field 'valid_until': not a date",
        ),
        ("sku: A\ntitle: x\ndoc_type: traceability\n", "field 'batch'"),
        ("sku: A\ntitle: x\ndoc_type: faq\ncolour: red\n", "unknown front matter field"),
    ],
)
def test_bad_front_matter_names_file_and_field(tmp_path: Path, front: str, message: str) -> None:
    path = tmp_path / "bad-doc.md"
    path.write_text(f"---\n{front}---\n\n# 标题\n\n正文。\n", encoding="utf-8")
    with pytest.raises(DocumentError, match=message) as info:
        parse_document(path)
    assert str(path) in str(info.value)


def test_unclosed_front_matter_and_missing_front_matter(tmp_path: Path) -> None:
    unclosed = tmp_path / "unclosed.md"
    unclosed.write_text("---\nsku: A\n\n# x\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="never closed"):
        parse_document(unclosed)
    bare = tmp_path / "bare.md"
    bare.write_text("# 没有前言\n正文\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="no YAML front matter"):
        parse_document(bare)


def test_sidecar_yaml_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("开封后冷藏，30天内用完。\n", encoding="utf-8")
    (tmp_path / "note.yaml").write_text("sku: SOY\ntitle: 保存说明\ndoc_type: faq\n", encoding="utf-8")
    doc = parse_document(tmp_path / "note.txt")
    assert doc.meta.sku == "SOY" and doc.chunks[0].text.startswith("开封后冷藏")
