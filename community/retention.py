"""Retention (PIPL Art. 19: personal information is kept no longer than its purpose needs): chat messages older
than a cut-off are deleted with what stands on them, and an import leaves them out afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from community import audit
from community.errors import Forbidden, InvalidInput
from community.models import ChainEntry, Community, Member, Message, TagAssertion, TagEvidence, utcnow
from community.principal import Principal
from community.users import get_community, list_communities
from community.workers import PeriodicWorker

# who a scheduled purge is in the audit log
RETENTION = Principal(user_id=None, name="retention", role="admin", communities=None)


def import_cutoff(session: Session, community_id: str, retention_days: int | None) -> datetime | None:
    """Messages sent before this are not imported: the community's last purge, or the retention window."""
    purged = session.scalar(select(Community.purged_before).where(Community.id == community_id))
    window = utcnow() - timedelta(days=retention_days) if retention_days else None
    candidates = [c for c in (purged, window) if c is not None]
    return max(candidates) if candidates else None


def purge_messages(
    session: Session,
    actor: Principal,
    community_id: str,
    *,
    older_than_days: int,
    dry_run: bool = False,
    audit_empty: bool = True,
) -> dict[str, Any]:
    """Delete a community's messages sent more than ``older_than_days`` ago, the tag evidence and 接龙 entries
    that stand on them, and every inferred tag left with no evidence (an operator's confirmed label stays: it is
    the operator's, not inferred from the messages). Members who lost evidence are tagged again at the next
    ``linli tags infer``. The cut-off is recorded so that re-importing an old export brings nothing back.
    ``dry_run`` counts without changing anything; ``audit_empty=False`` (the scheduled purge) leaves a purge
    that deleted nothing out of the audit log. Admins only (the command line is one)."""
    if actor.role != "admin":
        raise Forbidden(f"role {actor.role!r} may not purge messages; an admin must")
    if older_than_days < 1:
        raise InvalidInput(f"older_than_days: must be at least 1, got {older_than_days}")
    community = get_community(session, community_id)
    cutoff = utcnow() - timedelta(days=older_than_days)
    old = select(Message.id).where(Message.community_id == community_id, Message.sent_at < cutoff)
    messages = session.scalar(select(func.count()).select_from(old.subquery())) or 0
    evidence = (
        session.scalar(select(func.count()).select_from(TagEvidence).where(TagEvidence.message_id.in_(old)))
        or 0
    )
    entries = (
        session.scalar(select(func.count()).select_from(ChainEntry).where(ChainEntry.message_id.in_(old)))
        or 0
    )
    touched = select(Message.member_id).where(Message.community_id == community_id, Message.sent_at < cutoff)
    members_touched = (
        session.scalar(
            select(func.count(func.distinct(Message.member_id))).where(
                Message.community_id == community_id, Message.sent_at < cutoff
            )
        )
        or 0
    )
    result: dict[str, Any] = {
        "community_id": community_id,
        "cutoff": cutoff.isoformat(timespec="seconds") + "Z",
        "dry_run": dry_run,
        "messages_deleted": messages,
        "evidence_deleted": evidence,
        "chain_entries_deleted": entries,
        "members_touched": members_touched,
        "tags_dropped": 0,
    }
    if dry_run:
        result["tags_dropped"] = _orphaned_tags(session, community_id, cutoff)
        return result
    session.execute(
        update(Member)
        .where(Member.id.in_(touched))
        .values(tags_state=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(TagEvidence).where(TagEvidence.message_id.in_(old)))
    session.execute(delete(ChainEntry).where(ChainEntry.message_id.in_(old)))
    session.execute(delete(Message).where(Message.community_id == community_id, Message.sent_at < cutoff))
    orphans = select(TagAssertion.id).where(
        TagAssertion.member_id.in_(select(Member.id).where(Member.community_id == community_id)),
        TagAssertion.status == "inferred",
        ~exists().where(TagEvidence.assertion_id == TagAssertion.id),
    )
    dropped = list(session.scalars(orphans))
    if dropped:
        session.execute(delete(TagAssertion).where(TagAssertion.id.in_(dropped)))
    result["tags_dropped"] = len(dropped)
    if community.purged_before is None or community.purged_before < cutoff:
        community.purged_before = cutoff
    if not audit_empty and not (messages or dropped):
        return result
    audit.record(
        session,
        actor,
        "messages.purge",
        "community",
        community_id,
        community_id=community_id,
        detail={k: v for k, v in result.items() if k not in ("community_id", "dry_run")}
        | {"older_than_days": older_than_days},
    )
    return result


def _orphaned_tags(session: Session, community_id: str, cutoff: datetime) -> int:
    """How many inferred tags a purge at ``cutoff`` would leave without evidence."""
    recent = (
        select(TagEvidence.assertion_id)
        .join(Message, Message.id == TagEvidence.message_id)
        .where(Message.sent_at >= cutoff)
    )
    return (
        session.scalar(
            select(func.count())
            .select_from(TagAssertion)
            .where(
                TagAssertion.member_id.in_(select(Member.id).where(Member.community_id == community_id)),
                TagAssertion.status == "inferred",
                TagAssertion.id.not_in(recent),
            )
        )
        or 0
    )


class Worker(PeriodicWorker):
    """The in-process retention worker of `linli serve` when ``LINLI_RETENTION_DAYS`` is set: every community
    purged of messages older than that, at start and then every ``interval`` seconds
    (``LINLI_RETENTION_INTERVAL_S``, 6 hours), on a daemon thread, audited as ``retention``. Two workers (two
    server processes, or one next to a cron job) are safe: a purge deletes what is old and records the cut-off."""

    name = "linli-retention"

    def __init__(self, days: int, interval: float) -> None:
        super().__init__(interval, first_delay=0.0)
        self.days = days

    def stop_timeout(self) -> float:
        return 30.0

    def round(self) -> list[dict[str, Any]]:
        from community.db import session_scope

        with session_scope() as s:
            ids = [c["id"] for c in list_communities(s)]
        done = []
        for community_id in ids:
            with session_scope() as s:  # one community at a time: a failure leaves the others purged
                done.append(
                    purge_messages(s, RETENTION, community_id, older_than_days=self.days, audit_empty=False)
                )
        return done
