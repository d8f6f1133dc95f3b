"""Request and response models of the HTTP API (the JSON shapes of DESIGN.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorOut(BaseModel):
    error: str
    detail: str
    current: dict[str, Any] | None = Field(
        default=None, description="On a 409: where the object stands now (status, revision, version)."
    )


class DraftCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["script", "chain", "push"]
    sku: str = Field(min_length=1, max_length=64)
    community_id: str = Field(min_length=1, max_length=64)
    segment: str | None = None
    event: str | None = Field(default=None, max_length=300)
    host: str | None = Field(default=None, max_length=100)
    price: str | None = Field(default=None, max_length=100)
    deadline: str | None = Field(default=None, max_length=100)
    pickup: str | None = Field(default=None, max_length=200)
    limit: str | None = Field(default=None, max_length=100)
    text: str | None = Field(
        default=None,
        max_length=50_000,
        description="A script or post typed by hand: it is checked and queued for review instead of composed.",
    )


class FindingOut(BaseModel):
    rule: str
    category: str
    severity: Literal["block", "warn", "info"]
    start: int
    end: int
    text: str
    message: str
    suggestion: str | None = None
    rewrite: str | None = Field(
        default=None,
        description="A lawful rewrite of the flagged sentence built from the product's documents, when one exists.",
    )
    rewrite_citations: list[str] = Field(
        default_factory=list, description="The chunks the rewrite stands on."
    )


class SentenceOut(BaseModel):
    text: str
    citations: list[str]
    segment: str | None = None


class RevisionSummary(BaseModel):
    number: int
    composer: str
    ai_generated: bool
    content_hash: str
    parent_revision: int | None
    edited_by: str | None
    feedback: str | None
    created_at: str


class DeliveryOut(BaseModel):
    id: int
    revision: int
    channel: str
    adapter: str
    status: Literal["pending", "sending", "sent", "failed", "cancelled"]
    attempts: int
    idempotency_key: str
    content_hash: str | None
    scheduled_at: str | None
    next_attempt_at: str | None
    sent_at: str | None
    last_error: str | None


class DeliveryRow(DeliveryOut):
    draft_id: int


class DeliveryList(BaseModel):
    deliveries: list[DeliveryRow]


class DraftOut(BaseModel):
    id: int
    revision: int
    kind: str
    status: str
    community_id: str
    sku: str
    segment: str | None
    event: str | None
    text: str
    sentences: list[SentenceOut]
    findings: list[FindingOut]
    content_hash: str
    audience: dict[str, Any]
    composer: str
    prompt_version: str
    model: str | None
    ai_generated: bool
    trace: dict[str, Any]
    created_at: str
    reviews: list[dict[str, Any]]
    current_revision: int | None = None
    version: int | None = None
    approved_revision: int | None = None
    approved_hash: str | None = None
    parent_revision: int | None = None
    edited_by: str | None = None
    feedback: str | None = None
    updated_at: str | None = None
    revisions: list[RevisionSummary] = []
    deliveries: list[DeliveryOut] = []


class DraftSummary(BaseModel):
    id: int
    revision: int
    kind: str
    status: str
    community_id: str
    sku: str
    segment: str | None
    findings: dict[str, int]
    composer: str
    created_at: str
    event: str | None = None
    content_hash: str | None = None
    updated_at: str | None = None


class DraftList(BaseModel):
    drafts: list[DraftSummary]
    total: int = Field(description="Drafts matching the filters (all pages).")
    limit: int
    offset: int
    next_offset: int | None = Field(description="The offset of the next page; null on the last page.")
    counts: dict[str, int] = Field(
        description="Drafts per state within the other filters (every state named)."
    )


class RevisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=50_000)
    base_revision: int | None = Field(
        default=None,
        ge=1,
        description="The revision you edited; 409 if another one became current meanwhile.",
    )


class ReviseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    feedback: str = Field(min_length=1, max_length=2000)
    revision: int | None = Field(default=None, ge=1, description="The revision you read (409 if stale).")


class BatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int
    revision: int = Field(ge=1)
    override_reason: str | None = Field(default=None, max_length=2000)


class ApproveBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[BatchItem] = Field(min_length=1, max_length=200)


class BatchResult(BaseModel):
    id: int
    revision: int
    ok: bool
    status: str | None = None
    content_hash: str | None = None
    status_code: int | None = None
    error: str | None = None
    detail: str | None = None
    current: dict[str, Any] | None = None


class BatchOut(BaseModel):
    results: list[BatchResult]
    approved: int
    failed: int


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: datetime | None = Field(
        default=None,
        description="When to send (ISO 8601; naive means UTC). Default: now, quiet hours permitting.",
    )
    channels: list[str] | None = Field(
        default=None,
        description="Channel names from LINLI_OUTBOX_CHANNELS; default: the community's channels.",
    )


class RecallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class Approve(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revision: int = Field(ge=1)
    override_reason: str | None = Field(default=None, max_length=2000)


class Reject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class SuggestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    community_id: str = Field(min_length=1, max_length=64)
    event: str | None = Field(default=None, max_length=300)
    min_members: int = Field(default=3, ge=1)
    limit: int = Field(default=5, ge=1, le=20)


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=50_000)
    sku: str | None = None
    community_id: str | None = Field(
        default=None,
        description="Judge the text on this community's documents (default: the caller's only one).",
    )


class CheckOut(BaseModel):
    findings: list[FindingOut]


class HitOut(BaseModel):
    chunk_id: str
    doc_id: str
    sku: str
    doc_type: str
    text: str
    score: float
    title: str
    heading_path: list[str]
    span: list[int]
    batch: str | None
    issued_at: str | None
    valid_until: str | None
    flags: list[str]


class SearchOut(BaseModel):
    hits: list[HitOut]


class TagOut(BaseModel):
    tag: str
    confidence: float
    about: str
    source: str
    status: str
    evidence: list[int]


class MemberOut(BaseModel):
    member_id: int
    source_id: str
    name: str
    health_consent: str
    erased: bool
    staff: bool = False
    tags: list[TagOut]


class MemberList(BaseModel):
    members: list[MemberOut]
    total: int  # members matching the filters (the page is ``members``)
    tag_counts: dict[str, int]  # per tag, listed members holding it (whole community, not filtered)
    limit: int
    offset: int


class MessageOut(BaseModel):
    message_id: int
    member_id: int
    sent_at: str
    kind: str
    text: str
    recalled: bool
    original_text: str | None = None


class ConsentOut(BaseModel):
    scope: str
    status: str
    source: str
    recorded_by: str | None
    recorded_at: str


class MemberDetail(MemberOut):
    evidence_messages: list[MessageOut]
    consent: list[ConsentOut]


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    health: Literal["granted", "refused"]
    source: str = Field(
        default="operator", min_length=1, max_length=64, description="Where it was given: 群内回复, 表单 …"
    )


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    other: int = Field(
        description="The member merged into this one (the same person under another export's id)."
    )


class StaffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    staff: bool


class TagLabel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["confirmed", "rejected"]


class AuditList(BaseModel):
    events: list[dict[str, Any]]
