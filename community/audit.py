"""Append-only audit log: who (name and role), when, what, and the content hashes before and after."""

from __future__ import annotations

from datetime import UTC, datetime
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
    session: Session,
    actor: Principal,
    *,
    community_id: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    who: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 200,
) -> list[dict]:
    """Newest first, within the caller's communities. ``action`` ending in ``.`` (``draft.``) is a prefix;
    ``before_id`` pages backwards (pass the last id you got). There is no update or delete, here or anywhere."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if community_id is not None:
        actor.require_community(community_id)
        stmt = stmt.where(AuditEvent.community_id == community_id)
    elif actor.communities is not None:
        stmt = stmt.where(AuditEvent.community_id.in_(sorted(actor.communities)))
    if action:
        stmt = stmt.where(
            AuditEvent.action.startswith(action) if action.endswith(".") else AuditEvent.action == action
        )
    for column, value in (
        (AuditEvent.object_type, object_type),
        (AuditEvent.object_id, object_id),
        (AuditEvent.actor, who),
    ):
        if value:
            stmt = stmt.where(column == value)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= _naive_utc(since))
    if until is not None:
        stmt = stmt.where(AuditEvent.at < _naive_utc(until))
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
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


def _naive_utc(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
