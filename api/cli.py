"""The ``linli`` command line: a thin adapter like the HTTP routes (parse, call one service, print).

Every command exits 0 on success and non-zero with a one-line reason on stderr otherwise. ``--json`` prints one
JSON document on stdout. The local command line acts with admin authority and is audited as ``cli``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.table import Table

from community import db
from community.errors import AppError
from community.principal import CLI

app = typer.Typer(
    help="Linli (邻里): AI-assisted community manager for 社区团购 and 私域直播.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
users_app = typer.Typer(help="Users, roles and API tokens.", no_args_is_help=True)
communities_app = typer.Typer(help="Communities (one brand's or 团长's set of groups).", no_args_is_help=True)
chats_app = typer.Typer(help="Chat history import.", no_args_is_help=True)
members_app = typer.Typer(help="Members, their tags and erasure.", no_args_is_help=True)
consent_app = typer.Typer(help="Members' consent (PIPL).", no_args_is_help=True)
tags_app = typer.Typer(help="Interest tags with evidence.", no_args_is_help=True)
docs_app = typer.Typer(
    help="Knowledge documents: product sheets, test reports, certificates.", no_args_is_help=True
)
drafts_app = typer.Typer(help="Scripts, 接龙 copy and pushes, and their review.", no_args_is_help=True)
messages_app = typer.Typer(help="Messages as the agent sees them (pseudonymised).", no_args_is_help=True)
for sub, name in (
    (users_app, "users"),
    (communities_app, "communities"),
    (chats_app, "chats"),
    (members_app, "members"),
    (consent_app, "consent"),
    (tags_app, "tags"),
    (docs_app, "docs"),
    (drafts_app, "drafts"),
    (messages_app, "messages"),
):
    app.add_typer(sub, name=name)

out = Console()
err = Console(stderr=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
CommunityOpt = Annotated[str, typer.Option("--community", "-c", help="Community id.")]


def with_progress(label: str, as_json: bool, run: Callable[[Callable[[int, int], None] | None], Any]) -> Any:
    """``run(tick)`` with a transient progress bar on stderr when a person watches (a terminal, no --json);
    ``tick(done, total)`` moves it. Without one, ``run(None)``."""
    if as_json or not sys.stderr.isatty():
        return run(None)
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)
        return run(lambda n, total: bar.update(task, completed=n, total=total))


def emit(data: Any, as_json: bool, render: Any = None) -> None:
    if as_json or render is None:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        render(data)


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    t = Table(title=title, show_lines=False)
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*[str(x) for x in r])
    out.print(t)


def session():  # type: ignore[no-untyped-def]
    db.require_schema()
    return db.session_scope()


# -- set-up ------------------------------------------------------------------------------------------------------


@app.command()
def init(as_json: JsonOpt = False) -> None:
    """Create or migrate the database (idempotent)."""
    from settings import get_settings

    revision = db.migrate()
    get_settings().secret_bytes()
    emit(
        {"database": get_settings().db_url, "revision": revision},
        as_json,
        lambda d: out.print(f"database ready at {d['database']} (schema {d['revision']})"),
    )


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    access_log: bool = typer.Option(
        False, "--access-log/--no-access-log", help="log every request (costs about a third of a busy server)"
    ),
    workers: int = typer.Option(1, min=1, help="server processes (one per core serves a busy desk best)"),
) -> None:
    """Serve the HTTP API and the web pages (who did what is in the audit log, not the access log)."""
    import uvicorn

    db.require_schema()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        workers=workers,
    )


@app.command()
def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after the summary.")] = False,
    port: int = 8000,
    host: str = "127.0.0.1",
) -> None:
    """Build a fresh demo community under LINLI_HOME, run the whole loop, print a summary, then serve."""
    from api.demo import run_demo

    run_demo(out)
    if no_serve:
        out.print(f"\nServe it with `linli serve --port {port}`, then log in at http://{host}:{port}/login")
    else:
        import uvicorn

        out.print(f"\nServing on http://{host}:{port}  (API docs: http://{host}:{port}/docs; Ctrl-C to stop)")
        out.print(f"Operator and host pages: http://{host}:{port}/login  (log in with a token above)")
        uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="warning")


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="host | operator | admin")],
    community: Annotated[
        list[str] | None, typer.Option("--community", "-c", help="Community id (repeatable).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user and print their API token once (only its hash is stored)."""
    from community.users import add_user

    with session() as s:
        user, token = add_user(s, CLI, name, role, community or [])
        data = {
            "id": user.id,
            "name": user.name,
            "role": user.role,
            "communities": community or [],
            "token": token,
        }
    emit(
        data,
        as_json,
        lambda d: out.print(
            f"user {d['name']} ({d['role']}) created. Token (shown once, keep it safe):\n{d['token']}"
        ),
    )


@users_app.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    """List users (tokens are never shown)."""
    from community.users import list_users

    with session() as s:
        data = {"users": list_users(s)}
    emit(
        data,
        as_json,
        lambda d: table(
            "users",
            ["id", "name", "role", "communities"],
            [[u["id"], u["name"], u["role"], ",".join(u["communities"])] for u in d["users"]],
        ),
    )


@users_app.command("revoke")
def users_revoke(name: str, as_json: JsonOpt = False) -> None:
    """Revoke every token of a user."""
    from community.users import revoke_tokens

    with session() as s:
        data = {"name": name, "revoked": revoke_tokens(s, CLI, name)}
    emit(data, as_json, lambda d: out.print(f"revoked {d['revoked']} token(s) of {d['name']}"))


@communities_app.command("add")
def communities_add(
    community_id: str, name: Annotated[str, typer.Option(help="Display name.")], as_json: JsonOpt = False
) -> None:
    """Create a community."""
    from community.users import add_community

    with session() as s:
        c = add_community(s, CLI, community_id, name)
        data = {"id": c.id, "name": c.name}
    emit(data, as_json, lambda d: out.print(f"community {d['id']} ({d['name']}) ready"))


# -- chats, members, consent, tags --------------------------------------------------------------------------------


@chats_app.command("import")
def chats_import(
    file: Path,
    community: CommunityOpt,
    fmt: Annotated[
        str, typer.Option("--format", help="auto | wecom | chatlog | wechatmsg | pywxdump | text")
    ] = "auto",
    group: Annotated[
        str | None, typer.Option(help="Group name (default: from the file, or its name for a text paste).")
    ] = None,
    roster: Annotated[
        Path | None, typer.Option(help="JSON {sender id: display name} for exports that carry only ids.")
    ] = None,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Import the good lines, list the bad ones.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import a chat export (all-or-nothing per file, idempotent on message id, pseudonymised)."""
    from community.importers import import_file
    from settings import get_settings

    names = json.loads(roster.read_text(encoding="utf-8")) if roster else None

    def run(on_progress: Any = None) -> dict[str, Any]:
        with session() as s:
            return import_file(
                s,
                CLI,
                file,
                community,
                fmt=fmt,
                group=group,
                roster=names,
                skip_bad=skip_bad,
                secret=get_settings().secret_bytes(),
                on_progress=on_progress,
            )

    if sys.stderr.isatty() and not as_json and file.is_file():
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        with Progress(
            "importing", BarColumn(), DownloadColumn(), TimeRemainingColumn(), console=err, transient=True
        ) as bar:
            task = bar.add_task("import", total=file.stat().st_size)
            data = run(lambda done, total: bar.update(task, completed=done, total=total))
    else:
        data = run()

    def render(d: dict) -> None:
        out.print(
            f"{file}: format {d['format']}, read {d['read']}, imported {d['imported']}, "
            f"duplicates {d['duplicates']}, skipped {d['skipped']}, members {d['members']}"
            + (f", past retention (not stored) {d['expired']}" if d.get("expired") else "")
        )
        for e in d["errors"]:
            err.print(f"skipped: {e}")

    emit(data, as_json, render)


@members_app.command("list")
def members_list(
    community: CommunityOpt,
    tag: Annotated[str | None, typer.Option(help="Only members holding this tag (a taxonomy id).")] = None,
    consent: Annotated[
        str | None, typer.Option(help="Only members whose health consent is granted, refused or unknown.")
    ] = None,
    search: Annotated[
        str | None, typer.Option(help="Only members whose name or export id contains this.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Page size (default: all).")] = None,
    offset: Annotated[int, typer.Option(help="Skip this many (in id order).")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Members with their health consent and tags; `total` counts the matches, `tag_counts` the members per tag."""
    from agent.taxonomy import taxonomy
    from community.members import find_members

    with session() as s:
        data = find_members(
            s,
            CLI,
            community,
            tag=tag,
            consent=consent,
            search=search,
            limit=limit,
            offset=offset,
            known_tags=frozenset(taxonomy().tags),
        )
    emit(
        data,
        as_json,
        lambda d: table(
            f"members of {community} ({len(d['members'])} of {d['total']})",
            ["id", "name", "health consent", "tags"],
            [
                [m["member_id"], m["name"], m["health_consent"], ", ".join(t["tag"] for t in m["tags"])]
                for m in d["members"]
            ],
        ),
    )


@members_app.command("staff")
def members_staff(
    member_id: int,
    community: CommunityOpt,
    off: Annotated[bool, typer.Option("--off", help="Unmark: a member like any other again.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Mark a member as the brand's own staff (host, 团长, service account): never tagged or in an audience, and
    their name may appear in group copy."""
    from community.members import set_staff

    with session() as s:
        data = set_staff(s, CLI, member_id, community, not off)
    emit(
        data,
        as_json,
        lambda d: out.print(
            f"member {d['member_id']}: {'staff' if d['staff'] else 'member'}"
            + (f" ({d['inferred_tags_dropped']} inferred tags dropped)" if d["inferred_tags_dropped"] else "")
        ),
    )


@members_app.command("merge")
def members_merge(
    keep: Annotated[int, typer.Argument(help="The member to keep.")],
    other: Annotated[
        int, typer.Argument(help="The member merged into KEEP (the same person under another id).")
    ],
    community: CommunityOpt,
    as_json: JsonOpt = False,
) -> None:
    """One person under two ids (a text export by nickname, a WeCom archive by userid): OTHER's messages, consent
    history and human tag labels move to KEEP, where consents differ the stricter stands, and a later import of
    OTHER's id lands on KEEP. Run `linli tags infer` afterwards; `linli members duplicates` lists likely pairs."""
    from api.services import merge_members

    with session() as s:
        data = merge_members(s, CLI, keep, other, community)
    emit(
        data,
        as_json,
        lambda d: out.print(
            f"member {d['merged']} merged into {d['member_id']}: {d['messages_moved']} messages moved, "
            f"health consent {d['health_consent']}; run `linli tags infer` to tag the whole history"
        ),
    )


@members_app.command("duplicates")
def members_duplicates(community: CommunityOpt, as_json: JsonOpt = False) -> None:
    """Members sharing a display name: a hint of one person under two ids (nothing is merged by it)."""
    from community.members import possible_duplicates

    with session() as s:
        data = {"groups": possible_duplicates(s, CLI, community)}
    emit(
        data,
        as_json,
        lambda d: out.print(
            "\n".join(" = ".join(str(i) for i in g) for g in d["groups"]) or "no members share a name"
        ),
    )


@members_app.command("forget")
def members_forget(member_id: int, community: CommunityOpt, as_json: JsonOpt = False) -> None:
    """Erase a member's messages, tags and consent history (PIPL); a tombstone stays."""
    from community.members import forget_member

    with session() as s:
        data = forget_member(s, CLI, member_id, community)
    emit(
        data,
        as_json,
        lambda d: out.print(
            f"member {d['member_id']} erased: {d['messages_deleted']} messages, {d['tags_deleted']} tags"
        ),
    )


@consent_app.command("set")
def consent_set(
    member_id: int,
    community: CommunityOpt,
    health: Annotated[str, typer.Option(help="granted | refused")],
    source: Annotated[
        str, typer.Option(help="Where it was given (群内回复, 小程序表单 …), kept with the record.")
    ] = "operator",
    as_json: JsonOpt = False,
) -> None:
    """Record a member's consent to health-interest tagging."""
    from api.services import set_health_consent

    with session() as s:
        data = set_health_consent(s, CLI, member_id, community, health, source=source)
    emit(data, as_json, lambda d: out.print(f"member {d['member_id']}: health consent {d['status']}"))


@tags_app.command("infer")
def tags_infer(
    community: CommunityOpt,
    full: Annotated[
        bool, typer.Option("--full", help="Look at every member, not only those with new messages.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Infer interest tags with evidence (sensitive tags only with health consent); incremental by default."""
    from agent.tagging import infer_community

    with session() as s:
        data = with_progress(
            "inferring tags (members)",
            as_json,
            lambda tick: infer_community(s, CLI, community, full=full, progress=tick),
        )

    def render(d: dict) -> None:
        out.print(
            f"{d['considered']} member(s) looked at ({d['skipped_unchanged']} unchanged skipped), {d['tagged']} tagged; "
            f"{d['withheld_without_consent']} sensitive tag(s) withheld for lack of consent; tagger {d['tagger']}"
        )
        if "llm" in d:
            out.print(
                f"LLM: {d['llm']['calls']} call(s), {d['llm']['input_tokens']} tokens in, "
                f"{d['llm']['output_tokens']} out; dropped {d['llm']['dropped'] or 'nothing'}"
            )

    emit(data, as_json, render)
    if data.get("untagged"):  # what was answered is committed; the rest is still pending for the next run
        why = (data.get("llm") or {}).get("error") or "the LLM's answer for their batch could not be parsed"
        raise AppError(
            f"{data['untagged']} member(s) not tagged, their tags left as they were: {why}. "
            "Run `linli tags infer` again to retry only them."
        )


@tags_app.command("runs")
def tags_runs(
    community: CommunityOpt,
    limit: Annotated[int, typer.Option(help="How many of the latest runs.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """The latest tag inference runs and their traces (tagger, model, tokens, per-step timings)."""
    from community.runs import tagging_runs

    with session() as s:
        data = {"runs": tagging_runs(s, CLI, community, limit)}
    emit(
        data,
        as_json,
        lambda d: table(
            f"tagging runs in {community}",
            ["run", "started", "source", "tagger", "considered", "tagged", "tokens in/out", "seconds"],
            [
                [
                    str(r["run_id"]),
                    r["started_at"],
                    r["source"],
                    r["tagger"],
                    str(r["considered"]),
                    str(r["tagged"]),
                    f"{r['input_tokens']}/{r['output_tokens']}",
                    f"{r['seconds']:.2f}",
                ]
                for r in d["runs"]
            ],
        ),
    )


@tags_app.command("confirm")
def tags_confirm(member_id: int, tag: str, as_json: JsonOpt = False) -> None:
    """Confirm a member's tag as an operator (inference never overwrites it)."""
    from api.services import label_tag

    with session() as s:
        data = label_tag(s, CLI, member_id, tag, "confirmed")
    emit(data, as_json, lambda d: out.print(f"member {d['member_id']}: {d['tag']} {d['status']}"))


@tags_app.command("reject")
def tags_reject(member_id: int, tag: str, as_json: JsonOpt = False) -> None:
    """Reject a member's tag as an operator (inference never brings it back)."""
    from api.services import label_tag

    with session() as s:
        data = label_tag(s, CLI, member_id, tag, "rejected")
    emit(data, as_json, lambda d: out.print(f"member {d['member_id']}: {d['tag']} {d['status']}"))


@tags_app.command("list")
def tags_list(community: CommunityOpt, as_json: JsonOpt = False) -> None:
    """Tagged members with the evidence message ids."""
    from community.members import list_members

    with session() as s:
        data = {
            "members": [
                {"member_id": m["member_id"], "name": m["name"], "tags": m["tags"]}
                for m in list_members(s, CLI, community)
                if m["tags"]
            ]
        }
    emit(
        data,
        as_json,
        lambda d: table(
            f"tags in {community}",
            ["member", "name", "tag", "about", "confidence", "evidence"],
            [
                [
                    m["member_id"],
                    m["name"],
                    t["tag"],
                    t["about"],
                    t["confidence"],
                    " ".join(map(str, t["evidence"][:6])),
                ]
                for m in d["members"]
                for t in m["tags"]
            ],
        ),
    )


chains_app = typer.Typer(help="接龙 chains parsed from the chat history.", no_args_is_help=True)
app.add_typer(chains_app, name="chains")


@chains_app.command("list")
def chains_list(community: CommunityOpt, as_json: JsonOpt = False) -> None:
    """Each 接龙's latest post: who ordered how many, with notes."""
    from community.chains import list_chains

    with session() as s:
        data = {"chains": list_chains(s, CLI, community)}

    def render(d: dict) -> None:
        for c in d["chains"]:
            rows = [
                [e["position"], e["who"], f"{e['quantity'] or ''}{e['unit'] or ''}", e["note"]]
                for e in c["entries"]
            ]
            table(f"#接龙 {c['title']} ({c['posted_at']})", ["#", "who", "qty", "note"], rows)

    emit(data, as_json, render)


@chains_app.command("export")
def chains_export(
    chain: Annotated[str, typer.Argument(help="The chain's id (`linli chains list --json` shows it).")],
    community: CommunityOpt,
    dest: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the CSV here (default: stdout).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """One 接龙 as a CSV pick list (配货单) for the pickup point: entries, then a total per unit."""
    from community.chains import chain_csv

    with session() as s:
        found, text = chain_csv(s, CLI, community, chain)
    if dest is None:
        sys.stdout.write(text)
        return
    tmp = dest.with_name(dest.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(dest)  # whole or not at all
    emit(
        {"chain": chain, "title": found["title"], "entries": len(found["entries"]), "out": str(dest)},
        as_json,
        lambda d: out.print(f"wrote {d['entries']} entries of #接龙 {d['title']} to {d['out']}"),
    )


@messages_app.command("purge")
def messages_purge(
    community: CommunityOpt,
    older_than: Annotated[
        int | None,
        typer.Option(
            "--older-than", help="Days; default LINLI_RETENTION_DAYS. Messages sent before are deleted."
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would go; change nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Retention (PIPL Art. 19): delete messages older than the cut-off, with the tag evidence and 接龙 entries on
    them and the inferred tags left without evidence; an import then leaves such old messages out. For cron."""
    from community.retention import purge_messages
    from settings import get_settings

    days = older_than if older_than is not None else get_settings().retention_days
    if days is None:
        raise AppError("--older-than: give the number of days, or set LINLI_RETENTION_DAYS")
    with session() as s:
        data = purge_messages(s, CLI, community, older_than_days=days, dry_run=dry_run)
    emit(
        data,
        as_json,
        lambda d: out.print(
            f"{'would delete' if d['dry_run'] else 'deleted'} {d['messages_deleted']} messages sent before "
            f"{d['cutoff']} ({d['evidence_deleted']} evidence links, {d['chain_entries_deleted']} 接龙 entries; "
            f"{d['tags_dropped']} inferred tags left without evidence"
            f"{' would go' if d['dry_run'] else ' removed'}; {d['members_touched']} members to tag again)"
        ),
    )


@messages_app.command("list")
def messages_list(
    community: CommunityOpt,
    member: Annotated[int | None, typer.Option(help="Only this member's messages.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    original: Annotated[
        bool, typer.Option("--original", help="Add the text as sent (operators only).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Messages as an LLM would see them: pseudonymised, recalled text removed."""
    from community.members import member_messages

    with session() as s:
        data = {"messages": member_messages(s, CLI, community, member, limit, original=original)}
    emit(
        data,
        as_json,
        lambda d: table(
            "messages",
            ["id", "member", "sent at (UTC)", "kind", "text"],
            [
                [m["message_id"], m["member_id"], m["sent_at"], m["kind"], m["text"][:60]]
                for m in d["messages"]
            ],
        ),
    )


# -- knowledge -------------------------------------------------------------------------------------------------


@docs_app.command("ingest")
def docs_ingest(paths: list[Path], as_json: JsonOpt = False) -> None:
    """Ingest Markdown/text documents with YAML front matter (unchanged files are skipped)."""
    from api.services import ingest_documents
    from knowledge.index import get_knowledge_base

    kb = get_knowledge_base()
    with session() as s:
        data = with_progress(
            "embedding documents",
            as_json,
            lambda tick: ingest_documents(
                s, CLI, kb, paths, progress=None if tick is None else lambda doc, n, total: tick(n, total)
            ),
        )
    emit(
        data,
        as_json,
        lambda d: out.print(
            f"{len(d['documents'])} document(s): {d['added']} added, {d['updated']} updated, {d['unchanged']} unchanged"
        ),
    )


@docs_app.command("list")
def docs_list(
    sku: Annotated[str | None, typer.Option(help="Only this sku.")] = None, as_json: JsonOpt = False
) -> None:
    """Documents in the registry."""
    from community.documents import list_documents

    with session() as s:
        data = {"documents": list_documents(s, sku)}
    emit(
        data,
        as_json,
        lambda d: table(
            "documents",
            ["doc_id", "sku", "type", "batch", "valid until", "chunks"],
            [
                [x["doc_id"], x["sku"], x["doc_type"], x["batch"] or "", x["valid_until"] or "", x["chunks"]]
                for x in d["documents"]
            ],
        ),
    )


@docs_app.command("remove")
def docs_remove(doc_id: str, as_json: JsonOpt = False) -> None:
    """Remove a document from the registry and every index."""
    from api.services import remove_document
    from knowledge.index import get_knowledge_base

    with session() as s:
        data = remove_document(s, CLI, get_knowledge_base(), doc_id)
    emit(data, as_json, lambda d: out.print(f"removed {d['doc_id']} ({d['chunks_removed']} chunks)"))


@app.command()
def search(
    query: str,
    sku: Annotated[str | None, typer.Option(help="Only this sku (and documents shared by all).")] = None,
    doc_type: Annotated[
        str | None, typer.Option("--doc-type", help="product|traceability|certificate|faq|policy")
    ] = None,
    community: Annotated[
        str | None, typer.Option("--community", "-c", help="Only documents shared or of this community.")
    ] = None,
    k: Annotated[int, typer.Option("--k", help="How many hits.")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid | dense | bm25")] = "hybrid",
    as_json: JsonOpt = False,
) -> None:
    """Hybrid search over the knowledge base; every hit names its chunk and document."""
    from knowledge.index import get_knowledge_base

    db.require_schema()
    hits = get_knowledge_base().search(query, sku=sku, doc_type=doc_type, community=community, k=k, mode=mode)
    data = {"hits": [h.as_dict() for h in hits]}
    emit(
        data,
        as_json,
        lambda d: table(
            f"search: {query}",
            ["chunk", "type", "score", "flags", "text"],
            [
                [
                    h["chunk_id"],
                    h["doc_type"],
                    f"{h['score']:.4f}",
                    ",".join(h["flags"]),
                    h["text"][:60].replace("\n", " "),
                ]
                for h in d["hits"]
            ],
        ),
    )


@app.command()
def check(
    file: Annotated[str, typer.Argument(help="A text file, or - for stdin.")],
    sku: Annotated[str | None, typer.Option(help="The product the text is about.")] = None,
    community: Annotated[
        str | None,
        typer.Option(
            "--community", "-c", help="Judge it on the documents this community sees (default: all)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run every check on a text (compliance rules, completeness)."""
    from agent.checks import run_checks

    if file == "-":
        text = sys.stdin.read()
    else:
        path = Path(file)
        if not path.is_file():
            raise AppError(f"{file}: no such file")
        text = path.read_text(encoding="utf-8")
    kb = None
    if sku:
        from knowledge.index import get_knowledge_base

        db.require_schema()
        kb = get_knowledge_base()
        if community:
            from community.users import get_community

            with session() as s:
                get_community(s, community)
            kb = kb.for_community(community)
    data = {"findings": run_checks(text, sku=sku, kb=kb)}

    def render(d: dict) -> None:
        if not d["findings"]:
            out.print("no findings")
        for f in d["findings"]:
            out.print(
                f"[{f['severity']}] {f['start']}-{f['end']} 「{f['text']}」 {f['message']}"
                + (f"\n    建议：{f['suggestion']}" if f["suggestion"] else "")
                + (
                    f"\n    可改为：{f['rewrite']}（出处：{'、'.join(f.get('rewrite_citations') or [])}）"
                    if f.get("rewrite")
                    else ""
                )
            )

    emit(data, as_json, render)


# -- drafts ----------------------------------------------------------------------------------------------------


def _print_draft(d: dict) -> None:
    out.print(
        f"draft {d['id']} rev {d['revision']} · {d['kind']} · {d['sku']} · {d['status']} · composer {d['composer']}"
    )
    out.print(d["text"], markup=False, highlight=False)
    for f in d["findings"]:
        out.print(f"  [{f['severity']}] 「{f['text']}」 {f['message']}", markup=False)


@drafts_app.command("suggest")
def drafts_suggest(
    community: CommunityOpt,
    event: Annotated[str | None, typer.Option(help="What the pushes announce, e.g. 周四晚8点直播.")] = None,
    min_members: Annotated[int, typer.Option(help="A segment needs at least this many members.")] = 3,
    limit: Annotated[int, typer.Option(help="At most this many drafts (1-20).")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Draft pushes for the segments worth one: enough members who may receive it, and a product whose documents
    have facts for the segment's lawful angle. They wait for review like any draft; nothing is sent."""
    from agent.drafting.suggest import suggest_pushes
    from knowledge.index import get_knowledge_base

    with session() as s:
        data = suggest_pushes(
            s, CLI, get_knowledge_base(), community, event=event, min_members=min_members, limit=limit
        )
    emit(
        data,
        as_json,
        lambda d: table(
            f"suggested pushes in {community} ({len(d['suggested'])}, waiting for review)",
            ["draft", "sku", "segment", "members", "facts", "block"],
            [
                [
                    x["draft_id"],
                    x["sku"],
                    x["segment"],
                    x["members"],
                    "、".join(x["facts"]),
                    x["blocking_findings"],
                ]
                for x in d["suggested"]
            ],
        ),
    )


@drafts_app.command("create")
def drafts_create(
    kind: Annotated[str, typer.Option(help="script | chain | push")],
    sku: Annotated[str, typer.Option(help="Product sku.")],
    community: CommunityOpt,
    segment: Annotated[str | None, typer.Option(help="Audience tag id, e.g. blood_pressure.")] = None,
    event: Annotated[str | None, typer.Option(help="The event, e.g. '11月25日晚8点直播'.")] = None,
    host_name: Annotated[str | None, typer.Option("--host-name", help="Who goes live.")] = None,
    price: Annotated[str | None, typer.Option(help="接龙: group price.")] = None,
    deadline: Annotated[str | None, typer.Option(help="接龙: cut-off time.")] = None,
    pickup: Annotated[str | None, typer.Option(help="接龙: pickup point.")] = None,
    limit: Annotated[str | None, typer.Option(help="接龙: purchase limit.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft a script, 接龙 post or push for review (nothing is sent)."""
    from agent.drafting import create_draft
    from knowledge.index import get_knowledge_base

    with session() as s:
        data = create_draft(
            s,
            CLI,
            get_knowledge_base(),
            community_id=community,
            kind=kind,
            sku=sku,
            segment=segment,
            event=event,
            host=host_name,
            price=price,
            deadline=deadline,
            pickup=pickup,
            limit=limit,
        )
    emit(data, as_json, _print_draft)


@drafts_app.command("list")
def drafts_list(
    community: Annotated[str | None, typer.Option("--community", "-c")] = None,
    status: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[str | None, typer.Option()] = None,
    sku: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option(help="Page size.")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many (newest first).")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Drafts, newest first, one page, with the counts per state."""
    from community.drafts import draft_page

    with session() as s:
        data = draft_page(
            s, CLI, community_id=community, status=status, kind=kind, sku=sku, limit=limit, offset=offset
        )
    emit(
        data,
        as_json,
        lambda d: table(
            "drafts",
            ["id", "rev", "kind", "sku", "status", "block", "warn"],
            [
                [
                    x["id"],
                    x["revision"],
                    x["kind"],
                    x["sku"],
                    x["status"],
                    x["findings"]["block"],
                    x["findings"]["warn"],
                ]
                for x in d["drafts"]
            ],
        ),
    )


@drafts_app.command("show")
def drafts_show(
    draft_id: int,
    revision: Annotated[
        int | None, typer.Option(help="An earlier revision to show (default: the current one).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """One draft with its sentences, citations and findings (of its current revision, or --revision N)."""
    from community.drafts import draft_document, get_draft

    with session() as s:
        data = draft_document(s, get_draft(s, CLI, draft_id), revision)
    emit(data, as_json, _print_draft)


@drafts_app.command("approve")
def drafts_approve(
    draft_id: int,
    revision: Annotated[int, typer.Option(help="The revision you read and approve.")],
    override: Annotated[
        str | None, typer.Option(help="Written reason to override blocking findings.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve exactly one revision of a draft."""
    from community.drafts import approve

    with session() as s:
        data = approve(s, CLI, draft_id, revision, override)
    emit(data, as_json, lambda d: out.print(f"draft {d['id']} revision {d['revision']} {d['status']}"))


@drafts_app.command("reject")
def drafts_reject(
    draft_id: int, reason: Annotated[str, typer.Option(help="Why.")], as_json: JsonOpt = False
) -> None:
    """Reject a draft with a reason."""
    from community.drafts import reject

    with session() as s:
        data = reject(s, CLI, draft_id, reason)
    emit(data, as_json, lambda d: out.print(f"draft {d['id']} {d['status']}"))


def _read_text(source: str) -> str:
    return sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")


@drafts_app.command("edit")
def drafts_edit(
    draft_id: int,
    text_file: Annotated[str, typer.Option("--file", help="The new text: a file, or - for stdin.")],
    base_revision: Annotated[
        int | None, typer.Option(help="The revision you edited (refused if another one is current).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Save an edit as a new revision; every check runs again and the draft returns to review."""
    from api.services import edit_draft
    from knowledge.index import get_knowledge_base

    text = _read_text(text_file)
    with session() as s:
        data = edit_draft(s, CLI, get_knowledge_base(), draft_id, text, base_revision)
    emit(data, as_json, _print_draft)


@drafts_app.command("revise")
def drafts_revise(
    draft_id: int,
    feedback: Annotated[str, typer.Option(help="What should change (the composer gets it as instruction).")],
    revision: Annotated[int | None, typer.Option(help="The revision you read.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send back with feedback: composed again (a hand-typed draft waits for its author's edit)."""
    from api.services import revise_draft
    from knowledge.index import get_knowledge_base

    with session() as s:
        data = revise_draft(s, CLI, get_knowledge_base(), draft_id, feedback, revision)
    emit(data, as_json, _print_draft)


@drafts_app.command("schedule")
def drafts_schedule(
    draft_id: int,
    at: Annotated[str | None, typer.Option(help="ISO 8601 time (naive = UTC); default now.")] = None,
    channel: Annotated[list[str] | None, typer.Option(help="Channel name (repeatable).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Queue an approved push or 接龙 post for delivery (`linli outbox run` sends it)."""
    from datetime import datetime

    from community.outbox import schedule

    when = datetime.fromisoformat(at) if at else None
    with session() as s:
        data = schedule(s, CLI, draft_id, at=when, channels=channel or None)
    emit(
        data,
        as_json,
        lambda d: out.print(f"draft {d['id']} {d['status']}: {len(d['deliveries'])} delivery(ies)"),
    )


@drafts_app.command("recall")
def drafts_recall(
    draft_id: int, reason: Annotated[str, typer.Option(help="Why.")], as_json: JsonOpt = False
) -> None:
    """Withdraw an approved or scheduled draft; pending deliveries are cancelled."""
    from community.outbox import recall

    with session() as s:
        data = recall(s, CLI, draft_id, reason)
    emit(data, as_json, lambda d: out.print(f"draft {d['id']} {d['status']}"))


@drafts_app.command("retry")
def drafts_retry(draft_id: int, as_json: JsonOpt = False) -> None:
    """Queue a failed draft's failed deliveries again (channels that got it are never sent to twice)."""
    from community.outbox import retry

    with session() as s:
        data = retry(s, CLI, draft_id)
    emit(data, as_json, lambda d: out.print(f"draft {d['id']} {d['status']}"))


@drafts_app.command("send")
def drafts_send(
    draft_id: int,
    channel: Annotated[list[str] | None, typer.Option(help="Channel name (repeatable).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Schedule an approved push or 接龙 post now and run its deliveries (quiet hours and caps still apply)."""
    from community.drafts import draft_document, get_draft
    from community.outbox import run_due, schedule

    with session() as s:
        schedule(s, CLI, draft_id, channels=channel or None)
    summary = run_due(draft_id=draft_id)
    with session() as s:
        data = {**draft_document(s, get_draft(s, CLI, draft_id)), "outbox": summary}
    emit(
        data,
        as_json,
        lambda d: out.print(
            f"draft {d['id']} {d['status']}: "
            + ", ".join(
                f"{x['channel']} {x['status']}" + (f" ({x['last_error']})" if x["last_error"] else "")
                for x in d["deliveries"]
            )
        ),
    )


outbox_app = typer.Typer(help="Deliveries of approved pushes and 接龙 posts.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("run")
def outbox_run(as_json: JsonOpt = False) -> None:
    """Send the deliveries that are due (safe to run from cron, even twice at once)."""
    from community.outbox import run_due

    db.require_schema()
    data = run_due()
    emit(data, as_json, lambda d: out.print(", ".join(f"{k} {v}" for k, v in d.items())))


@outbox_app.command("list")
def outbox_list(
    status: Annotated[str | None, typer.Option(help="pending | sending | sent | failed | cancelled")] = None,
    draft: Annotated[int | None, typer.Option(help="Only this draft's deliveries.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Deliveries, newest first."""
    from community.outbox import list_deliveries

    with session() as s:
        data = {"deliveries": list_deliveries(s, CLI, status=status, draft_id=draft)}
    emit(
        data,
        as_json,
        lambda d: table(
            "deliveries",
            ["id", "draft", "rev", "channel", "status", "attempts", "next", "error"],
            [
                [
                    x["id"],
                    x["draft_id"],
                    x["revision"],
                    x["channel"],
                    x["status"],
                    x["attempts"],
                    x["next_attempt_at"] or "",
                    x["last_error"] or "",
                ]
                for x in d["deliveries"]
            ],
        ),
    )


@app.command("eval")
def eval_(
    live: Annotated[
        bool, typer.Option("--live", help="Also run against the configured LLM endpoint.")
    ] = False,
    only: Annotated[str | None, typer.Option(help="Run one dataset only.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run every eval dataset; exit non-zero when a metric is below its threshold."""
    from evals.runner import run_all

    report = run_all(only=only, live=live, console=None if as_json else out)
    if as_json:
        emit(report, True)
    if not report["passed"]:
        failed = [f"{m['dataset']}.{m['metric']}" for m in report["metrics"] if not m["passed"]]
        raise AppError(f"eval below threshold: {', '.join(failed)}")


def fail(reason: str, code: int = 1) -> None:
    """One line on stderr, never wrapped, then exit non-zero."""
    sys.stderr.write("error: " + " ".join(reason.split()) + "\n")
    sys.exit(code)


def main() -> None:
    try:
        app(standalone_mode=False)
    except AppError as exc:
        fail(exc.detail)
    except click.exceptions.Abort:
        fail("aborted", 130)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (ValueError, OSError) as exc:
        fail(str(exc))


if __name__ == "__main__":
    main()
