"""Members, their messages, consent, interest tags with evidence, and erasure (PIPL)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from community import audit
from community.errors import InvalidInput, NotFound
from community.importers.formats import SYSTEM_SENDER
from community.models import ChainEntry, ConsentEvent, Member, Message, TagAssertion, TagEvidence, utcnow
from community.principal import Principal
from community.users import get_community

CONSENT_STATES = ("granted", "refused")


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def get_member(session: Session, actor: Principal, member_id: int, community_id: str | None = None) -> Member:
    member = session.get(Member, member_id)
    if member is None or (community_id is not None and member.community_id != community_id):
        raise NotFound(f"member {member_id} not found")
    if not actor.can_see(member.community_id):
        raise NotFound(f"member {member_id} not found")
    if member.merged_into is not None:
        raise NotFound(f"member {member_id} was merged into member {member.merged_into}")
    return member


def consent_status(session: Session, member_id: int, scope: str = "health") -> str:
    """The latest recorded consent for a scope, or ``unknown``."""
    status = session.scalar(
        select(ConsentEvent.status)
        .where(ConsentEvent.member_id == member_id, ConsentEvent.scope == scope)
        .order_by(ConsentEvent.id.desc())
        .limit(1)
    )
    return status or "unknown"


def set_consent(
    session: Session,
    actor: Principal,
    member_id: int,
    community_id: str,
    scope: str,
    status: str,
    *,
    sensitive_tags: frozenset[str],
    source: str = "operator",
) -> dict[str, Any]:
    """Record a consent decision; refusing health consent removes the member's sensitive tags at once."""
    if status not in CONSENT_STATES:
        raise InvalidInput(f"consent {scope}: must be one of {', '.join(CONSENT_STATES)}, got {status!r}")
    if not source or len(source) > 64:
        raise InvalidInput(f"source: where the consent was given, 1-64 characters, got {len(source)}")
    member = get_member(session, actor, member_id, community_id)
    if member.erased_at is not None:
        raise InvalidInput(f"member {member.id} is erased: nothing to consent to")
    session.add(
        ConsentEvent(member_id=member.id, scope=scope, status=status, source=source, recorded_by=actor.name)
    )
    withdrawn = 0
    member.tags_state = None  # the next inference looks at this member again
    if scope == "health" and status == "refused":
        withdrawn = _drop_tags(session, member.id, sensitive_tags)
    audit.record(
        session,
        actor,
        "consent.set",
        "member",
        member.id,
        community_id=community_id,
        detail={"scope": scope, "status": status, "source": source, "sensitive_tags_removed": withdrawn},
    )
    return {"member_id": member.id, "scope": scope, "status": status, "sensitive_tags_removed": withdrawn}


def _drop_tags(session: Session, member_id: int, tags: frozenset[str]) -> int:
    rows = list(
        session.scalars(
            select(TagAssertion).where(TagAssertion.member_id == member_id, TagAssertion.tag.in_(tags))
        )
    )
    for row in rows:
        session.delete(row)
    return len(rows)


def consent_history(session: Session, member_id: int) -> list[dict[str, Any]]:
    """Every consent decision recorded for a member: what, when, who recorded it and from where."""
    rows = session.scalars(
        select(ConsentEvent).where(ConsentEvent.member_id == member_id).order_by(ConsentEvent.id)
    )
    return [
        {
            "scope": r.scope,
            "status": r.status,
            "source": r.source,
            "recorded_by": r.recorded_by,
            "recorded_at": iso(r.recorded_at),
        }
        for r in rows
    ]


def member_tags(session: Session, member_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(TagAssertion)
        .where(TagAssertion.member_id == member_id, TagAssertion.status != "rejected")
        .order_by(TagAssertion.confidence.desc())
    )
    return [
        {
            "tag": row.tag,
            "confidence": round(row.confidence, 3),
            "about": row.about,
            "source": row.source,
            "status": row.status,
            "evidence": sorted(e.message_id for e in row.evidence),
        }
        for row in rows
    ]


def list_members(session: Session, actor: Principal, community_id: str) -> list[dict[str, Any]]:
    """Every listed member of a community (aliases left by a merge and the system sender are not listed)."""
    return find_members(session, actor, community_id, with_counts=False)["members"]


def find_members(
    session: Session,
    actor: Principal,
    community_id: str,
    *,
    tag: str | None = None,
    consent: str | None = None,
    search: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    known_tags: frozenset[str] | None = None,
    with_counts: bool = True,
) -> dict[str, Any]:
    """Members of a community, filtered and paged: ``tag`` (holding it, not rejected), ``consent`` (the current
    health consent: granted, refused or unknown), ``search`` (part of the name or the export's id). Returns the page
    of members (each as :func:`member_summary` has it), how many match (``total``), and per tag how many listed
    members hold it (``tag_counts``, over the whole community, so a filter never hides the other segments; left
    empty, and not queried, with ``with_counts=False``).

    Reads in a fixed number of queries whatever the community's size: one for the ids, one each for the page's
    consents, tags and evidence."""
    actor.require_community(community_id)
    get_community(session, community_id)
    if known_tags is not None and tag is not None and tag not in known_tags:
        raise InvalidInput(f"tag: unknown tag {tag!r} (see prompts/taxonomy.yaml)")
    if consent is not None and consent not in (*CONSENT_STATES, "unknown"):
        raise InvalidInput(
            f"consent: must be one of {', '.join((*CONSENT_STATES, 'unknown'))}, got {consent!r}"
        )
    if limit is not None and limit < 1:
        raise InvalidInput(f"limit: must be at least 1, got {limit}")
    if offset < 0:
        raise InvalidInput(f"offset: must not be negative, got {offset}")
    listed = (
        Member.community_id == community_id,
        Member.source_id != SYSTEM_SENDER,
        Member.merged_into.is_(None),
    )
    query = select(Member.id).where(*listed)
    if tag is not None:
        holders = select(TagAssertion.member_id).where(
            TagAssertion.tag == tag, TagAssertion.status != "rejected"
        )
        query = query.where(Member.id.in_(holders))
    if search and search.strip():
        needle = "%" + re.sub(r"([\\%_])", r"\\\1", search.strip()) + "%"
        query = query.where(
            Member.display_name.like(needle, escape="\\") | Member.source_id.like(needle, escape="\\")
        )
    ids = list(session.scalars(query.order_by(Member.id)))
    if consent is not None:
        current = consents_of(session, community_id)
        ids = [i for i in ids if current.get(i, "unknown") == consent]
    page = ids[offset : None if limit is None else offset + limit]
    counts = (
        session.execute(
            select(TagAssertion.tag, func.count(func.distinct(TagAssertion.member_id)))
            .join(Member, Member.id == TagAssertion.member_id)
            .where(*listed, TagAssertion.status != "rejected")
            .group_by(TagAssertion.tag)
        ).all()
        if with_counts
        else ()
    )
    return {
        "members": summaries(session, page),
        "total": len(ids),
        "tag_counts": dict(sorted(((t, n) for t, n in counts), key=lambda kv: (-kv[1], kv[0]))),
    }


def consents_of(session: Session, community_id: str, scope: str = "health") -> dict[int, str]:
    """Every member's current consent for a scope (the latest event), in one query; members with none are absent."""
    rows = session.execute(
        select(ConsentEvent.member_id, ConsentEvent.status)
        .join(Member, Member.id == ConsentEvent.member_id)
        .where(Member.community_id == community_id, ConsentEvent.scope == scope)
        .order_by(ConsentEvent.id)
    )
    return {member_id: status for member_id, status in rows}  # the later event overwrites the earlier


def summaries(session: Session, member_ids: list[int]) -> list[dict[str, Any]]:
    """:func:`member_summary` for many members at once (in the order given), in four queries per 500 members."""
    out: list[dict[str, Any]] = []
    for start in range(0, len(member_ids), 500):
        chunk = member_ids[start : start + 500]
        people = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(chunk)))}
        consent: dict[int, str] = {}
        for member_id, status in session.execute(
            select(ConsentEvent.member_id, ConsentEvent.status)
            .where(ConsentEvent.member_id.in_(chunk), ConsentEvent.scope == "health")
            .order_by(ConsentEvent.id)
        ):
            consent[member_id] = status
        rows = session.execute(
            select(
                TagAssertion.id,
                TagAssertion.member_id,
                TagAssertion.tag,
                TagAssertion.confidence,
                TagAssertion.about,
                TagAssertion.source,
                TagAssertion.status,
            )
            .where(TagAssertion.member_id.in_(chunk), TagAssertion.status != "rejected")
            .order_by(TagAssertion.confidence.desc(), TagAssertion.id)
        ).all()
        evidence: dict[int, list[int]] = {}
        if rows:
            for assertion_id, message_id in session.execute(
                select(TagEvidence.assertion_id, TagEvidence.message_id).where(
                    TagEvidence.assertion_id.in_([r.id for r in rows])
                )
            ):
                evidence.setdefault(assertion_id, []).append(message_id)
        tags: dict[int, list[dict[str, Any]]] = {}
        for r in rows:
            tags.setdefault(r.member_id, []).append(
                {
                    "tag": r.tag,
                    "confidence": round(r.confidence, 3),
                    "about": r.about,
                    "source": r.source,
                    "status": r.status,
                    "evidence": sorted(evidence.get(r.id, [])),
                }
            )
        for member_id in chunk:
            member = people[member_id]
            out.append(_summary(member, consent.get(member_id, "unknown"), tags.get(member_id, [])))
    return out


def member_summary(session: Session, member: Member) -> dict[str, Any]:
    """A member as the members list shows them: consent and tags with their evidence ids."""
    return _summary(member, consent_status(session, member.id), member_tags(session, member.id))


def _summary(member: Member, consent: str, tags: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "member_id": member.id,
        "source_id": member.source_id,
        "name": member.display_name,
        "health_consent": consent,
        "erased": member.erased_at is not None,
        "staff": member.is_staff,
        "tags": tags,
    }


def set_staff(
    session: Session, actor: Principal, member_id: int, community_id: str | None, staff: bool
) -> dict[str, Any]:
    """Mark a member as the brand's own staff (or not). Staff are not tagged (their inferred tags go; a human's
    confirmed or rejected label stays), are never in an audience, and their names may appear in group copy.
    Unmarking lets the next `linli tags infer` consider them again."""
    actor.require_reviewer()
    member = get_member(session, actor, member_id, community_id)
    dropped = 0
    if staff and not member.is_staff:
        rows = list(
            session.scalars(
                select(TagAssertion).where(
                    TagAssertion.member_id == member.id, TagAssertion.status == "inferred"
                )
            )
        )
        for row in rows:
            session.delete(row)
        dropped = len(rows)
    if staff != member.is_staff:
        member.is_staff = staff
        member.tags_state = None  # inference looks at them afresh when they are a member again
        audit.record(
            session,
            actor,
            "member.staff" if staff else "member.unstaff",
            "member",
            member.id,
            community_id=member.community_id,
            detail={"inferred_tags_dropped": dropped},
        )
    return {"member_id": member.id, "staff": member.is_staff, "inferred_tags_dropped": dropped}


def member_messages(
    session: Session,
    actor: Principal,
    community_id: str,
    member_id: int | None = None,
    limit: int | None = None,
    *,
    original: bool = False,
) -> list[dict[str, Any]]:
    """Messages as an LLM would see them: pseudonymised, recalled text removed. ``original`` adds the text as sent,
    which only operators and admins may read."""
    if original:
        actor.require_reviewer()
    actor.require_community(community_id)
    get_community(session, community_id)
    stmt = select(Message).where(Message.community_id == community_id).order_by(Message.sent_at, Message.id)
    if member_id is not None:
        get_member(session, actor, member_id, community_id)
        stmt = stmt.where(Message.member_id == member_id)
    if limit:
        stmt = stmt.limit(limit)
    return [
        {
            "message_id": m.id,
            "member_id": m.member_id,
            "sent_at": iso(m.sent_at),
            "kind": m.kind,
            "text": "" if m.recalled else m.text,
            "recalled": m.recalled,
            **({"original_text": "" if m.recalled else (m.original_text or "")} if original else {}),
        }
        for m in session.scalars(stmt)
    ]


@dataclass(frozen=True)
class MemberHistory:
    """What the tagger reads: one member, their consent, and their visible text messages."""

    member_id: int
    health_consent: str
    messages: list[tuple[int, datetime, str]]  # (message id, sent at, pseudonymised text)
    tags_state: str | None = None

    def state(self, tagger: str) -> str:
        last = self.messages[-1][0] if self.messages else 0
        return f"{last}:{tagger}"


def own_chain_lines(text: str, name: str) -> str:
    """From a 接龙 post, only the lines that are the poster's own entry ("3. 王阿姨 2瓶 给我爸的")."""
    mine = [
        line.strip()
        for line in text.splitlines()
        if re.match(rf"^\s*\d{{1,4}}\s*[.、．]\s*{re.escape(name)}(\s|$)", line)
    ]
    return "\n".join(mine)


def histories(session: Session, community_id: str) -> list[MemberHistory]:
    """Each member's own text messages. Of a 接龙 post only the member's own entry counts: every re-post repeats
    everybody else's lines."""
    out = []
    members = session.scalars(
        select(Member)
        .where(
            Member.community_id == community_id,
            Member.erased_at.is_(None),
            Member.source_id != SYSTEM_SENDER,
            Member.is_staff.is_(False),
            Member.merged_into.is_(None),
        )
        .order_by(Member.id)
    )
    for member in members:
        rows = session.execute(
            select(Message.id, Message.sent_at, Message.text, Message.kind)
            .where(
                Message.member_id == member.id,
                Message.recalled.is_(False),
                Message.kind.in_(("text", "chain")),
            )
            .order_by(Message.sent_at)
        ).all()
        messages = []
        for message_id, sent_at, text, kind in rows:
            if kind == "chain":
                text = own_chain_lines(text, member.display_name)
                if not text:
                    continue
            messages.append((message_id, sent_at, text))
        out.append(MemberHistory(member.id, consent_status(session, member.id), messages, member.tags_state))
    return out


@dataclass(frozen=True)
class InferredTag:
    tag: str
    confidence: float
    about: str
    evidence: list[int]


def replace_inferred_tags(
    session: Session,
    actor: Principal,
    community_id: str,
    member_id: int,
    tags: list[InferredTag],
    *,
    source: str,
    prompt_version: str,
    model: str | None,
) -> None:
    """Replace a member's machine-inferred tags; human-confirmed or human-rejected tags are never overwritten."""
    existing = list(session.scalars(select(TagAssertion).where(TagAssertion.member_id == member_id)))
    human = {row.tag for row in existing if row.status in ("confirmed", "rejected")}
    for row in existing:
        if row.status == "inferred":
            session.delete(row)
    session.flush()
    own_ids = set(session.scalars(select(Message.id).where(Message.member_id == member_id)))
    for tag in tags:
        if tag.tag in human:
            continue
        evidence = [mid for mid in tag.evidence if mid in own_ids]
        if not evidence:
            continue  # an assertion without evidence of this member's own messages is never stored
        row = TagAssertion(
            member_id=member_id,
            tag=tag.tag,
            confidence=tag.confidence,
            about=tag.about,
            source=source,
            status="inferred",
            prompt_version=prompt_version,
            model=model,
        )
        row.evidence = [TagEvidence(message_id=mid) for mid in evidence]
        session.add(row)


def forget_member(session: Session, actor: Principal, member_id: int, community_id: str) -> dict[str, Any]:
    """Erasure on request (PIPL Art. 47): messages, tags, evidence and consent history go; a tombstone stays."""
    member = get_member(session, actor, member_id, community_id)
    assertion_ids = list(session.scalars(select(TagAssertion.id).where(TagAssertion.member_id == member.id)))
    if assertion_ids:
        session.execute(delete(TagEvidence).where(TagEvidence.assertion_id.in_(assertion_ids)))
        session.execute(delete(TagAssertion).where(TagAssertion.id.in_(assertion_ids)))
    message_ids = select(Message.id).where(Message.member_id == member.id)
    session.execute(delete(TagEvidence).where(TagEvidence.message_id.in_(message_ids)))
    messages = (
        session.scalar(select(func.count()).select_from(Message).where(Message.member_id == member.id)) or 0
    )
    session.execute(delete(Message).where(Message.member_id == member.id))
    session.execute(delete(ConsentEvent).where(ConsentEvent.member_id == member.id))
    # 接龙 lines that name the member in other people's posts go too (their own posts cascade with the messages)
    session.execute(
        delete(ChainEntry).where(
            ChainEntry.community_id == community_id, ChainEntry.who == member.display_name
        )
    )
    member.display_name = f"已删除成员#{member.id}"
    member.erased_at = utcnow()
    targets = [member.id]
    while (
        targets
    ):  # the ids merged into this member (and into those): their names go, an old export stays out
        aliases = list(session.scalars(select(Member).where(Member.merged_into.in_(targets))))
        for alias in aliases:
            alias.display_name = f"已删除成员#{alias.id}"
            alias.erased_at = member.erased_at
        targets = [a.id for a in aliases]
    # the source id stays so that a later re-import of old exports does not bring the member back
    audit.record(
        session,
        actor,
        "member.forget",
        "member",
        member.id,
        community_id=community_id,
        detail={"messages_deleted": messages, "tags_deleted": len(assertion_ids)},
    )
    return {"member_id": member.id, "messages_deleted": messages, "tags_deleted": len(assertion_ids)}


STRICTNESS = {"refused": 0, "unknown": 1, "granted": 2}  # when two identities disagree, the stricter stands


def merge_members(
    session: Session,
    actor: Principal,
    keep_id: int,
    other_id: int,
    community_id: str | None,
    *,
    sensitive_tags: frozenset[str],
) -> dict[str, Any]:
    """The same person under two ids (a text export keyed by nickname and a WeCom archive keyed by userid): the
    other's messages, consent history and human tag labels move to ``keep``; the other stays as an alias that a
    later import of its id lands on, and is listed nowhere. Where the two consents for a scope differ, the stricter
    is recorded as the member's current one (refused over unknown over granted) until the member is asked again;
    a human label is kept over an inferred one, and where two human labels disagree the rejection stands; a tag
    both had inferred is kept once with the evidence of both. The next `linli tags infer` looks at the whole
    history again. Audited."""
    actor.require_reviewer()
    if keep_id == other_id:
        raise InvalidInput(f"merge: member {keep_id} cannot be merged into itself")
    keep = get_member(session, actor, keep_id, community_id)
    other = get_member(session, actor, other_id, keep.community_id)
    for m in (keep, other):
        if m.erased_at is not None:
            raise InvalidInput(f"merge: member {m.id} was erased")
        if m.source_id == SYSTEM_SENDER:
            raise InvalidInput(f"merge: member {m.id} is the system sender, not a person")
    before = {
        scope: (consent_status(session, keep.id, scope), consent_status(session, other.id, scope))
        for scope in session.scalars(
            select(ConsentEvent.scope).where(ConsentEvent.member_id.in_((keep.id, other.id))).distinct()
        )
    }
    moved = (
        session.scalar(select(func.count()).select_from(Message).where(Message.member_id == other.id)) or 0
    )
    session.execute(update(Message).where(Message.member_id == other.id).values(member_id=keep.id))
    session.execute(update(ConsentEvent).where(ConsentEvent.member_id == other.id).values(member_id=keep.id))
    for scope, (mine, theirs) in sorted(before.items()):
        stricter = min(mine, theirs, key=lambda s: STRICTNESS.get(s, 1))
        if consent_status(session, keep.id, scope) != stricter and stricter != "unknown":
            session.add(
                ConsentEvent(
                    member_id=keep.id, scope=scope, status=stricter, source="merge", recorded_by=actor.name
                )
            )
    labels: dict[str, TagAssertion] = {}  # per tag, the human label that stands
    rows = list(session.scalars(select(TagAssertion).where(TagAssertion.member_id.in_((keep.id, other.id)))))
    for row in rows:
        held = labels.get(row.tag)
        if row.status != "inferred" and (
            held is None or (row.status == "rejected" and held.status != "rejected")
        ):
            labels[row.tag] = row
    inferred: dict[str, TagAssertion] = {}  # per tag without a human label, the one inferred row kept
    dropped = 0
    for row in sorted(rows, key=lambda r: (r.member_id != keep.id, r.id)):  # the kept member's rows first
        if row.tag in labels:
            if labels[row.tag] is row:
                row.member_id = keep.id
            else:
                session.delete(row)
                dropped += row.status == "inferred"
        elif row.tag in inferred:  # both inferred it: one row, the evidence of both, the higher confidence
            kept_row = inferred[row.tag]
            have = {e.message_id for e in kept_row.evidence}
            kept_row.evidence.extend(
                TagEvidence(message_id=e.message_id) for e in row.evidence if e.message_id not in have
            )
            kept_row.confidence = max(kept_row.confidence, row.confidence)
            session.delete(row)
        else:
            row.member_id = keep.id
            inferred[row.tag] = row
    session.flush()
    if consent_status(session, keep.id, "health") == "refused":
        _drop_tags(session, keep.id, sensitive_tags)
    keep.is_staff = keep.is_staff or other.is_staff
    keep.tags_state = other.tags_state = None
    other.merged_into = keep.id
    audit.record(
        session,
        actor,
        "member.merge",
        "member",
        keep.id,
        community_id=keep.community_id,
        detail={
            "merged": other.id,
            "merged_name": other.display_name,
            "merged_source_id": other.source_id,
            "messages_moved": moved,
            "consent_before": {k: {"kept": v[0], "merged": v[1]} for k, v in before.items()},
            "inferred_tags_dropped": dropped,
        },
    )
    return {
        "member_id": keep.id,
        "merged": other.id,
        "messages_moved": moved,
        "health_consent": consent_status(session, keep.id),
        "tags": member_tags(session, keep.id),
    }


def possible_duplicates(session: Session, actor: Principal, community_id: str) -> list[list[int]]:
    """Groups of listed members sharing a display name (each group's ids ascending): the usual sign of one person
    under two exports' ids. Only a hint: two neighbours may well share a nickname, so nothing is merged by it."""
    actor.require_community(community_id)
    rows = session.execute(
        select(Member.display_name, Member.id)
        .where(
            Member.community_id == community_id,
            Member.erased_at.is_(None),
            Member.merged_into.is_(None),
            Member.source_id != SYSTEM_SENDER,
        )
        .order_by(Member.id)
    )
    by_name: dict[str, list[int]] = {}
    for name, member_id in rows:
        by_name.setdefault(name, []).append(member_id)
    return [ids for ids in by_name.values() if len(ids) > 1]


def set_tag_status(
    session: Session,
    actor: Principal,
    member_id: int,
    community_id: str,
    tag: str,
    status: str,
    *,
    known_tags: frozenset[str],
) -> dict[str, Any]:
    """An operator confirms or rejects a tag; the human label is kept and never overwritten by inference."""
    if status not in ("confirmed", "rejected"):
        raise InvalidInput(f"tag status: must be confirmed or rejected, got {status!r}")
    actor.require_reviewer()
    if tag not in known_tags:
        raise InvalidInput(f"tag {tag!r}: not in the taxonomy")
    member = get_member(session, actor, member_id, community_id)
    row = session.scalar(
        select(TagAssertion).where(TagAssertion.member_id == member.id, TagAssertion.tag == tag)
    )
    if row is None:
        if status == "confirmed":
            raise NotFound(f"member {member_id} has no tag {tag!r} to confirm")
        row = TagAssertion(
            member_id=member.id, tag=tag, confidence=0.0, about="self", source="human", status=status
        )
        session.add(row)
    row.status = status
    audit.record(
        session, actor, f"tag.{status}", "member", member.id, community_id=community_id, detail={"tag": tag}
    )
    return {"member_id": member.id, "tag": tag, "status": status}


def segment_members(session: Session, community_id: str, tag: str, *, sensitive: bool) -> list[int]:
    """Members a segment's copy is meant for: tagged (not rejected), not erased, with consent where needed."""
    rows = session.scalars(
        select(TagAssertion.member_id)
        .join(Member, Member.id == TagAssertion.member_id)
        .where(
            Member.community_id == community_id,
            Member.erased_at.is_(None),
            Member.is_staff.is_(False),
            TagAssertion.tag == tag,
            TagAssertion.status != "rejected",
        )
        .distinct()
    )
    ids = sorted(rows)
    if sensitive:
        current = consents_of(session, community_id)
        ids = [mid for mid in ids if current.get(mid) == "granted"]
    return ids


def segment_sizes(session: Session, community_id: str, sensitive: frozenset[str]) -> dict[str, int]:
    """Per tag, how many members a segment's copy would reach now (as :func:`segment_members` counts them), in
    two queries."""
    rows = session.execute(
        select(TagAssertion.tag, TagAssertion.member_id)
        .join(Member, Member.id == TagAssertion.member_id)
        .where(
            Member.community_id == community_id,
            Member.erased_at.is_(None),
            Member.is_staff.is_(False),
            TagAssertion.status != "rejected",
        )
        .distinct()
    ).all()
    current = consents_of(session, community_id) if any(tag in sensitive for tag, _ in rows) else {}
    sizes: dict[str, int] = {}
    for tag, member_id in rows:
        if tag not in sensitive or current.get(member_id) == "granted":
            sizes[tag] = sizes.get(tag, 0) + 1
    return sizes


def member_names(session: Session, community_id: str) -> list[str]:
    return list(
        session.scalars(
            select(Member.display_name).where(
                Member.community_id == community_id, Member.erased_at.is_(None), Member.is_staff.is_(False)
            )
        )
    )


def mark_tagged(session: Session, member_id: int, state: str) -> None:
    member = session.get(Member, member_id)
    if member is not None:
        member.tags_state = state
