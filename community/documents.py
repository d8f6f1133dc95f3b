"""The documents registry: which knowledge documents are ingested, of which sku, batch and validity."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from community import audit
from community.errors import NotFound
from community.models import Document, utcnow
from community.principal import Principal


def register(
    session: Session,
    actor: Principal,
    *,
    doc_id: str,
    sku: str,
    title: str,
    doc_type: str,
    batch: str | None,
    issuer: str | None,
    issued_at: date | None,
    valid_until: date | None,
    content_hash: str,
    path: str,
    chunk_count: int,
    status: str,
) -> None:
    row = session.get(Document, doc_id)
    before = row.content_hash if row else None
    if row is None:
        row = Document(id=doc_id)
        session.add(row)
    row.sku, row.title, row.doc_type, row.batch, row.issuer = sku, title, doc_type, batch, issuer
    row.issued_at, row.valid_until, row.content_hash, row.path, row.chunk_count = (
        issued_at,
        valid_until,
        content_hash,
        path,
        chunk_count,
    )
    row.ingested_at = utcnow()
    if status != "unchanged" or before != content_hash:
        audit.record(
            session,
            actor,
            f"document.{status}",
            "document",
            doc_id,
            before_hash=before,
            after_hash=content_hash,
            detail={"sku": sku, "doc_type": doc_type, "batch": batch},
        )


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
        }
        for d in session.scalars(stmt)
    ]
