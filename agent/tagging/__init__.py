"""Member interest tags with evidence: the offline rule tagger and the consent-gated inference service."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from agent.tagging.rules import PROMPT_VERSION, tag_messages
from agent.taxonomy import taxonomy
from community.members import InferredTag, histories, replace_inferred_tags
from community.principal import Principal
from community.users import get_community


def infer_community(session: Session, actor: Principal, community_id: str) -> dict[str, Any]:
    """Infer tags for every member of a community; sensitive tags only where health consent is granted."""
    actor.require_community(community_id)
    get_community(session, community_id)
    tax = taxonomy()
    members_out = []
    withheld = 0
    for history in histories(session, community_id):
        votes = tag_messages([(mid, text) for mid, _, text in history.messages], tax)
        allowed = []
        for vote in votes:
            if tax.tags[vote.tag].sensitive and history.health_consent != "granted":
                withheld += 1
                continue
            allowed.append(InferredTag(vote.tag, vote.confidence, vote.about, vote.evidence))
        replace_inferred_tags(
            session,
            actor,
            community_id,
            history.member_id,
            allowed,
            source="rules",
            prompt_version=f"{PROMPT_VERSION}+{tax.version}",
            model=None,
        )
        members_out.append(
            {
                "member_id": history.member_id,
                "tags": [
                    {
                        "tag": t.tag,
                        "confidence": round(t.confidence, 3),
                        "about": t.about,
                        "evidence": t.evidence,
                    }
                    for t in allowed
                ],
            }
        )
    return {
        "members": members_out,
        "tagged": sum(1 for m in members_out if m["tags"]),
        "withheld_without_consent": withheld,
        "tagger": PROMPT_VERSION,
    }
