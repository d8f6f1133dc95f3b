"""Streaming parsers for the chat exports operators actually have.

Each parser is a generator over one file that yields :class:`ParsedMessage` or :class:`LineError` as it reads, so
memory stays flat however large the file is. Times are converted to UTC (pastes and CSV exports carry China time).

| format    | what produces it                                   | message identity                |
|-----------|----------------------------------------------------|---------------------------------|
| wecom     | WeCom 会话存档, decrypted JSON (lines or an array) | ``msgid``                       |
| chatlog   | sjzar/chatlog JSON export                          | ``talker:seq``                  |
| wechatmsg | WeChatMsg (留痕) CSV                               | content hash (localId is local) |
| pywxdump  | PyWxDump CSV                                       | ``MsgSvrID``                    |
| text      | a pasted chat (``时间 名字: 内容`` or ``时间 名字`` + lines) | content hash          |
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CHINA = timedelta(hours=8)
FORMATS = ("wecom", "chatlog", "wechatmsg", "pywxdump", "text")
WECHATMSG_HEADER = (
    "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,NickName,Sender"
)
PYWXDUMP_HEADER = "id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime"

TEXT_STAMP = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2})?)(?:\s+(.*))?$")
RECALL_NOTICE = re.compile(r"^[\"“「]?(.+?)[\"”」]?\s*撤回了一条消息$")
PLACEHOLDERS = {
    "[图片]": "image",
    "[动画表情]": "emotion",
    "[表情]": "emotion",
    "[语音]": "voice",
    "[视频]": "video",
    "[文件]": "file",
    "[链接]": "link",
    "[位置]": "location",
    "[红包]": "redpacket",
    "[聊天记录]": "chatrecord",
}
KIND_PLACEHOLDER = {kind: text for text, kind in PLACEHOLDERS.items()} | {
    "emotion": "[表情]",
    "weapp": "[小程序]",
    "card": "[名片]",
    "mixed": "[图文消息]",
    "voip_doc_share": "[文档]",
    "quote": "[引用]",
    "system": "[系统消息]",
    "call": "[通话]",
}
WECHAT_TYPES = {
    1: "text",
    3: "image",
    34: "voice",
    42: "card",
    43: "video",
    47: "emotion",
    48: "location",
    49: "link",
    50: "call",
    10000: "system",
    10002: "system",
}
WECHAT_APP_SUBTYPES = {
    5: "link",
    6: "file",
    19: "chatrecord",
    33: "weapp",
    36: "weapp",
    57: "quote",
    2000: "redpacket",
    2001: "redpacket",
}
PYWXDUMP_TYPES = {
    "文本": "text",
    "图片": "image",
    "语音": "voice",
    "视频": "video",
    "动画表情": "emotion",
    "文件": "file",
    "链接": "link",
    "卡片式链接": "link",
    "引用回复": "quote",
    "系统通知": "system",
    "撤回消息": "system",
    "位置": "location",
    "名片": "card",
    "语音通话": "call",
    "合并转发": "chatrecord",
    "小程序": "weapp",
    "转账": "redpacket",
    "红包": "redpacket",
}
SYSTEM_SENDER = "系统消息"


@dataclass(slots=True)
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
    recall_of: str | None = None  # the recalled message's source id, when the format says
    recall_by: str | None = None  # the recalling member's display name, when only a notice says so
    consent: str | None = None  # WeCom agree/disagree: "granted" | "refused"


@dataclass(slots=True)
class LineError:
    line: int
    message: str


Parsed = Iterator[ParsedMessage | LineError]


class Progress:
    """Bytes read so far, for a progress bar over a file of known size."""

    def __init__(self) -> None:
        self.bytes = 0


def text_kind(content: str) -> str:
    stripped = content.strip()
    if stripped in PLACEHOLDERS:
        return PLACEHOLDERS[stripped]
    if stripped.startswith(("#接龙", "＃接龙")):
        return "chain"
    return "text"


def decoded_lines(path: Path, progress: Progress) -> Iterator[tuple[int, str | None]]:
    """(line number, text) for each physical line; text is None for a line that is not UTF-8."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            progress.bytes += len(raw)
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, None


def _china_time(value: str) -> datetime:
    value = value.strip().replace("/", "-").replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value, fmt) - CHINA
        except ValueError:
            continue
    raise ValueError(f"invalid date or time {value!r}")


def _recall_notice(kind: str, text: str) -> str | None:
    if kind != "system":
        return None
    match = RECALL_NOTICE.match(text.strip())
    return match.group(1) if match else None


# -- WeCom ---------------------------------------------------------------------------------------------------


def iter_json_records(path: Path, progress: Progress) -> Iterator[tuple[int, Any, str | None]]:
    """(line, record, error) from JSON lines or from one JSON array, read incrementally."""
    decoder = json.JSONDecoder()
    lines = decoded_lines(path, progress)
    first: tuple[int, str | None] | None = None
    for number, text in lines:
        if text is None:
            yield number, None, "not UTF-8 text"
            continue
        if text.strip():
            first = (number, text)
            break
    if first is None:
        return
    if not first[1] or not first[1].lstrip().startswith("["):
        for number, text in _chain_first(first, lines):
            if text is None:
                yield number, None, "not UTF-8 text"
            elif text.strip():
                try:
                    yield number, json.loads(text), None
                except json.JSONDecodeError as exc:
                    yield number, None, f"invalid JSON ({exc.msg} at column {exc.colno})"
        return
    # a JSON array: decode one element at a time from a rolling buffer
    buffer = first[1].lstrip()[1:]
    line_at_start = first[0]
    pending = iter(lines)
    while True:
        stripped = buffer.lstrip(" \t\r\n,")
        line_at_start += buffer[: len(buffer) - len(stripped)].count("\n")
        buffer = stripped
        if buffer.startswith("]"):
            return
        try:
            record, end = decoder.raw_decode(buffer)
        except json.JSONDecodeError as exc:
            nxt = next(pending, None)
            if nxt is None:
                yield line_at_start + exc.lineno - 1, None, f"invalid JSON ({exc.msg})"
                return
            if nxt[1] is None:
                yield nxt[0], None, "not UTF-8 text"
                return
            buffer += nxt[1]
            if len(buffer) > 10_000_000:
                yield line_at_start, None, "JSON record larger than 10 MB"
                return
            continue
        yield line_at_start, record, None
        line_at_start += buffer[:end].count("\n")
        buffer = buffer[end:]


def _chain_first(
    first: tuple[int, str | None], rest: Iterator[tuple[int, str | None]]
) -> Iterator[tuple[int, str | None]]:
    yield first
    yield from rest


def json_objects(path: Path, progress: Progress) -> Iterator[tuple[int, dict[str, Any]] | LineError]:
    """(line, object) for each JSON record, or a LineError for a record that is not a JSON object."""
    for number, record, error in iter_json_records(path, progress):
        if error:
            yield LineError(number, error)
        elif not isinstance(record, dict):
            yield LineError(number, "expected a JSON object")
        else:
            yield number, record


def parse_wecom(path: Path, progress: Progress, roster: dict[str, str], group_name: str | None) -> Parsed:
    for item in json_objects(path, progress):
        if isinstance(item, LineError):
            yield item
            continue
        number, record = item
        missing = [key for key in ("msgid", "action", "msgtime") if key not in record]
        if record.get("action") != "switch":
            missing += [key for key in ("from", "msgtype") if key not in record]
        if missing:
            yield LineError(number, f"missing field {', '.join(repr(m) for m in missing)}")
            continue
        action = record["action"]
        if action == "switch":
            continue  # an enterprise switch event, not a chat message
        if action not in ("send", "recall"):
            yield LineError(number, f"field 'action': unknown value {action!r}")
            continue
        try:
            sent_at = datetime.fromtimestamp(int(record["msgtime"]) / 1000, tz=UTC).replace(tzinfo=None)
        except (TypeError, ValueError, OverflowError):
            yield LineError(number, f"field 'msgtime': not UTC milliseconds: {record['msgtime']!r}")
            continue
        room = str(record.get("roomid") or "")
        if not room:
            yield LineError(number, "field 'roomid': missing (only group chats are imported)")
            continue
        msgtype = str(record["msgtype"])
        recall_of = consent = None
        if action == "recall" or msgtype == "revoke":
            kind, text = "recall", "[撤回了一条消息]"
            recall_of = str((record.get("revoke") or {}).get("pre_msgid") or "")
            if not recall_of:
                yield LineError(number, "field 'revoke.pre_msgid': missing")
                continue
        elif msgtype == "text":
            content = (record.get("text") or {}).get("content")
            if not isinstance(content, str):
                yield LineError(number, "field 'text.content': missing or not a string")
                continue
            kind, text = text_kind(content), content
        elif msgtype in ("agree", "disagree"):
            kind, text = "consent", "[同意会话存档]" if msgtype == "agree" else "[拒绝会话存档]"
            consent = "granted" if msgtype == "agree" else "refused"
        else:
            kind, text = msgtype, KIND_PLACEHOLDER.get(msgtype, f"[{msgtype}]")
        sender = str(record["from"])
        yield ParsedMessage(
            number,
            str(record["msgid"]),
            sender,
            roster.get(sender, sender),
            room,
            group_name or roster.get(room, room),
            sent_at,
            kind,
            text,
            recall_of=recall_of,
            consent=consent,
        )


# -- chatlog -------------------------------------------------------------------------------------------------


def _wechat_kind(type_code: Any, sub_type: Any) -> str:
    try:
        code = int(type_code)
    except (TypeError, ValueError):
        return "other"
    kind = WECHAT_TYPES.get(code, "other")
    if code == 49:
        try:
            kind = WECHAT_APP_SUBTYPES.get(int(sub_type or 0), "link")
        except (TypeError, ValueError):
            kind = "link"
    return kind


def _content_for(kind: str, content: str) -> str:
    if kind in ("text", "system"):
        return content
    if kind == "quote":
        return content or "[引用]"  # a quote-reply's content is the member's own reply text
    return KIND_PLACEHOLDER.get(kind, f"[{kind}]")


def parse_chatlog(path: Path, progress: Progress, roster: dict[str, str], group_name: str | None) -> Parsed:
    for item in json_objects(path, progress):
        if isinstance(item, LineError):
            yield item
            continue
        number, record = item
        missing = [key for key in ("seq", "time", "talker", "sender", "type") if key not in record]
        if missing:
            yield LineError(number, f"missing field {', '.join(repr(m) for m in missing)}")
            continue
        try:
            moment = datetime.fromisoformat(str(record["time"]).replace("Z", "+00:00"))
        except ValueError:
            yield LineError(number, f"field 'time': not an ISO 8601 time: {record['time']!r}")
            continue
        sent_at = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment - CHINA
        kind = _wechat_kind(record["type"], record.get("subType"))
        content = record.get("content") or ""
        if not isinstance(content, str):
            yield LineError(number, "field 'content': not a string")
            continue
        text = _content_for(kind, content)
        if kind == "text":
            kind = text_kind(text)
        talker = str(record["talker"])
        sender = str(record["sender"]) or SYSTEM_SENDER
        name = str(record.get("senderName") or "") or roster.get(sender, sender)
        recall_by = _recall_notice(kind, text)
        yield ParsedMessage(
            number,
            f"{talker}:{record['seq']}",
            sender,
            name,
            talker,
            group_name or str(record.get("talkerName") or talker),
            sent_at,
            "recall" if recall_by else kind,
            text,
            recall_by=recall_by,
        )


# -- CSV exports ---------------------------------------------------------------------------------------------


def _csv_rows(
    path: Path, progress: Progress, header: str
) -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
    lines = decoded_lines(path, progress)
    bad_encoding: list[int] = []

    def texts() -> Iterator[str]:
        for number, text in lines:
            if text is None:
                bad_encoding.append(number)
                yield "\n"
            else:
                yield text

    reader = csv.reader(texts())
    try:
        first = next(reader)
    except StopIteration:
        return
    if ",".join(c.strip() for c in first) != header:
        yield 1, None, f"expected the header {header}"
        return
    columns = header.split(",")
    while True:
        start = reader.line_num + 1  # a record's line is where it starts (a quoted field may span lines)
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, f"bad CSV ({exc})"
            return
        if bad_encoding:
            yield bad_encoding.pop(), None, "not UTF-8 text"
            continue
        if not row:
            continue
        if len(row) != len(columns):
            yield start, None, f"expected {len(columns)} columns, found {len(row)}"
            continue
        yield start, dict(zip(columns, row, strict=True)), None


def parse_wechatmsg(path: Path, progress: Progress, roster: dict[str, str], group_name: str | None) -> Parsed:
    for number, row, error in _csv_rows(path, progress, WECHATMSG_HEADER):
        if error or row is None:
            yield LineError(number, error or "unreadable row")
            continue
        try:
            sent_at = datetime.fromtimestamp(int(row["CreateTime"]), tz=UTC).replace(tzinfo=None)
        except ValueError:
            yield LineError(number, f"field 'CreateTime': not unix seconds: {row['CreateTime']!r}")
            continue
        kind = _wechat_kind(row["Type"], row["SubType"])
        if kind == "other" and not row["Type"].strip().isdigit():
            yield LineError(number, f"field 'Type': not a number: {row['Type']!r}")
            continue
        text = _content_for(kind, row["StrContent"])
        if kind == "text":
            kind = text_kind(text)
        sender = row["Sender"].strip() or (SYSTEM_SENDER if kind == "system" else "")
        if not sender:
            yield LineError(number, "field 'Sender': empty")
            continue
        name = row["NickName"].strip() or roster.get(sender, sender)
        talker = row["TalkerId"].strip()
        recall_by = _recall_notice(kind, text)
        yield ParsedMessage(
            number,
            None,
            sender,
            name,
            talker,
            group_name or roster.get(talker, talker),
            sent_at,
            "recall" if recall_by else kind,
            text,
            recall_by=recall_by,
        )


def parse_pywxdump(path: Path, progress: Progress, roster: dict[str, str], group_name: str | None) -> Parsed:
    for number, row, error in _csv_rows(path, progress, PYWXDUMP_HEADER):
        if error or row is None:
            yield LineError(number, error or "unreadable row")
            continue
        stamp = row["CreateTime"].strip()
        try:
            sent_at = (
                datetime.fromtimestamp(int(stamp), tz=UTC).replace(tzinfo=None)
                if stamp.isdigit()
                else _china_time(stamp)
            )
        except ValueError as exc:
            yield LineError(number, f"field 'CreateTime': {exc}")
            continue
        if not row["MsgSvrID"].strip():
            yield LineError(number, "field 'MsgSvrID': empty")
            continue
        kind = PYWXDUMP_TYPES.get(row["type_name"].strip(), "other")
        text = _content_for(kind, row["msg"])
        if kind == "text":
            kind = text_kind(text)
        room = row["room_name"].strip() or row["talker"].strip()
        sender = row["talker"].strip() if kind != "system" else SYSTEM_SENDER
        recall_by = _recall_notice(kind, text)
        yield ParsedMessage(
            number,
            row["MsgSvrID"].strip(),
            sender,
            roster.get(sender, sender),
            room,
            group_name or roster.get(room, room),
            sent_at,
            "recall" if recall_by else kind,
            text,
            recall_by=recall_by,
        )


# -- text paste ----------------------------------------------------------------------------------------------


HEADER_WITH_CONTENT = re.compile(r"^(.+?)[:：]\s?(.*)$")


def parse_text(path: Path, progress: Progress, roster: dict[str, str], group_name: str | None) -> Parsed:
    """``2026-11-20 20:01:05 王阿姨: 内容`` per message, or ``2026-11-20 20:01 王阿姨`` with the content below.

    Lines without a timestamp continue the message above (a 接龙 post, a long notice).
    """
    group = group_name or path.stem
    current: ParsedMessage | None = None
    for number, line in decoded_lines(path, progress):
        if line is None:
            yield LineError(number, "not UTF-8 text")
            continue
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        stamp = TEXT_STAMP.match(line.strip())
        if stamp is None:
            if current is None:
                yield LineError(number, "expected `YYYY-MM-DD HH:MM[:SS] 名字: 内容`")
                continue
            current.text = f"{current.text}\n{line}" if current.text else line
            if current.kind == "text" and line.strip().startswith(("#接龙", "＃接龙")):
                current.kind = "chain"
            continue
        if current is not None:
            yield _finish(current)
            current = None
        when, rest = stamp.group(1), (stamp.group(2) or "").strip()
        try:
            sent_at = _china_time(when)
        except ValueError as exc:
            yield LineError(number, str(exc))
            continue
        if not rest:
            yield LineError(number, "timestamp without a sender name")
            continue
        with_content = HEADER_WITH_CONTENT.match(rest)
        if with_content and with_content.group(1).strip():
            name, content = with_content.group(1).strip(), with_content.group(2)
            kind = (
                "recall" if content.strip() in ("[撤回了一条消息]", "撤回了一条消息") else text_kind(content)
            )
        else:
            name, content, kind = rest, "", "pending"  # the content follows on the next lines
        current = ParsedMessage(
            number,
            None,
            name,
            roster.get(name, name),
            group,
            group,
            sent_at,
            kind,
            content,
            recall_by=name if kind == "recall" else None,
        )
    if current is not None:
        yield _finish(current)


def _finish(message: ParsedMessage) -> ParsedMessage:
    if message.kind == "pending":
        message.kind = text_kind(message.text)
        if message.text.strip() in ("[撤回了一条消息]", "撤回了一条消息"):
            message.kind, message.recall_by = "recall", message.sender_name
    return message


PARSERS = {
    "wecom": parse_wecom,
    "chatlog": parse_chatlog,
    "wechatmsg": parse_wechatmsg,
    "pywxdump": parse_pywxdump,
    "text": parse_text,
}


def sniff(path: Path) -> str | None:
    """Guess the format from the file's first bytes; None when nothing fits."""
    with path.open("rb") as handle:
        head = handle.read(8192).decode("utf-8", errors="ignore").lstrip("\ufeff")
    stripped = head.lstrip()
    first_line = stripped.split("\n", 1)[0].strip()
    if first_line.replace(" ", "") == WECHATMSG_HEADER:
        return "wechatmsg"
    if first_line.replace(" ", "") == PYWXDUMP_HEADER:
        return "pywxdump"
    if stripped.startswith(("{", "[")):
        if '"msgid"' in stripped[:4000]:
            return "wecom"
        if '"talker"' in stripped[:4000] and '"seq"' in stripped[:4000]:
            return "chatlog"
        return None
    if TEXT_STAMP.match(first_line):
        return "text"
    return None
