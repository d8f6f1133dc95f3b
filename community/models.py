"""SQLAlchemy 2 models: Linli's system of record.

Schema changes go through an Alembic migration in ``community/migrations/versions``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Community(Base):
    __tablename__ = "communities"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # messages sent before this were purged (`linli messages purge`): an import leaves them out
    purged_before: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ChatGroup(Base):
    """One WeChat/WeCom group of a community (a roomid, or a named paste)."""

    __tablename__ = "chat_groups"
    __table_args__ = (UniqueConstraint("community_id", "source_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"), index=True)
    source_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("community_id", "source_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"), index=True)
    source_id: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # "<last message id>:<tagger version>" of the last inference, so `tags infer` skips members with nothing new
    tags_state: Mapped[str | None] = mapped_column(String(120), nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # the brand's own people in the group (host, 团长, customer service): never tagged, never an audience, and
    # their names are no member's name in group copy (a host says 我是老陈)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # the same person under another export's id, merged by an operator into that member: this row stays so that
    # a later import of this id lands on them, and is shown nowhere else
    merged_into: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", name="fk_members_merged_into"), nullable=True
    )


class Message(Base):
    """A chat message as the agent may see it: ``text`` is already pseudonymised."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("community_id", "source_msg_id"),
        Index("ix_messages_member_sent", "member_id", "sent_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    source_msg_id: Mapped[str] = mapped_column(String(128))
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")  # pseudonymised: what an LLM or a host may see
    original_text: Mapped[str | None] = mapped_column(Text, nullable=True)  # as sent: operators only
    recalled: Mapped[bool] = mapped_column(Boolean, default=False)


class ChainEntry(Base):
    """One line of a 接龙 post: who, how many, note. The latest post of a chain replaces the earlier ones."""

    __tablename__ = "chain_entries"
    __table_args__ = (Index("ix_chain_entries_chain", "community_id", "chain_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"))
    chain_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    posted_at: Mapped[datetime] = mapped_column(DateTime)
    position: Mapped[int] = mapped_column(Integer)
    who: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[float | None] = mapped_column(Float, nullable=True)
    unit: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")  # pseudonymised


class ConsentEvent(Base):
    """Append-only consent history; a member's current consent for a scope is the latest event."""

    __tablename__ = "consent_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    scope: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TagAssertion(Base):
    __tablename__ = "tag_assertions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    tag: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    about: Mapped[str] = mapped_column(String(16), default="self")
    source: Mapped[str] = mapped_column(String(16))  # rules | llm | human
    status: Mapped[str] = mapped_column(String(16), default="inferred")  # inferred | confirmed | rejected
    prompt_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    model: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    evidence: Mapped[list[TagEvidence]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class TagEvidence(Base):
    __tablename__ = "tag_evidence"
    assertion_id: Mapped[int] = mapped_column(
        ForeignKey("tag_assertions.id", ondelete="CASCADE"), primary_key=True
    )
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)


class Document(Base):
    """Registry of ingested knowledge documents (the chunks themselves live in the vector store)."""

    __tablename__ = "documents"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(300))
    doc_type: Mapped[str] = mapped_column(String(32))
    batch: Mapped[str | None] = mapped_column(String(64), nullable=True)
    issuer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    issued_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))
    chunk_count: Mapped[int] = mapped_column(Integer)
    community_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ingested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class DocumentFact(Base):
    """A measured item of a document (酸度 0.2 %, 铅 未检出 …) with the chunk that states it: what checks and
    composers compare claims against."""

    __tablename__ = "document_facts"
    __table_args__ = (Index("ix_document_facts_sku_key", "sku", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    batch: Mapped[str | None] = mapped_column(String(64), nullable=True)
    chunk_id: Mapped[str] = mapped_column(String(220))
    key: Mapped[str] = mapped_column(String(120))
    value: Mapped[str] = mapped_column(Text)
    number: Mapped[float | None] = mapped_column(Float, nullable=True)
    unit: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Draft(Base):
    """A script, 接龙 post or push and where it stands in review. ``version`` grows with every change, so an
    action taken on what someone read is a compare-and-set (``UPDATE … WHERE version = ?``), never a lost update."""

    __tablename__ = "drafts"
    __table_args__ = (
        Index("ix_drafts_community_status", "community_id", "status"),
        Index("ix_drafts_status", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sku: Mapped[str] = mapped_column(String(64))
    segment: Mapped[str | None] = mapped_column(String(64), nullable=True)
    event: Mapped[str | None] = mapped_column(String(300), nullable=True)
    status: Mapped[str] = mapped_column(String(32), default="in_review")
    current_revision: Mapped[int] = mapped_column(Integer, default=1)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # what the last approval bound (revision and content hash); cleared by an edit
    approved_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    approved_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class DraftRevision(Base):
    __tablename__ = "draft_revisions"
    __table_args__ = (UniqueConstraint("draft_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    sentences: Mapped[list] = mapped_column(JSON)  # [{"text", "citations": [chunk_id]}]
    composer: Mapped[str] = mapped_column(String(32))
    prompt_version: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128), nullable=True)
    ai_generated: Mapped[bool] = mapped_column(Boolean, default=True)
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    trace: Mapped[dict] = mapped_column(JSON, default=dict)
    # the revision this one was made from (an edit or a re-composition), who edited it, the operator's feedback
    parent_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    edited_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    feedback: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    findings: Mapped[list[Finding]] = relationship(lazy="selectin", order_by="Finding.start")


class Finding(Base):
    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("draft_revisions.id"), index=True)
    rule: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(8))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    suggestion: Mapped[str | None] = mapped_column(Text, nullable=True)
    # a lawful rewrite of the flagged sentence built from the sku's documents, and the chunks it stands on
    rewrite: Mapped[str | None] = mapped_column(Text, nullable=True)
    rewrite_citations: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class Review(Base):
    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    findings_snapshot: Mapped[list] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Delivery(Base):
    """One approved revision on its way to one channel (a WeCom group robot or a signed webhook).

    ``idempotency_key`` is unique: the same delivery is claimed by one worker at a time (``status`` pending →
    sending by compare-and-set) and sent at most once. ``content_hash`` is the approved hash; the worker refuses to
    send when the draft's current text no longer hashes to it."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending|sending|sent|failed|cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    community_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    adapter: Mapped[str] = mapped_column(String(16), default="wecom", server_default="wecom")
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    response: Mapped[str | None] = mapped_column(Text, nullable=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # host | operator | admin
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class UserCommunity(Base):
    __tablename__ = "user_communities"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"), primary_key=True)


class ApiToken(Base):
    """Only the SHA-256 of a token is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuditEvent(Base):
    """Append-only: the migration installs triggers that refuse UPDATE and DELETE on this table."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    community_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    before_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    after_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class TaggingRun(Base):
    """One run of tag inference over a community, and its trace: which tagger (prompt and taxonomy version,
    model), how many members, and per step (each rule pass or LLM batch) the members, tokens and milliseconds."""

    __tablename__ = "tagging_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(16))  # rules | llm
    tagger: Mapped[str] = mapped_column(String(200))  # prompt version + taxonomy version (+ @model)
    model: Mapped[str | None] = mapped_column(String(128), nullable=True)
    considered: Mapped[int] = mapped_column(Integer)
    tagged: Mapped[int] = mapped_column(Integer)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float)
    trace: Mapped[dict] = mapped_column(JSON, default=dict)


class ChangeStamp(Base):
    """A stamp per group of tables, moved by database triggers on every write to them (migration 0007): readers
    cache what they computed from those tables under the stamp they read first. ``salt`` is drawn anew by every
    write, so a stamp a rolled-back transaction used is never seen again with other data."""

    __tablename__ = "change_stamps"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)  # drafts | documents
    n: Mapped[int] = mapped_column(Integer, default=0)
    salt: Mapped[int] = mapped_column(Integer, default=0)


class WebLogout(Base):
    """A web session ended by its user: its cookie is refused from then on, not only deleted from the browser
    (a copy of it would otherwise stay valid until it expires). Kept until the session would have expired."""

    __tablename__ = "web_logouts"
    session_id: Mapped[str] = mapped_column(
        String(64), primary_key=True
    )  # sha256 of the session's CSRF token
    logged_out_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
