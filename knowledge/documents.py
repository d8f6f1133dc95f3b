"""Reading knowledge documents: front matter, Chinese-aware chunks with source spans, and measured facts.

A document is Markdown or plain text with YAML front matter (or a sidecar ``.yaml`` beside it) naming its
``sku, title, doc_type`` and, for reports and certificates, ``batch, issuer, issued_at, valid_until``. Chunks
split on headings, paragraphs and sentence ends; table rows and ``名称：值`` lines are never cut in half. Every
chunk keeps its heading path and its character span in the source file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

DOC_TYPES = ("product", "traceability", "certificate", "faq", "policy")
SUFFIXES = (".md", ".markdown", ".txt", ".pdf")
PARSER_VERSION = 2  # bump when chunking or fact extraction changes: unchanged files are then re-ingested
MAX_CHUNK = 360  # characters; a chunk is what a host reads as one piece of evidence
DOC_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,199}$")
SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
KV_LINE = re.compile(r"^\s*(?:[-*]\s+)?(?:\*\*)?([^：:|#\n]{1,30}?)(?:\*\*)?\s*[：:]\s*(\S.*?)\s*$")
NUMBER = re.compile(
    r"(?P<cmp>[<＜≤>＞≥]\s*)?(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>%|％|[a-zA-Zμ°℃]+(?:/[0-9a-zA-Z]+)*|克|毫克|千焦|千卡|个月|月龄|个|枚|天|周|月|年|只|种|公顷|米)?"
)
NOT_DETECTED = ("未检出", "ND", "N.D.")


class _FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so a bad date is reported by field instead of crashing the parser."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_FrontMatterLoader)  # noqa: S506 - a SafeLoader subclass


class DocumentError(ValueError):
    """A document that cannot be ingested; the message starts with the path."""


@dataclass(frozen=True)
class DocMeta:
    doc_id: str
    sku: str
    title: str
    doc_type: str
    batch: str | None
    issuer: str | None
    issued_at: date | None
    valid_until: date | None
    path: str
    content_hash: str
    community: str | None = None  # None: shared by every community


@dataclass(frozen=True)
class Fact:
    """One measured item, e.g. 酸度 = 0.2 %, with the chunk it came from."""

    key: str
    value: str
    number: float | None
    unit: str | None
    line: str
    chunk_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    text: str
    heading_path: list[str]
    start: int
    end: int
    facts: list[Fact] = field(default_factory=list)

    def embedding_text(self, title: str) -> str:
        heading = " > ".join([title, *self.heading_path])
        return f"{heading}\n{self.text}"


@dataclass
class ParsedDocument:
    meta: DocMeta
    chunks: list[Chunk]


def _as_date(value: Any, field_name: str, path: Path) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise DocumentError(f"{path}: field {field_name!r}: not a date YYYY-MM-DD: {value!r}") from exc


def split_front_matter(raw: str, path: Path) -> tuple[dict[str, Any], int]:
    """Return the front matter mapping and the offset where the body starts."""
    if raw.startswith("---"):
        end = raw.find("\n---", 3)
        if end < 0:
            raise DocumentError(f"{path}:1: front matter opened with '---' but never closed")
        try:
            data = _load_yaml(raw[3:end]) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = (mark.line + 2) if mark is not None else 1
            raise DocumentError(
                f"{path}:{line}: front matter is not valid YAML ({getattr(exc, 'problem', exc)})"
            ) from exc
        body_start = raw.find("\n", end + 4)
        return data, (len(raw) if body_start < 0 else body_start + 1)
    sidecar = path.with_suffix(".yaml")
    if sidecar.exists():
        try:
            return _load_yaml(sidecar.read_text(encoding="utf-8")) or {}, 0
        except yaml.YAMLError as exc:
            raise DocumentError(f"{sidecar}: not valid YAML ({exc})") from exc
    raise DocumentError(f"{path}: no YAML front matter and no sidecar {sidecar.name}")


def read_meta(path: Path, raw: str, front: dict[str, Any]) -> DocMeta:
    if not isinstance(front, dict):
        raise DocumentError(f"{path}: front matter must be a mapping")
    doc_id = path.stem.lower()
    if not DOC_ID.match(doc_id):
        raise DocumentError(
            f"{path}: file name must be a lowercase slug ([a-z0-9._-]) to serve as document id"
        )
    for required in ("sku", "title", "doc_type"):
        if not str(front.get(required) or "").strip():
            raise DocumentError(f"{path}: field {required!r}: missing")
    doc_type = str(front["doc_type"])
    if doc_type not in DOC_TYPES:
        raise DocumentError(
            f"{path}: field 'doc_type': must be one of {', '.join(DOC_TYPES)}, got {doc_type!r}"
        )
    unknown = set(front) - {
        "sku",
        "title",
        "doc_type",
        "batch",
        "issuer",
        "issued_at",
        "valid_until",
        "community",
    }
    if unknown:
        raise DocumentError(f"{path}: unknown front matter field(s): {', '.join(sorted(unknown))}")
    issued_at = _as_date(front.get("issued_at"), "issued_at", path)
    valid_until = _as_date(front.get("valid_until"), "valid_until", path)
    if issued_at and valid_until and valid_until < issued_at:
        raise DocumentError(f"{path}: field 'valid_until': {valid_until} is before issued_at {issued_at}")
    if doc_type == "traceability" and not front.get("batch"):
        raise DocumentError(f"{path}: field 'batch': a traceability document must name its batch")
    return DocMeta(
        doc_id=doc_id,
        sku=str(front["sku"]).strip(),
        title=str(front["title"]).strip(),
        doc_type=doc_type,
        batch=str(front["batch"]).strip() if front.get("batch") else None,
        issuer=str(front["issuer"]).strip() if front.get("issuer") else None,
        issued_at=issued_at,
        valid_until=valid_until,
        path=str(path),
        content_hash=hashlib.sha256(raw.encode()).hexdigest(),
        community=str(front["community"]).strip() if front.get("community") else None,
    )


@dataclass
class _Block:
    kind: str  # para | table | kv
    start: int
    end: int
    lines: list[tuple[int, int]]  # (start, end) of each source line in the block


def _blocks(raw: str, body_start: int) -> list[tuple[list[str], _Block]]:
    """Group body lines into (heading path, block) pairs."""
    out: list[tuple[list[str], _Block]] = []
    headings: list[tuple[int, str]] = []
    current: _Block | None = None
    pos = body_start
    for line in raw[body_start:].splitlines(keepends=True):
        start, end = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        text = raw[start:end]
        stripped = text.strip()
        heading = HEADING.match(stripped)
        if not stripped or heading:
            current = None
            if heading:
                level = len(heading.group(1))
                headings = [h for h in headings if h[0] < level] + [(level, heading.group(2))]
            continue
        if set(stripped) <= set("|-: "):
            continue  # table separator row
        kind = (
            "table"
            if stripped.startswith("|")
            else ("kv" if KV_LINE.match(stripped) and len(stripped) <= 80 else "para")
        )
        if current is None or current.kind != kind:
            current = _Block(kind, start, end, [(start, end)])
            out.append(([h[1] for h in headings], current))
        else:
            current.end = end
            current.lines.append((start, end))
    return out


def _pieces(raw: str, block: _Block) -> list[tuple[int, int]]:
    """Split a block into spans of at most MAX_CHUNK characters at row or sentence boundaries."""
    if block.end - block.start <= MAX_CHUNK:
        return [(block.start, block.end)]
    units: list[tuple[int, int]] = []
    if block.kind in ("table", "kv"):
        units = block.lines
    else:
        for line_start, line_end in block.lines:
            cursor = line_start
            for part in SENTENCE_END.split(raw[line_start:line_end]):
                if part:
                    units.append((cursor, cursor + len(part)))
                    cursor += len(part)
    pieces: list[tuple[int, int]] = []
    for unit in units:
        if pieces and unit[1] - pieces[-1][0] <= MAX_CHUNK:
            pieces[-1] = (pieces[-1][0], unit[1])
        else:
            pieces.append(unit)
    return pieces


def _table_header(raw: str, block: _Block) -> list[str] | None:
    first = raw[block.lines[0][0] : block.lines[0][1]]
    cells = [c.strip() for c in first.strip().strip("|").split("|")]
    return cells if any(("项目" in c or "指标" in c) for c in cells) else None


def parse_value(value: str) -> tuple[float | None, str | None]:
    if any(marker in value for marker in NOT_DETECTED):
        return None, None
    match = NUMBER.search(value)
    if not match:
        return None, None
    unit = match.group("unit")
    return float(match.group("num")), (unit.replace("％", "%") if unit else None)


def extract_facts(raw: str, start: int, end: int, header: list[str] | None) -> list[Fact]:
    """Key-value measurements in a span: ``酸度（以游离脂肪酸计）：0.2%`` lines and result-table rows."""
    facts: list[Fact] = []
    for line in raw[start:end].splitlines():
        stripped = line.strip()
        if stripped.startswith("|"):
            cells = [c.strip().strip("*") for c in stripped.strip("|").split("|")]
            if (
                header is None
                or cells == header
                or len(cells) < 2
                or all(set(c) <= set("-: ") for c in cells)
            ):
                continue
            result_col = next((i for i, h in enumerate(header) if "结果" in h or "实测" in h), None)
            if result_col is None:
                result_col = 1
            if result_col >= len(cells) or not cells[0]:
                continue
            value = cells[result_col]
            number, unit = parse_value(value)
            if unit is None and number is not None and result_col < len(header):
                unit_in_header = re.search(r"[（(]([^）)]+)[）)]", header[result_col])
                unit = unit_in_header.group(1) if unit_in_header else None
            facts.append(Fact(key=cells[0], value=value, number=number, unit=unit, line=stripped))
            continue
        match = KV_LINE.match(stripped)
        if match:
            key, value = match.group(1).strip(), match.group(2).strip()
            number, unit = parse_value(value)
            facts.append(Fact(key=key, value=value, number=number, unit=unit, line=stripped))
    return facts


def chunk_document(raw: str, body_start: int, meta: DocMeta) -> list[Chunk]:
    chunks: list[Chunk] = []
    for heading_path, block in _blocks(raw, body_start):
        header = _table_header(raw, block) if block.kind == "table" else None
        for start, end in _pieces(raw, block):
            chunk_id = f"{meta.doc_id}#{len(chunks):03d}"
            facts = [
                Fact(**{**f.as_dict(), "chunk_id": chunk_id}) for f in extract_facts(raw, start, end, header)
            ]
            chunks.append(Chunk(chunk_id, meta.doc_id, raw[start:end], heading_path, start, end, facts))
    _merge_small(chunks, raw)
    return chunks


def _merge_small(chunks: list[Chunk], raw: str) -> None:
    """Fold a tiny piece into a neighbour of the same section (next first, else previous) so it keeps context."""
    i = 0
    while i < len(chunks):
        here = chunks[i]
        if len(here.text) >= 50:
            i += 1
            continue
        for j in (i + 1, i - 1):
            if 0 <= j < len(chunks) and chunks[j].heading_path == here.heading_path:
                a, b = sorted((here, chunks[j]), key=lambda c: c.start)
                if b.end - a.start <= MAX_CHUNK + MAX_CHUNK // 4:
                    merged = Chunk(a.chunk_id, a.doc_id, raw[a.start : b.end], a.heading_path, a.start, b.end)
                    merged.facts = [
                        Fact(**{**f.as_dict(), "chunk_id": a.chunk_id}) for f in a.facts + b.facts
                    ]
                    lo = min(i, j)
                    chunks[lo : lo + 2] = [merged]
                    break
        else:
            i += 1
    for n, chunk in enumerate(chunks):
        new_id = f"{chunk.doc_id}#{n:03d}"
        if chunk.chunk_id != new_id:
            chunk.chunk_id = new_id
            chunk.facts = [Fact(**{**f.as_dict(), "chunk_id": new_id}) for f in chunk.facts]


def pdf_text(path: Path) -> str:
    """The PDF's text layer, page by page (spans then refer to this text). Metadata comes from a sidecar .yaml."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except (PdfReadError, OSError, ValueError) as exc:
        raise DocumentError(f"{path}: not a readable PDF ({exc})") from exc
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        raise DocumentError(f"{path}: the PDF has no text layer (scanned images need OCR first)")
    return text + "\n"


def parse_document(path: Path) -> ParsedDocument:
    """Read, validate and chunk one document file; raises :class:`DocumentError` naming the file."""
    if not path.is_file():
        raise DocumentError(f"{path}: no such file")
    if path.suffix.lower() not in SUFFIXES:
        raise DocumentError(f"{path}: unsupported file type {path.suffix!r} (use {', '.join(SUFFIXES)})")
    if path.suffix.lower() == ".pdf":
        raw = pdf_text(path)
    else:
        try:
            raw = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    front, body_start = split_front_matter(raw, path)
    meta = read_meta(path, raw, front)
    chunks = chunk_document(raw, body_start, meta)
    if not chunks:
        raise DocumentError(f"{path}: no text after the front matter")
    return ParsedDocument(meta, chunks)
