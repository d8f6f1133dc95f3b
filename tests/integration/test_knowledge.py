"""The knowledge base on a real Chroma store (the local one and a Chroma server over HTTP): re-ingest, replace,
remove, reopen, filters, BM25 persistence, PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.services import ingest_documents, remove_document
from community import db
from community.models import DocumentFact
from community.principal import CLI
from knowledge.bm25 import Bm25Index
from knowledge.index import KnowledgeBase
from settings import get_settings, reset_settings
from tests.conftest import DEMO_DOCS

REPORT = DEMO_DOCS / "oil-evoo-500-report-ev2611a.md"

pytestmark = pytest.mark.both_vector_stores


def copy_doc(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def facts_in_db(doc_id: str) -> int:
    with db.session_scope() as s:
        return (
            s.scalar(select(func.count()).select_from(DocumentFact).where(DocumentFact.doc_id == doc_id)) or 0
        )


def test_changed_file_replaces_its_chunks_and_remove_clears_every_index(home: Path, tmp_path: Path) -> None:
    kb = KnowledgeBase(get_settings())
    doc = copy_doc(tmp_path, "oil-report.md", REPORT.read_text(encoding="utf-8"))
    with db.session_scope() as s:
        first = ingest_documents(s, CLI, kb, [doc])
    assert first["added"] == 1 and facts_in_db("oil-report") > 10
    assert any("0.2%" in h.text for h in kb.search("酸度", sku="OIL-EVOO-500", k=3))

    doc.write_text(REPORT.read_text(encoding="utf-8").replace("0.2%", "0.25%"), encoding="utf-8")
    with db.session_scope() as s:
        second = ingest_documents(s, CLI, kb, [doc])
    assert second["updated"] == 1
    texts = " ".join(h.text for h in kb.chunks_of("oil-report"))
    assert "0.25%" in texts and "0.2%" not in texts.replace("0.25%", "")
    assert kb.search("酸度 0.25%", k=1, mode="bm25")[0].doc_id == "oil-report"  # the BM25 index followed

    with db.session_scope() as s:
        removed = remove_document(s, CLI, kb, "oil-report")
    assert removed["chunks_removed"] == second["documents"][0]["chunks"]
    assert kb.count() == 0 and kb.chunks_of("oil-report") == [] and facts_in_db("oil-report") == 0
    assert kb.search("酸度", k=3, mode="bm25") == []


def test_a_reopened_store_answers_without_re_ingesting(home: Path) -> None:
    KnowledgeBase(get_settings()).ingest([REPORT])
    reopened = KnowledgeBase(
        get_settings()
    )  # a new client on the same folder: embedding function from config
    hits = reopened.search("这批橄榄油酸度多少", k=3)
    assert hits and hits[0].doc_id == "oil-evoo-500-report-ev2611a"
    assert set(hits[0].as_dict()) >= {"chunk_id", "doc_id", "heading_path", "span", "score", "flags"}


def test_two_installs_sharing_a_store_keep_their_own_chunks(
    home: Path, vector_store: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Two Linli installs (each its own LINLI_HOME) on one Chroma server, told apart by LINLI_CHROMA_COLLECTION."""
    first = KnowledgeBase(get_settings())
    first.ingest([REPORT])
    assert first.count() > 0
    monkeypatch.setenv("LINLI_HOME", str(tmp_path / "second-install"))
    monkeypatch.setenv("LINLI_CHROMA_COLLECTION", "another-install")
    reset_settings()
    other = KnowledgeBase(get_settings())
    assert other.count() == 0 and other.search("酸度", k=3) == []
    assert first.count() > 0  # the first install's chunks are where they were
    if vector_store == "server":
        assert type(other._client).__name__ != "PersistentClient"  # really over HTTP


def test_other_batch_is_marked_and_ranks_below_unless_named(kb: KnowledgeBase) -> None:
    hits = kb.search("橄榄油 酸度 检测结果", sku="OIL-EVOO-500", doc_type="traceability", k=10)
    old = [h for h in hits if h.batch == "EV2604B"]
    assert old and all("other_batch" in h.flags for h in old)
    assert hits[0].batch == "EV2611A"
    named = kb.search("EV2604B 那批酸度多少", sku="OIL-EVOO-500", doc_type="traceability", k=3)
    assert named[0].batch == "EV2604B"


def test_community_scoped_documents(home: Path, tmp_path: Path) -> None:
    kb = KnowledgeBase(get_settings())
    front = "---\nsku: TEA\ntitle: 龙井 自提说明\ndoc_type: policy\ncommunity: {c}\n---\n\n# 自提\n\n自提点在{p}，周六上午十点开门。\n"
    kb.ingest(
        [
            copy_doc(tmp_path, "a-pickup.md", front.format(c="linjia", p="南门便利店")),
            copy_doc(tmp_path, "b-pickup.md", front.format(c="other", p="北门菜站")),
        ]
    )
    hits = kb.search("自提点在哪", community="linjia", k=5)
    assert [h.doc_id for h in hits] == ["a-pickup"]


def test_bm25_tokens_are_cached_by_content(tmp_path: Path) -> None:
    index = Bm25Index(tmp_path / "bm25")
    assert index.sync({"a#0": "减盐酿造酱油 钠含量", "b#0": "橄榄油 酸度0.2%"}, 1, ["减盐酿造酱油"]) == 2
    reopened = Bm25Index(tmp_path / "bm25")
    assert reopened.generation == 1 and reopened.ids == ["a#0", "b#0"]
    assert (
        reopened.sync({"a#0": "减盐酿造酱油 钠含量", "b#0": "橄榄油 酸度0.3%"}, 2, []) == 1
    )  # only the change
    assert reopened.scores("酱油钠").argmax() == 0


def _pdf_with_text(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds ``lines`` (Helvetica, ASCII), written by hand for the test."""
    content = "BT /F1 12 Tf 72 720 Td " + " ".join(f"({line}) Tj 0 -16 Td" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_pdf_text_layer_with_sidecar_metadata(home: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "lab-report.pdf"
    pdf.write_bytes(_pdf_with_text(["Test report batch EV2611A", "Acidity: 0.2%", "Lead: not detected"]))
    (tmp_path / "lab-report.yaml").write_text(
        "sku: OIL-EVOO-500\ntitle: EV2611A lab report\ndoc_type: traceability\nbatch: EV2611A\n",
        encoding="utf-8",
    )
    kb = KnowledgeBase(get_settings())
    report = kb.ingest([pdf])[0]
    assert report.status == "added" and any(f.key == "Acidity" and f.value == "0.2%" for f in report.facts)
    assert kb.search("Acidity", k=1, mode="bm25")[0].doc_id == "lab-report"
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4 not really")
    (tmp_path / "scan.yaml").write_text("sku: A\ntitle: x\ndoc_type: faq\n", encoding="utf-8")
    with pytest.raises(ValueError, match="scan.pdf"):
        kb.ingest([tmp_path / "scan.pdf"])


def test_a_bad_collection_name_is_refused_with_the_setting_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("LINLI_CHROMA_COLLECTION", "邻家 chunks")
    reset_settings()
    with pytest.raises(ValidationError, match="chroma_collection") as refused:
        get_settings()
    assert "Chroma's rule for collection names" in str(refused.value)
    reset_settings()
