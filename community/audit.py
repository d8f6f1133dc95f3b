"""Append-only audit log: who (name and role), when, what, and the content hashes before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from community.models import AuditEvent
from community.principal import Principal


def record(
    session: Session,
    actor: Principal,
    action: str,
    object_type: str,
    object_id: str | int,
    *,
    community_id: str | None = None,
    before_hash: str | None = None,
    after_hash: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to the caller's unit of work (it commits or rolls back with the change itself)."""
    event = AuditEvent(
        actor=actor.name,
        actor_role=actor.role,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        community_id=community_id,
        before_hash=before_hash,
        after_hash=after_hash,
        detail=detail or {},
    )
    session.add(event)
    return event


def list_events(
    session: Session, actor: Principal, *, community_id: str | None = None, limit: int = 200
) -> list[dict]:
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if community_id is not None:
        actor.require_community(community_id)
        stmt = stmt.where(AuditEvent.community_id == community_id)
    elif actor.communities is not None:
        stmt = stmt.where(AuditEvent.community_id.in_(sorted(actor.communities)))
    return [
        {
            "id": e.id,
            "at": e.at.isoformat() + "Z",
            "actor": e.actor,
            "actor_role": e.actor_role,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "community_id": e.community_id,
            "before_hash": e.before_hash,
            "after_hash": e.after_hash,
            "detail": e.detail,
        }
        for e in session.scalars(stmt)
    ]
