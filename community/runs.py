"""Traces of tag inference runs (``tagging_runs``): what ran, on how many members, at what cost, step by step."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from community.members import iso
from community.models import TaggingRun
from community.principal import Principal
from community.users import get_community


def record_tagging_run(
    session: Session,
    community_id: str,
    *,
    source: str,
    tagger: str,
    model: str | None,
    considered: int,
    tagged: int,
    seconds: float,
    trace: dict[str, Any],
) -> int:
    """Store one run with its trace; returns the run id."""
    run = TaggingRun(
        community_id=community_id,
        source=source,
        tagger=tagger,
        model=model,
        considered=considered,
        tagged=tagged,
        input_tokens=int(trace.get("input_tokens", 0)),
        output_tokens=int(trace.get("output_tokens", 0)),
        seconds=round(seconds, 4),
        trace=trace,
    )
    session.add(run)
    session.flush()
    return run.id


def tagging_runs(
    session: Session, actor: Principal, community_id: str, limit: int = 20
) -> list[dict[str, Any]]:
    """The latest runs of a community, newest first."""
    actor.require_community(community_id)
    get_community(session, community_id)
    rows = session.scalars(
        select(TaggingRun)
        .where(TaggingRun.community_id == community_id)
        .order_by(TaggingRun.id.desc())
        .limit(limit)
    )
    return [
        {
            "run_id": r.id,
            "started_at": iso(r.started_at),
            "source": r.source,
            "tagger": r.tagger,
            "model": r.model,
            "considered": r.considered,
            "tagged": r.tagged,
            "input_tokens": r.input_tokens,
            "output_tokens": r.output_tokens,
            "seconds": r.seconds,
            "trace": r.trace,
        }
        for r in rows
    ]
