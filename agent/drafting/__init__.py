"""Drafting pipeline: plan → retrieve (batch on sale, valid documents) → compose → check → store a revision."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from agent.checks import check_opt_out, grounder_for, run_checks, typed_sentences
from agent.drafting.composer import OPT_OUT, Request, Sentence, TemplateComposer, render
from agent.drafting.templates import TemplateError, template_for
from agent.taxonomy import taxonomy
from community import drafts as draft_store
from community.errors import InvalidInput
from community.members import member_names, segment_members
from community.principal import Principal
from community.users import get_community
from knowledge.index import KnowledgeBase
from settings import get_settings

HOST_DONTS = [
    "最好、最佳、顶级、第一（“第一批”除外）等绝对化用语",
    "降血压、降血糖、治疗、预防疾病等功效说法",
    "任何成员的昵称或身体状况",
    "其他批次或过期证书上的数字",
]


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000, 1)


@dataclass
class ComposedDraft:
    """A composed and checked draft, not yet stored."""

    revision: draft_store.ComposedRevision
    findings: list[dict[str, Any]]


def compose_draft(
    kb: KnowledgeBase,
    *,
    kind: str,
    sku: str,
    segment: str | None = None,
    event: str | None = None,
    host: str | None = None,
    price: str | None = None,
    deadline: str | None = None,
    pickup: str | None = None,
    limit: str | None = None,
    member_names: list[str] | None = None,
    feedback: str | None = None,
) -> ComposedDraft:
    """Plan, retrieve, compose and check; no database involved (the eval suite calls this directly).
    ``feedback`` is an operator's "send back" note: the LLM composer is told it; the template composer records it."""
    if kind not in draft_store.KINDS:
        raise InvalidInput(f"kind: must be one of {', '.join(draft_store.KINDS)}, got {kind!r}")
    tax = taxonomy()
    tag = None
    if segment:
        if segment not in tax.tags:
            raise InvalidInput(f"segment: unknown tag {segment!r} (see prompts/taxonomy.yaml)")
        tag = tax.tags[segment]
    template = template_for(kind)
    composer = TemplateComposer(kb)
    request = Request(
        kind=kind,
        sku=sku,
        segment=tag,
        event=event,
        host=host,
        price=price,
        deadline=deadline,
        pickup=pickup,
        limit=limit,
        feedback=feedback,
    )

    def check(text: str) -> list[dict[str, Any]]:
        return run_checks(
            text,
            sku=sku,
            member_names=member_names or [],
            kb=kb,
            prices=[price],
            given=[event, deadline, pickup, limit],
        )

    settings = get_settings()
    started = time.perf_counter()
    if settings.offline:
        try:
            sentences, trace = composer.compose(template, request)
        except TemplateError as exc:
            raise InvalidInput(str(exc)) from exc
        name, version, model = composer.name, template.version, None
        composed = time.perf_counter()
        findings = check(render(sentences, kind))
        trace["steps"] = [
            {"step": "retrieve_and_compose", "chunks": len(trace["retrieved"]), "ms": _ms(started, composed)},
            {"step": "checks", "findings": len(findings), "ms": _ms(composed, time.perf_counter())},
        ]
    else:
        from agent.drafting.llm import LLMComposer
        from agent.llm import chat_model

        llm = LLMComposer(chat_model(settings), kb)
        sentences, findings, trace = llm.compose(request, check)
        name, version, model = llm.name, llm.prompt.version, llm.model_name
        if kind == "push" and tag:
            sentences.append(Sentence(OPT_OUT, [], "退订"))
    text = render(sentences, kind)
    # on the final text, after either composer: a push chosen by profiling tells members how to stop it
    findings = findings + check_opt_out(text, kind=kind, segment=segment)
    trace.update(composer=name, prompt_version=version, model=model, ms=_ms(started, time.perf_counter()))
    trace["host_notes"] = {"禁说": HOST_DONTS} if kind == "script" else {}
    # what the request said, so a re-composition (send back with feedback) can ask for the same draft again
    details = {"host": host, "price": price, "deadline": deadline, "pickup": pickup, "limit": limit}
    trace["request"] = {k: v for k, v in details.items() if v is not None}
    if feedback:
        trace["operator_feedback"] = feedback
    revision = draft_store.ComposedRevision(
        text=text,
        sentences=[s.as_dict() for s in sentences],
        composer=name,
        prompt_version=version,
        model=model,
        audience={"scope": "group"},
        trace=trace,
    )
    return ComposedDraft(revision, findings)


def create_draft(
    session: Session,
    actor: Principal,
    kb: KnowledgeBase,
    *,
    community_id: str,
    kind: str,
    sku: str,
    segment: str | None = None,
    event: str | None = None,
    **details: str | None,
) -> dict[str, Any]:
    """Compose, check and store a draft for review; nothing is sent anywhere. ``details`` (host, price, deadline,
    pickup, limit) go to :func:`compose_draft` as they are."""
    actor.require_community(community_id)
    get_community(session, community_id)
    kb = kb.for_community(community_id)  # its own documents and the shared ones, never another community's
    draft = compose_draft(
        kb,
        kind=kind,
        sku=sku,
        segment=segment,
        event=event,
        member_names=member_names(session, community_id),
        **details,
    )
    draft.revision.audience = audience_of(session, community_id, segment)
    return draft_store.create_draft(
        session,
        actor,
        community_id=community_id,
        kind=kind,
        sku=sku,
        segment=segment,
        event=event,
        composed=draft.revision,
        findings=draft.findings,
    )


def audience_of(session: Session, community_id: str, segment: str | None) -> dict[str, Any]:
    """Whom a draft is for: the whole group, or a segment's members (tagged, not erased, not staff, with health
    consent for a sensitive tag), counted now."""
    if not segment:
        return {"scope": "group"}
    tag = taxonomy().tags[segment]
    ids = segment_members(session, community_id, tag.id, sensitive=tag.sensitive)
    return {"scope": "segment", "segment": tag.id, "member_ids": ids, "count": len(ids)}


def submit_text(
    session: Session,
    actor: Principal,
    kb: KnowledgeBase | None = None,
    *,
    community_id: str,
    kind: str,
    sku: str,
    text: str,
    event: str | None = None,
    segment: str | None = None,
) -> dict[str, Any]:
    """A script or post a host typed by hand: checked like any draft and queued for review. With ``segment`` it is
    meant for that segment's members (and a push then needs its opt-out line, as a composed one)."""
    actor.require_community(community_id)
    get_community(session, community_id)
    if segment and segment not in taxonomy().tags:
        raise InvalidInput(f"segment: unknown tag {segment!r} (see prompts/taxonomy.yaml)")
    if not text.strip():
        raise InvalidInput("text: must not be empty")
    kb = kb.for_community(community_id) if kb is not None else None
    grounder = grounder_for(sku, kb)  # one grounder judges the text, for its citations and its checks
    composed = draft_store.ComposedRevision(
        text=text,
        sentences=typed_sentences(text, sku=sku, kb=kb, grounder=grounder),
        composer="human",
        prompt_version="none",
        audience=audience_of(session, community_id, segment),
        trace={"submitted_by": actor.name},
    )
    findings = run_checks(
        text,
        sku=sku,
        member_names=member_names(session, community_id),
        kb=kb,
        given=[event],
        kind=kind,
        segment=segment,
        grounder=grounder,
    )
    return draft_store.create_draft(
        session,
        actor,
        community_id=community_id,
        kind=kind,
        sku=sku,
        segment=segment or None,
        event=event,
        composed=composed,
        findings=findings,
    )
