"""Member interest tags with evidence: the consent-gated, incremental inference service over two taggers.

Offline (no LLM configured) the rule tagger runs; with ``LINLI_LLM_*`` set, the LLM tagger does. Either way:
sensitive tags only for members whose health consent is granted, every tag with the ids of the member's own
messages behind it, human-confirmed or human-rejected labels never overwritten, and only members with new
messages (or a new tagger version, or changed consent) looked at again unless ``full`` is asked.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from agent.tagging.model import default_model
from agent.tagging.rules import plan, tag_messages, tagger_version
from agent.tagging.semantic import default_matcher
from agent.taxonomy import taxonomy
from community.members import InferredTag, MemberHistory, histories, mark_tagged, replace_inferred_tags
from community.principal import Principal
from community.runs import record_tagging_run
from community.users import get_community
from settings import get_settings


def _rule_tags(pending: list[MemberHistory]) -> dict[int, list[InferredTag]]:
    tax = taxonomy()
    settings = get_settings()
    today = date.fromisoformat(settings.today) if settings.today else date.today()
    matcher = default_matcher(tax)
    model = default_model()
    wanted = []  # the lines the matcher and the model will need, embedded in a few large batches before tagging
    for history in pending:
        texts = {mid: text for mid, _, text in history.messages}
        found = plan([(mid, text) for mid, _, text in history.messages], tax, matcher)
        wanted += [dict(found.messages).get(mid, texts.get(mid, "")) for mid in found.needed]
        if model is not None:
            wanted += model.gated([t for mid, t in found.messages if mid not in found.blocked], tax)
    matcher.prefetch(wanted)
    out = {}
    for history in pending:
        sent = {mid: when for mid, when, _ in history.messages}
        votes = tag_messages([(mid, text) for mid, _, text in history.messages], tax, sent, today, matcher)
        out[history.member_id] = [InferredTag(v.tag, v.confidence, v.about, v.evidence) for v in votes]
    return out


Progress = Callable[[int, int], None]  # (members done, members to do)
RULE_CHUNK = (
    500  # members per rule-tagger pass: large enough to embed in big batches, small enough to show progress
)


def infer_community(
    session: Session,
    actor: Principal,
    community_id: str,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Infer tags for the members of a community that have something new; returns counts and the tags.
    ``progress`` hears (members done, members to do) after each rule-tagger chunk or LLM batch.

    When the LLM gives no usable answer for some members (an unparseable batch, or the endpoint failing part-way),
    the answered members are stored as usual and the rest are left exactly as they were and still pending;
    ``untagged`` counts them and ``llm.error`` says why. Callers decide whether that is a failure (the CLI exits
    non-zero after committing what was answered)."""
    actor.require_community(community_id)
    get_community(session, community_id)
    tax = taxonomy()
    settings = get_settings()
    all_histories = histories(session, community_id)
    stats: dict[str, Any] = {}
    untagged: set[int] = set()  # members the LLM gave no usable answer for: left exactly as they were
    if settings.offline:
        tagger, model_name = f"{tagger_version()}+{tax.version}", None
    else:
        from agent.llm import chat_model
        from agent.tagging.llm import LLMTagger

        llm = LLMTagger(chat_model(settings))
        tagger, model_name = f"{llm.prompt_version}+{tax.version}@{llm.model_name}", llm.model_name
    pending = [h for h in all_histories if full or h.tags_state != h.state(tagger)]
    started = time.perf_counter()
    if progress is not None:
        progress(0, len(pending))
    if settings.offline:
        found = {}
        for start in range(0, len(pending), RULE_CHUNK):
            found.update(_rule_tags(pending[start : start + RULE_CHUNK]))
            if progress is not None:
                progress(min(start + RULE_CHUNK, len(pending)), len(pending))
        steps = [
            {
                "step": "rules",
                "members": [h.member_id for h in pending],
                "prompt_version": tagger_version(),
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }
        ]
    else:
        outcome = llm.tag(pending, progress=progress)
        found = outcome.tags
        steps = outcome.steps
        untagged = outcome.untagged
        stats = {
            "calls": outcome.calls,
            "failed_calls": outcome.failed_calls,
            "input_tokens": outcome.input_tokens,
            "output_tokens": outcome.output_tokens,
            "dropped": dict(outcome.dropped),
            "untagged_members": len(untagged),
            "error": outcome.error,
        }
    withheld: Counter[str] = Counter()
    members_out = []
    for history in pending:
        if history.member_id in untagged:
            continue  # stored tags and state untouched: still pending, so the next run asks again
        allowed = []
        for tag in found.get(history.member_id, []):
            if tax.tags[tag.tag].sensitive and history.health_consent != "granted":
                withheld[tag.tag] += 1
                continue
            allowed.append(tag)
        replace_inferred_tags(
            session,
            actor,
            community_id,
            history.member_id,
            allowed,
            source="rules" if settings.offline else "llm",
            prompt_version=tagger,
            model=model_name,
        )
        mark_tagged(session, history.member_id, history.state(tagger))
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
    run_id = record_tagging_run(
        session,
        community_id,
        source="rules" if settings.offline else "llm",
        tagger=tagger,
        model=model_name,
        considered=len(pending),
        tagged=sum(1 for m in members_out if m["tags"]),
        seconds=time.perf_counter() - started,
        trace={
            "taxonomy_version": tax.version,
            "full": full,
            "steps": steps,
            "withheld_without_consent": dict(withheld),
            "untagged_members": sorted(untagged),
            **{k: v for k, v in stats.items() if k != "untagged_members"},
        },
    )
    return {
        "run_id": run_id,
        "members": members_out,
        "considered": len(pending),
        "untagged": len(untagged),
        "skipped_unchanged": len(all_histories) - len(pending),
        "tagged": sum(1 for m in members_out if m["tags"]),
        "withheld_without_consent": sum(withheld.values()),
        "tagger": tagger,
        **({"llm": stats} if stats else {}),
    }
