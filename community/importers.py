"""Chat history import: WeCom 会话存档 (decrypted JSON) and plain-text pastes.

Rules: a message's identity is its source id (WeCom ``msgid``), or a hash of (community, sender, time, text) when
the format has none, so importing a file twice adds nothing. A file is all-or-nothing: any malformed line is
reported as ``file:line: what is wrong`` and nothing of that file is stored, unless ``skip_bad`` is set. Text is
pseudonymised before it is stored: no phone number or ID number reaches the database, let alone an LLM.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from community import audit
from community.errors import AppError, InvalidInput
from community.models import ChatGroup, ConsentEvent, Member, Message
from community.principal import Principal
from community.privacy import Pseudonymizer
from community.users import get_community

T = TypeVar("T", ChatGroup, Member)
FORMATS = ("wecom", "text")
CHINA = timedelta(hours=8)
RECALL_WINDOW = timedelta(minutes=2)  # WeChat lets a sender recall a message within two minutes

TEXT_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?)\s+(.+?)[:：]\s?(.*)$")
TEXT_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
TEXT_PLACEHOLDERS = {
    "[图片]": "image",
    "[动画表情]": "emotion",
    "[表情]": "emotion",
    "[语音]": "voice",
    "[视频]": "video",
    "[文件]": "file",
    "[链接]": "link",
    "[位置]": "location",
    "[红包]": "redpacket",
}
RECALL_MARKERS = ("[撤回了一条消息]", "撤回了一条消息")
WECOM_PLACEHOLDERS = {
    "image": "[图片]",
    "voice": "[语音]",
    "video": "[视频]",
    "emotion": "[表情]",
    "file": "[文件]",
    "link": "[链接]",
    "location": "[位置]",
    "weapp": "[小程序]",
    "card": "[名片]",
    "chatrecord": "[聊天记录]",
    "mixed": "[图文消息]",
    "redpacket": "[红包]",
    "voip_doc_share": "[文档]",
}


class ImportFailed(AppError):
    status_code = 422
    error = "import_failed"

    def __init__(self, errors: list[str]) -> None:
        shown = "; ".join(errors[:5]) + (f"; … and {len(errors) - 5} more" if len(errors) > 5 else "")
        super().__init__(f"{len(errors)} bad line(s), nothing imported: {shown}")
        self.errors = errors


@dataclass
class ParsedMessage:
    line: int
    source_msg_id: str | None
    sender_id: str
    sender_name: str
    group_id: str
    group_name: str
    sent_at: datetime  # UTC, naive
    kind: str
    text: str
    recall_of: str | None = None  # WeCom: msgid of the recalled message
    consent: str | None = None  # WeCom agree/disagree: "granted" | "refused"


@dataclass
class ParseResult:
    format: str
    messages: list[ParsedMessage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    read: int = 0


def sniff(path: Path) -> str:
    """Guess the format from the first non-blank line."""
    with path.open(encoding="utf-8-sig") as handle:
        for raw in handle:
            line = raw.strip()
            if not line:
                continue
            if line[0] in "{[":
                return "wecom"
            if TEXT_STAMP.match(line):
                return "text"
            break
    raise InvalidInput(
        f"{path}: cannot tell the format (expected WeCom JSON lines or `YYYY-MM-DD HH:MM:SS 名字: 内容`)"
    )


def _kind_of_text(content: str) -> str:
    stripped = content.strip()
    if stripped in TEXT_PLACEHOLDERS:
        return TEXT_PLACEHOLDERS[stripped]
    if stripped.startswith(("#接龙", "＃接龙")):
        return "chain"
    return "text"


def parse_text(path: Path, group_name: str) -> ParseResult:
    """Plain-text paste: ``2026-11-20 20:01:05 王阿姨: 内容``; lines without a timestamp continue the message."""
    result = ParseResult(format="text")
    current: ParsedMessage | None = None
    with path.open(encoding="utf-8-sig") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            match = TEXT_LINE.match(line)
            if match is None:
                if TEXT_STAMP.match(line):
                    result.errors.append(f"{path}:{number}: timestamp without `名字: 内容` after it")
                    continue
                if current is None:
                    result.errors.append(f"{path}:{number}: expected `YYYY-MM-DD HH:MM[:SS] 名字: 内容`")
                    continue
                current.text += "\n" + line
                if current.kind == "text" and line.strip().startswith(("#接龙", "＃接龙")):
                    current.kind = "chain"
                continue
            stamp, name, content = match.groups()
            stamp = stamp.replace("T", " ")
            try:
                local = datetime.strptime(
                    stamp, "%Y-%m-%d %H:%M:%S" if stamp.count(":") == 2 else "%Y-%m-%d %H:%M"
                )
            except ValueError:
                result.errors.append(f"{path}:{number}: invalid date or time {stamp!r}")
                continue
            name = name.strip()
            if not name:
                result.errors.append(f"{path}:{number}: empty sender name")
                continue
            result.read += 1
            kind = "recall" if content.strip() in RECALL_MARKERS else _kind_of_text(content)
            current = ParsedMessage(
                line=number,
                source_msg_id=None,
                sender_id=name,
                sender_name=name,
                group_id=group_name,
                group_name=group_name,
                sent_at=local - CHINA,
                kind=kind,
                text=content,
            )
            result.messages.append(current)
    return result


def _iter_wecom_records(path: Path) -> Iterable[tuple[int, Any, str | None]]:
    """Yield (line, record, error) from JSON lines or a JSON array."""
    text_head = path.open(encoding="utf-8-sig").read(64).lstrip()
    if text_head.startswith("["):
        try:
            records = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            yield exc.lineno, None, f"invalid JSON ({exc.msg})"
            return
        for index, record in enumerate(records):
            yield index + 1, record, None
        return
    with path.open(encoding="utf-8-sig") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield number, json.loads(raw), None
            except json.JSONDecodeError as exc:
                yield number, None, f"invalid JSON ({exc.msg} at column {exc.colno})"


def parse_wecom(path: Path, roster: dict[str, str], group_name: str | None = None) -> ParseResult:
    """WeCom 会话存档 decrypted messages: ``msgid, action, from, tolist, roomid, msgtime, msgtype`` + body."""
    result = ParseResult(format="wecom")
    for number, record, error in _iter_wecom_records(path):
        where = f"{path}:{number}"
        if error:
            result.errors.append(f"{where}: {error}")
            continue
        if not isinstance(record, dict):
            result.errors.append(f"{where}: expected a JSON object")
            continue
        result.read += 1
        missing = [key for key in ("msgid", "action", "msgtime") if key not in record]
        if record.get("action") != "switch":
            missing += [key for key in ("from", "msgtype") if key not in record]
        if missing:
            result.errors.append(f"{where}: missing field {', '.join(repr(m) for m in missing)}")
            continue
        action = record["action"]
        if action == "switch":
            continue  # an enterprise switch event, not a chat message
        if action not in ("send", "recall"):
            result.errors.append(f"{where}: field 'action': unknown value {action!r}")
            continue
        try:
            sent_at = datetime.fromtimestamp(int(record["msgtime"]) / 1000, tz=UTC).replace(tzinfo=None)
        except (TypeError, ValueError, OverflowError):
            result.errors.append(f"{where}: field 'msgtime': not UTC milliseconds: {record['msgtime']!r}")
            continue
        msgtype = str(record["msgtype"])
        sender = str(record["from"])
        room = str(record.get("roomid") or "")
        if not room:
            result.errors.append(f"{where}: field 'roomid': missing (only group chats are imported)")
            continue
        recall_of = None
        consent = None
        if action == "recall" or msgtype == "revoke":
            kind, text = "recall", ""
            recall_of = str((record.get("revoke") or {}).get("pre_msgid") or "")
            if not recall_of:
                result.errors.append(f"{where}: field 'revoke.pre_msgid': missing")
                continue
        elif msgtype == "text":
            content = (record.get("text") or {}).get("content")
            if not isinstance(content, str):
                result.errors.append(f"{where}: field 'text.content': missing or not a string")
                continue
            kind, text = _kind_of_text(content), content
        elif msgtype in ("agree", "disagree"):
            kind, text = "consent", "[同意会话存档]" if msgtype == "agree" else "[拒绝会话存档]"
            consent = "granted" if msgtype == "agree" else "refused"
        else:
            kind, text = msgtype, WECOM_PLACEHOLDERS.get(msgtype, f"[{msgtype}]")
        result.messages.append(
            ParsedMessage(
                line=number,
                source_msg_id=str(record["msgid"]),
                sender_id=sender,
                sender_name=roster.get(sender, sender),
                group_id=room,
                group_name=group_name or roster.get(room, room),
                sent_at=sent_at,
                kind=kind,
                text=text,
                recall_of=recall_of,
                consent=consent,
            )
        )
    return result


def _get_or_add(session: Session, model: type[T], community_id: str, source_id: str, **fields: Any) -> T:
    """The community's row with this source id, created with ``fields`` when it is new."""
    row = session.scalar(
        select(model).where(model.community_id == community_id, model.source_id == source_id)  # type: ignore[attr-defined]
    )
    if row is None:
        row = model(community_id=community_id, source_id=source_id, **fields)
        session.add(row)
        session.flush()
    return row


def content_id(community_id: str, message: ParsedMessage) -> str:
    raw = f"{community_id}\x1f{message.sender_id}\x1f{message.sent_at.isoformat()}\x1f{message.text}"
    return "h:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def import_file(
    session: Session,
    actor: Principal,
    path: Path,
    community_id: str,
    *,
    fmt: str = "auto",
    group: str | None = None,
    roster: dict[str, str] | None = None,
    skip_bad: bool = False,
    secret: bytes,
) -> dict[str, Any]:
    """Import one chat export file into a community; returns the CLI's JSON summary."""
    actor.require_community(community_id)
    get_community(session, community_id)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    chosen = sniff(path) if fmt == "auto" else fmt
    if chosen not in FORMATS:
        raise InvalidInput(f"--format {fmt!r}: must be auto or one of {', '.join(FORMATS)}")
    try:
        if chosen == "text":
            parsed = parse_text(path, group or path.stem)
        else:
            parsed = parse_wecom(path, roster or {}, group)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    if parsed.errors and not skip_bad:
        raise ImportFailed(parsed.errors)

    pseudonymizer = Pseudonymizer(secret)
    groups: dict[str, ChatGroup] = {}
    members: dict[str, Member] = {}

    def group_for(message: ParsedMessage) -> ChatGroup:
        if message.group_id not in groups:
            groups[message.group_id] = _get_or_add(
                session, ChatGroup, community_id, message.group_id, name=message.group_name
            )
        return groups[message.group_id]

    def member_for(message: ParsedMessage) -> Member:
        if message.sender_id not in members:
            members[message.sender_id] = _get_or_add(
                session, Member, community_id, message.sender_id, display_name=message.sender_name
            )
        return members[message.sender_id]

    existing_ids = set(
        session.scalars(select(Message.source_msg_id).where(Message.community_id == community_id))
    )
    imported = duplicates = 0
    stored: dict[str, Message] = {}
    for message in parsed.messages:
        source_id = message.source_msg_id or content_id(community_id, message)
        if source_id in existing_ids:
            duplicates += 1
            continue
        existing_ids.add(source_id)
        member = member_for(message)
        if member.erased_at is not None:
            continue  # an erased member's history is not re-imported
        row = Message(
            community_id=community_id,
            group_id=group_for(message).id,
            member_id=member.id,
            source_msg_id=source_id,
            sent_at=message.sent_at,
            kind=message.kind,
            text=pseudonymizer.apply(message.text),
        )
        session.add(row)
        stored[source_id] = row
        imported += 1
        if message.consent:
            session.add(
                ConsentEvent(
                    member_id=member.id, scope="archive", status=message.consent, source=f"wecom:{source_id}"
                )
            )
    session.flush()
    _apply_recalls(session, community_id, parsed.messages, stored, members)
    result = {
        "format": chosen,
        "read": parsed.read,
        "imported": imported,
        "duplicates": duplicates,
        "skipped": len(parsed.errors),
        "members": len({m.sender_id for m in parsed.messages}),
        "errors": parsed.errors,
    }
    audit.record(
        session,
        actor,
        "chats.import",
        "chat_file",
        path.name,
        community_id=community_id,
        after_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
        detail={k: v for k, v in result.items() if k != "errors"},
    )
    return result


def _apply_recalls(
    session: Session,
    community_id: str,
    parsed: list[ParsedMessage],
    stored: dict[str, Message],
    members: dict[str, Member],
) -> None:
    """A recalled message's text is removed from what the agent sees; the recall marker itself stays."""
    for message in parsed:
        if message.kind != "recall":
            continue
        target: Message | None = None
        if message.recall_of:
            target = stored.get(message.recall_of) or session.scalar(
                select(Message).where(
                    Message.community_id == community_id, Message.source_msg_id == message.recall_of
                )
            )
        elif message.sender_id in members:
            # text pastes do not say which message was recalled: the sender's latest one within the recall window
            target = session.scalar(
                select(Message)
                .where(
                    Message.member_id == members[message.sender_id].id,
                    Message.kind != "recall",
                    Message.sent_at <= message.sent_at,
                    Message.sent_at >= message.sent_at - RECALL_WINDOW,
                    Message.recalled.is_(False),
                )
                .order_by(Message.sent_at.desc(), Message.id.desc())
                .limit(1)
            )
        if target is not None:
            target.recalled = True
            target.text = ""
