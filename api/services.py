"""Application services that span packages (knowledge + community); routes and CLI commands call these."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from agent.taxonomy import taxonomy
from community import documents, members
from community.errors import Forbidden, InvalidInput
from community.principal import Principal
from knowledge.documents import DocumentError
from knowledge.index import KnowledgeBase


def ingest_documents(
    session: Session,
    actor: Principal,
    kb: KnowledgeBase,
    paths: list[Path],
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Ingest files into the vector store and record them in the registry; bad files change nothing."""
    if actor.role != "admin":
        raise Forbidden("only an admin may change the knowledge base")
    try:
        reports = kb.ingest(paths, progress=progress)
    except DocumentError as exc:
        raise InvalidInput(str(exc)) from exc
    for r in reports:
        m = r.meta
        documents.register(
            session,
            actor,
            m.doc_id,
            {name: getattr(m, name) for name in documents.DOCUMENT_FIELDS},
            status=r.status,
            chunk_count=r.chunks,
            facts=[
                {
                    "chunk_id": f.chunk_id,
                    "key": f.key[:120],
                    "value": f.value,
                    "number": f.number,
                    "unit": f.unit,
                }
                for f in r.facts
            ],
            community_id=m.community,
        )
    return {
        "documents": [
            {
                "doc_id": r.doc_id,
                "sku": r.meta.sku,
                "doc_type": r.meta.doc_type,
                "status": r.status,
                "chunks": r.chunks,
                "facts": len(r.facts),
            }
            for r in reports
        ],
        "added": sum(r.status == "added" for r in reports),
        "updated": sum(r.status == "updated" for r in reports),
        "unchanged": sum(r.status == "unchanged" for r in reports),
    }


def remove_document(session: Session, actor: Principal, kb: KnowledgeBase, doc_id: str) -> dict[str, Any]:
    if actor.role != "admin":
        raise Forbidden("only an admin may change the knowledge base")
    documents.unregister(session, actor, doc_id)
    return {"doc_id": doc_id, "chunks_removed": kb.remove(doc_id)}


def set_health_consent(
    session: Session, actor: Principal, member_id: int, community_id: str, status: str
) -> dict[str, Any]:
    return members.set_consent(
        session, actor, member_id, community_id, "health", status, sensitive_tags=taxonomy().sensitive_ids
    )


def label_tag(session: Session, actor: Principal, member_id: int, tag: str, status: str) -> dict[str, Any]:
    """An operator's confirm/reject of a member's tag (kept over any later inference)."""
    member = members.get_member(session, actor, member_id)
    return members.set_tag_status(
        session, actor, member.id, member.community_id, tag, status, known_tags=frozenset(taxonomy().tags)
    )
