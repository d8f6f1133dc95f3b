"""The documents registry: which knowledge documents are ingested, of which sku, batch and validity."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from community import audit
from community.errors import NotFound
from community.models import Document, DocumentFact, utcnow
from community.principal import Principal

DOCUMENT_FIELDS = (
    "sku",
    "title",
    "doc_type",
    "batch",
    "issuer",
    "issued_at",
    "valid_until",
    "content_hash",
    "path",
)


def register(
    session: Session,
    actor: Principal,
    doc_id: str,
    fields: dict[str, Any],
    *,
    status: str,
    chunk_count: int,
    facts: list[dict[str, Any]],
    community_id: str | None = None,
) -> None:
    """Record an ingested document and replace its facts (each with the chunk that states it)."""
    row = session.get(Document, doc_id)
    before = row.content_hash if row else None
    if row is None:
        row = Document(id=doc_id)
        session.add(row)
    for name in DOCUMENT_FIELDS:
        setattr(row, name, fields[name])
    row.chunk_count = chunk_count
    row.community_id = community_id
    row.ingested_at = utcnow()
    session.flush()
    if status != "unchanged" or before != fields["content_hash"]:
        session.execute(delete(DocumentFact).where(DocumentFact.doc_id == doc_id))
        if facts:
            session.add_all(
                DocumentFact(doc_id=doc_id, sku=fields["sku"], batch=fields["batch"], **fact)
                for fact in facts
            )
        audit.record(
            session,
            actor,
            f"document.{status}",
            "document",
            doc_id,
            before_hash=before,
            after_hash=fields["content_hash"],
            detail={
                "sku": fields["sku"],
                "doc_type": fields["doc_type"],
                "batch": fields["batch"],
                "facts": len(facts),
            },
        )


def facts_for(session: Session, sku: str) -> list[dict[str, Any]]:
    """The facts of a sku's documents, for checks that compare a claim with what the documents say."""
    rows = session.scalars(select(DocumentFact).where(DocumentFact.sku == sku).order_by(DocumentFact.id))
    return [
        {
            "doc_id": f.doc_id,
            "batch": f.batch,
            "chunk_id": f.chunk_id,
            "key": f.key,
            "value": f.value,
            "number": f.number,
            "unit": f.unit,
        }
        for f in rows
    ]


def unregister(session: Session, actor: Principal, doc_id: str) -> Document:
    row = session.get(Document, doc_id)
    if row is None:
        raise NotFound(f"document {doc_id!r} not found")
    session.delete(row)
    audit.record(session, actor, "document.remove", "document", doc_id, before_hash=row.content_hash)
    return row


def list_documents(session: Session, sku: str | None = None) -> list[dict[str, Any]]:
    stmt = select(Document).order_by(Document.sku, Document.doc_type, Document.id)
    if sku:
        stmt = stmt.where(Document.sku == sku)
    return [
        {
            "doc_id": d.id,
            "sku": d.sku,
            "title": d.title,
            "doc_type": d.doc_type,
            "batch": d.batch,
            "issuer": d.issuer,
            "issued_at": d.issued_at.isoformat() if d.issued_at else None,
            "valid_until": d.valid_until.isoformat() if d.valid_until else None,
            "chunks": d.chunk_count,
            "content_hash": d.content_hash,
            "community_id": d.community_id,  # None: shared by every community
        }
        for d in session.scalars(stmt)
    ]
