"""The web pages for hosts and operators: server-rendered Jinja2, thin routes over the JSON API's services.

Every page needs a logged-in web session (``session.py``); every POST form carries the session's CSRF token and is
refused without it. Routes parse the form, call the same service the JSON API calls, and redirect back to a page
(post/redirect/get), so a reload never repeats an action.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy import delete
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from agent.drafting import create_draft, submit_text
from agent.taxonomy import taxonomy
from api import services
from api.deps import KnowledgeDep, get_kb
from api.web import session as web_session
from api.web import views
from community import audit, documents, drafts, members, outbox, review, stamps
from community import chains as chain_store
from community.db import session_scope
from community.errors import AppError, Forbidden, InvalidInput, NotFound, Unauthorized
from community.models import WebLogout
from community.principal import Principal
from community.users import hash_token, list_communities, principal_for_token, principal_for_token_hash
from knowledge.index import Hit, KnowledgeBase
from settings import get_settings

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(
    STATUS=views.STATUS_LABELS,
    KIND=views.KIND_LABELS,
    SEVERITY=views.SEVERITY_LABELS,
    DOC_TYPE=views.DOC_TYPE_LABELS,
    ROLE=views.ROLE_LABELS,
    CONSENT=views.CONSENT_LABELS,
    TAG_STATUS=views.TAG_STATUS_LABELS,
    FLAG=views.FLAG_LABELS,
    ACTION=views.ACTION_LABELS,
    REVIEW=views.REVIEW_LABELS,
    DELIVERY=views.DELIVERY_LABELS,
    source_blocks=views.source_blocks,
    tag_name=lambda tag: taxonomy().tags[tag].name if tag in taxonomy().tags else tag,
)
templates.env.filters["short"] = views.short_hash
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True
templates.env.auto_reload = False  # templates ship with the package: no stat() per page

router = APIRouter(include_in_schema=False)
INBOX_PAGE = drafts.DEFAULT_PAGE  # as the JSON API: one screen of drafts, the rest a page away
# the same limits as the JSON API's DraftCreate
FIELD_LIMITS = {"event": 300, "host": 100, "price": 100, "deadline": 100, "pickup": 200, "limit": 100}


class LoginRequired(Unauthorized):
    """No valid web session: pages redirect to the login form."""


class CsrfRefused(Forbidden):
    error = "csrf"


def get_session() -> Iterator[Session]:
    # scope="function" (below): the unit of work commits before the response leaves, so the page a redirect
    # leads to already sees what the POST changed.
    with session_scope() as session:
        yield session


PageSession = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class WebUser:
    principal: Principal
    session: web_session.WebSession


def get_web_user(request: Request, session: PageSession) -> WebUser:
    ws = web_session.read(request)
    if ws is None or ws.token_hash is None:
        raise LoginRequired("请先登录")
    if session.get(WebLogout, ws.session_id) is not None:
        raise LoginRequired("已退出登录，请重新登录")
    try:
        principal = principal_for_token_hash(session, ws.token_hash)
    except Unauthorized as exc:
        raise LoginRequired("登录已失效（令牌已吊销），请重新登录") from exc
    return WebUser(principal, ws)


PageUser = Annotated[WebUser, Depends(get_web_user)]


def get_form_user(user: PageUser, csrf: Annotated[str, Form()] = "") -> WebUser:
    """The caller of a POST form, once the form's CSRF token matches the session's."""
    if not user.session.csrf_ok(csrf):
        raise CsrfRefused("表单缺少或带有错误的 CSRF 令牌，请刷新页面后重试")
    return user


FormUser = Annotated[WebUser, Depends(get_form_user)]


# Pages load only this site's own CSS and script (no inline script or style), may not be framed, and are not
# kept in a shared device's cache: they show members' messages and drafts under review.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def render(
    request: Request, name: str, user: WebUser | None, status_code: int = 200, **context: Any
) -> Response:
    csrf = user.session.csrf if user else None
    principal = user.principal if user else None
    response = templates.TemplateResponse(
        request,
        name,
        {"me": principal, "csrf": csrf, "path": request.url.path, **context},
        status_code=status_code,
    )
    response.headers.update(PAGE_HEADERS)
    return response


def back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def communities_of(session: Session, principal: Principal) -> list[str]:
    if principal.communities is None:
        return [c["id"] for c in list_communities(session)]
    return sorted(principal.communities)


def pick_community(session: Session, principal: Principal, wanted: str | None) -> str:
    """The community a page is about: the one asked for (if the caller may see it), else the caller's first."""
    if wanted:
        principal.require_community(wanted)
        return wanted
    mine = communities_of(session, principal)
    if not mine:
        raise NotFound("没有可访问的社区")
    return mine[0]


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (never //host or a scheme) may be a post-login destination."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


# ---- login -------------------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    ws = web_session.read(request)
    fresh = ws is None
    if ws is None:
        ws = web_session.WebSession.fresh()
    response = render(request, "login.html", None, csrf_login=ws.csrf, next=safe_next(next) or "", error=None)
    if fresh:
        web_session.write(request, response, ws)
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: PageSession,
    token: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    ws = web_session.read(request)
    if ws is None or not ws.csrf_ok(csrf):
        raise CsrfRefused("登录表单已过期或缺少 CSRF 令牌，请重新打开登录页")
    try:
        principal = principal_for_token(session, token.strip())
    except Unauthorized:
        return render(
            request,
            "login.html",
            None,
            status_code=401,
            csrf_login=ws.csrf,
            next=safe_next(next) or "",
            error="令牌无效或已吊销",
        )
    # a new session (new CSRF token) on login, so a token planted before login is worthless after it
    fresh = web_session.WebSession.fresh(hash_token(token.strip()))
    response = back(safe_next(next) or ("/host" if principal.role == "host" else "/inbox"))
    web_session.write(request, response, fresh)
    return response


@router.post("/logout")
def logout(request: Request, user: FormUser, session: PageSession) -> Response:
    """Ends the session for good: the cookie is deleted and the session refused server-side until it would have
    expired, so a copy of the cookie is worthless too. Logouts past their expiry are purged on the way."""
    now = datetime.now(UTC).replace(tzinfo=None)
    session.execute(delete(WebLogout).where(WebLogout.expires_at < now))
    if session.get(WebLogout, user.session.session_id) is None:
        expires = datetime.fromtimestamp(user.session.expires_at, UTC).replace(tzinfo=None)
        session.add(WebLogout(session_id=user.session.session_id, logged_out_at=now, expires_at=expires))
    response = back("/login")
    web_session.clear(request, response)
    return response


# ---- operator inbox ----------------------------------------------------------------------------------------


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(
    request: Request,
    status: str | None = None,
    kind: str | None = None,
    sku: str | None = None,
    community: str | None = None,
    offset: int = 0,
) -> Response:
    """The operator's list. The whole page (session, query, rendering) is one trip to the thread pool: with 20
    busy clients on two cores, the hops between sync dependencies cost more than the page's own work."""
    return await run_in_threadpool(_inbox, request, status, kind, sku, community, offset)


def _inbox(
    request: Request,
    status: str | None,
    kind: str | None,
    sku: str | None,
    community: str | None,
    offset: int,
) -> Response:
    with session_scope() as session:
        user = get_web_user(request, session)
        return _inbox_page(request, session, user, status, kind, sku, community, offset)


def _inbox_page(
    request: Request,
    session: Session,
    user: WebUser,
    status: str | None,
    kind: str | None,
    sku: str | None,
    community: str | None,
    offset: int,
) -> Response:
    p = user.principal
    key, page = drafts.draft_page_keyed(
        session,
        p,
        community_id=community or None,
        status=status or None,
        kind=kind or None,
        sku=sku or None,
        limit=INBOX_PAGE,
        offset=max(offset, 0),
    )
    filters = {"status": status or "", "kind": kind or "", "sku": sku or "", "community": community or ""}
    can_review = p.role in ("operator", "admin")
    return render(
        request,
        "inbox.html",
        user,
        page=page,
        rows_html=inbox_rows(key, page["drafts"], can_review),
        drafts=page["drafts"],
        counts=page["counts"],
        total=sum(page["counts"].values()),
        filters=filters,
        skus=[x["sku"] for x in _products(session, p, community or None)],
        communities=communities_of(session, p),
        can_review=can_review,
    )


_rows_cache: stamps.StampedCache[Markup] = stamps.StampedCache(256)


def inbox_rows(key: tuple[Any, ...], rows: list[dict[str, Any]], can_review: bool) -> Markup:
    """The inbox's table rows, most of a list page's rendering, rendered once per page of drafts: ``key`` is the
    page's from :func:`community.drafts.draft_page_keyed` (the drafts tables' change stamp, scope, filters), so
    any change to a listed draft (state, revision, findings) renders them afresh."""
    return _rows_cache.get(
        (key, can_review),
        lambda: Markup(templates.get_template("inbox_rows.html").render(drafts=rows, can_review=can_review)),
    )


@router.post("/inbox/approve", response_class=HTMLResponse)
def approve_selected(
    request: Request,
    session: PageSession,
    user: FormUser,
    items: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Batch approval of the ticked rows; each value is ``id:revision`` as the list showed it, and each item
    stands or fails alone (a stale revision fails, the others pass)."""
    parsed = []
    for value in items or []:
        draft_id, _, revision = value.partition(":")
        if not (draft_id.isdigit() and revision.isdigit()):
            raise InvalidInput(f"items: {value!r} is not id:revision")
        parsed.append({"id": int(draft_id), "revision": int(revision)})
    if not parsed:
        raise InvalidInput("请至少勾选一条草稿")
    result = review.approve_batch(session, user.principal, parsed)
    return render(request, "batch.html", user, result=result)


@router.post("/inbox/suggest", response_class=HTMLResponse)
def suggest_pushes_page(
    request: Request,
    session: PageSession,
    user: FormUser,
    kb: KnowledgeDep,
    community_id: Annotated[str, Form()] = "",
    event: Annotated[str, Form()] = "",
    min_members: Annotated[int, Form()] = 3,
) -> Response:
    """Suggested pushes for the segments worth one, drafted into the inbox (nothing is sent)."""
    from agent.drafting.suggest import suggest_pushes

    community = pick_community(session, user.principal, community_id or None)
    result = suggest_pushes(
        session, user.principal, kb, community, event=event.strip() or None, min_members=min_members
    )
    return render(
        request,
        "suggested.html",
        user,
        result=result,
        tag_names=_tag_names(),
        products=_product_titles(session),
        WHY={
            "too_few_members": "人数不足",
            "no_product_for_angle": "没有商品的资料写明这一人群可以核实的事实",
            "no_product_stands_out": "几款商品都合适，成员的接龙记录分不出哪款更相关",
            "push_open_or_sent": "已有同类推送在审核、待发或本周已发",
            "limit_reached": "已达本次上限",
        },
    )


def _product_titles(session: Session) -> dict[str, str]:
    return {
        d["sku"]: d["title"].removesuffix("产品资料").strip()
        for d in documents.list_documents(session)
        if d["doc_type"] == "product"
    }


# ---- one draft ---------------------------------------------------------------------------------------------


def _channels(community_id: str) -> list[str]:
    """The delivery channels configured for a community (LINLI_OUTBOX_CHANNELS)."""
    return sorted(n for n, c in get_settings().outbox_channels.items() if c.community == community_id)


def _chunks(kb: KnowledgeDep, chunk_ids: list[str]) -> dict[str, Hit]:
    return {h.chunk_id: h for h in kb.get_chunks(chunk_ids)}


@router.get("/drafts/{draft_id}", response_class=HTMLResponse)
async def draft_page(
    request: Request, draft_id: int, done: str | None = None, revision: int | None = None
) -> Response:
    """A draft with its citations and findings; one trip to the thread pool, as the inbox."""
    return await run_in_threadpool(_draft, request, draft_id, done, revision)


def _draft(request: Request, draft_id: int, done: str | None, revision: int | None) -> Response:
    with session_scope() as session:
        user = get_web_user(request, session)
        return _draft_page(request, session, user, get_kb(request), draft_id, done, revision)


def _draft_page(
    request: Request,
    session: Session,
    user: WebUser,
    kb: KnowledgeBase,
    draft_id: int,
    done: str | None,
    revision: int | None,
) -> Response:
    doc = drafts.draft_document(session, drafts.get_draft(session, user.principal, draft_id), revision)
    rows, cited, unplaced = views.draft_rows(doc)
    return render(
        request,
        "draft.html",
        user,
        d=doc,
        rows=rows,
        cited=cited,
        chunks=_chunks(kb, [*cited, *(c for f in doc["findings"] for c in f.get("rewrite_citations") or [])]),
        unplaced=unplaced,
        blocking=sum(1 for f in doc["findings"] if f["severity"] == "block"),
        can_review=user.principal.role in ("operator", "admin"),
        done=done,
        channels=_channels(doc["community_id"]),
        utc_offset=get_settings().outbox_utc_offset_hours,
    )


@router.get("/drafts/{draft_id}/chunks/{chunk_id}", response_class=HTMLResponse)
def cited_chunk(
    request: Request, draft_id: int, chunk_id: str, session: PageSession, user: PageUser, kb: KnowledgeDep
) -> Response:
    """A source paragraph the draft cites, with its document, batch and validity (only chunks this draft cites)."""
    doc = drafts.draft_document(session, drafts.get_draft(session, user.principal, draft_id))
    citing = [s for s in doc["sentences"] if chunk_id in (s.get("citations") or [])]
    found = _chunks(kb, [chunk_id]) if citing else {}
    if chunk_id not in found:
        raise NotFound(f"草稿 {draft_id} 没有引用片段 {chunk_id}")
    return render(request, "chunk.html", user, d=doc, chunk=found[chunk_id], citing=citing)


@router.get("/drafts/{draft_id}/print", response_class=HTMLResponse)
def print_view(
    request: Request, draft_id: int, session: PageSession, user: PageUser, kb: KnowledgeDep
) -> Response:
    """The script as a host takes it to the live room: the text, then one evidence card per cited paragraph."""
    doc = drafts.draft_document(session, drafts.get_draft(session, user.principal, draft_id))
    rows, cited, _ = views.draft_rows(doc)
    return render(request, "print.html", user, d=doc, rows=rows, cited=cited, chunks=_chunks(kb, cited))


@router.post("/drafts/{draft_id}/approve")
def approve(
    draft_id: int,
    session: PageSession,
    user: FormUser,
    revision: Annotated[int, Form()],
    override_reason: Annotated[str, Form()] = "",
) -> Response:
    review.approve(session, user.principal, draft_id, revision, override_reason.strip() or None)
    return back(f"/drafts/{draft_id}?done=approve")


@router.post("/drafts/{draft_id}/revisions")
def edit(
    draft_id: int,
    session: PageSession,
    user: FormUser,
    kb: KnowledgeDep,
    text: Annotated[str, Form()],
    revision: Annotated[int, Form()],
) -> Response:
    """The edit box: a new revision of what the editor read (``revision``), checked again, back in review."""
    services.edit_draft(session, user.principal, kb, draft_id, text.replace("\r\n", "\n"), revision)
    return back(f"/drafts/{draft_id}?done=edit")


@router.post("/drafts/{draft_id}/revise")
def revise(
    draft_id: int,
    session: PageSession,
    user: FormUser,
    kb: KnowledgeDep,
    feedback: Annotated[str, Form()] = "",
    revision: Annotated[int | None, Form()] = None,
) -> Response:
    services.revise_draft(session, user.principal, kb, draft_id, feedback, revision)
    return back(f"/drafts/{draft_id}?done=revise")


@router.post("/drafts/{draft_id}/schedule")
def schedule(
    draft_id: int,
    session: PageSession,
    user: FormUser,
    at: Annotated[str, Form()] = "",
    channels: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Queue the approved revision for delivery; ``at`` is the groups' local time (``datetime-local``)."""
    when = None
    if at.strip():
        try:
            local = datetime.fromisoformat(at.strip())
        except ValueError as exc:
            raise InvalidInput(f"at: {at!r} is not a date and time") from exc
        when = local - timedelta(hours=get_settings().outbox_utc_offset_hours)
    outbox.schedule(session, user.principal, draft_id, at=when, channels=channels or None)
    return back(f"/drafts/{draft_id}?done=schedule")


@router.post("/drafts/{draft_id}/recall")
def recall(
    draft_id: int, session: PageSession, user: FormUser, reason: Annotated[str, Form()] = ""
) -> Response:
    outbox.recall(session, user.principal, draft_id, reason)
    return back(f"/drafts/{draft_id}?done=recall")


@router.post("/drafts/{draft_id}/retry")
def retry(draft_id: int, session: PageSession, user: FormUser) -> Response:
    outbox.retry(session, user.principal, draft_id)
    return back(f"/drafts/{draft_id}?done=retry")


@router.post("/drafts/{draft_id}/reject")
def reject(
    draft_id: int, session: PageSession, user: FormUser, reason: Annotated[str, Form()] = ""
) -> Response:
    review.reject(session, user.principal, draft_id, reason)
    return back(f"/drafts/{draft_id}?done=reject")


# ---- host: ask for a script --------------------------------------------------------------------------------


_products_cache: stamps.StampedCache[list[dict[str, Any]]] = stamps.StampedCache(8)


def _products(
    session: Session, principal: Principal, community_id: str | None = None
) -> list[dict[str, str]]:
    """Products a draft can be asked for: one entry per sku, named by its product sheet's title, among the
    documents shared by every community or belonging to ``community_id`` (default: any the caller may see).
    The registry is read once per change of the documents."""

    def compute() -> list[dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for d in documents.list_documents(session):
            if d["sku"] == "ALL":
                continue
            entry = out.setdefault(d["sku"], {"sku": d["sku"], "title": "", "communities": set()})
            if d["doc_type"] == "product" or not entry["title"]:
                entry["title"] = d["title"].removesuffix("产品资料").strip()
            entry["communities"].add(d["community_id"])
        return [out[sku] for sku in sorted(out)]

    def visible(communities: set[str | None]) -> bool:
        if None in communities:
            return True
        if community_id:
            return community_id in communities
        return any(principal.can_see(c) for c in communities if c)

    return [
        {"sku": p["sku"], "title": p["title"]}
        for p in _products_cache.get(stamps.read(session, "documents"), compute)
        if visible(p["communities"])
    ]


@router.get("/host", response_class=HTMLResponse)
def host_page(
    request: Request, session: PageSession, user: PageUser, community: str | None = None
) -> Response:
    p = user.principal
    community_id = pick_community(session, p, community)
    recent = drafts.list_drafts(session, p, community_id=community_id)[:20]
    sizes = members.segment_sizes(session, community_id, taxonomy().sensitive_ids)
    tags = [{"id": t.id, "name": t.name, "reach": sizes.get(t.id, 0)} for t in taxonomy().tags.values()]
    return render(
        request,
        "host.html",
        user,
        community_id=community_id,
        communities=communities_of(session, p),
        products=_products(session, p, community_id),
        tags=tags,
        recent=recent,
    )


@router.post("/host/drafts")
def ask_for_draft(
    session: PageSession,
    user: FormUser,
    kb: KnowledgeDep,
    community_id: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    sku: Annotated[str, Form()],
    segment: Annotated[str, Form()] = "",
    event: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    host: Annotated[str, Form()] = "",
    price: Annotated[str, Form()] = "",
    deadline: Annotated[str, Form()] = "",
    pickup: Annotated[str, Form()] = "",
    limit: Annotated[str, Form()] = "",
) -> Response:
    """Compose a draft for review, or (with ``text``) queue a script the host typed; both run every check."""
    details = {"host": host, "price": price, "deadline": deadline, "pickup": pickup, "limit": limit}
    for name, value in {"event": event, **details}.items():
        if len(value) > FIELD_LIMITS[name]:
            raise InvalidInput(f"{name}: 最多 {FIELD_LIMITS[name]} 字")
    if text.strip():
        doc = submit_text(
            session,
            user.principal,
            kb,
            community_id=community_id,
            kind=kind,
            sku=sku,
            text=text,
            event=event or None,
            segment=segment or None,
        )
    else:
        doc = create_draft(
            session,
            user.principal,
            kb,
            community_id=community_id,
            kind=kind,
            sku=sku,
            segment=segment or None,
            event=event or None,
            **{k: v.strip() or None for k, v in details.items()},
        )
    return back(f"/drafts/{doc['id']}?done=create")


# ---- members -----------------------------------------------------------------------------------------------


def _tag_names() -> dict[str, str]:
    return {t.id: t.name for t in taxonomy().tags.values()}


MEMBERS_PER_PAGE = 50


@router.get("/members", response_class=HTMLResponse)
def members_page(
    request: Request,
    session: PageSession,
    user: PageUser,
    community: str | None = None,
    tag: str | None = None,
    consent: str | None = None,
    q: str | None = None,
    offset: int = 0,
) -> Response:
    """Members, 50 a page, filtered by tag, consent and name; the tag chips count each segment's members."""
    p = user.principal
    community_id = pick_community(session, p, community)
    names = _tag_names()
    found = members.find_members(
        session,
        p,
        community_id,
        tag=tag or None,
        consent=consent or None,
        search=q,
        limit=MEMBERS_PER_PAGE,
        offset=max(offset, 0),
        known_tags=frozenset(names),
    )
    shown = max(offset, 0) + len(found["members"])
    return render(
        request,
        "members.html",
        user,
        community_id=community_id,
        communities=communities_of(session, p),
        people=found["members"],
        total=found["total"],
        tag_counts=found["tag_counts"],
        page={
            "offset": max(offset, 0),
            "limit": MEMBERS_PER_PAGE,
            "next_offset": shown if shown < found["total"] else None,
        },
        filters={"community": community or "", "tag": tag or "", "consent": consent or "", "q": q or ""},
        twins={i: g for g in members.possible_duplicates(session, p, community_id) for i in g},
        tag_names=names,
    )


# ---- 接龙 --------------------------------------------------------------------------------------------------


@router.get("/chains", response_class=HTMLResponse)
def chains_page(
    request: Request, session: PageSession, user: PageUser, community: str | None = None
) -> Response:
    """Each 接龙's latest post as the group continued it: who ordered how many, the totals, a pick list to
    download."""
    p = user.principal
    community_id = pick_community(session, p, community)
    return render(
        request,
        "chains.html",
        user,
        community_id=community_id,
        communities=communities_of(session, p),
        chains=chain_store.list_chains(session, p, community_id),
        qty=chain_store.quantity_text,
    )


@router.get("/chains/{chain}.csv")
def chain_pick_list(
    chain: str, session: PageSession, user: PageUser, community: str | None = None
) -> Response:
    """One 接龙 as a CSV pick list (配货单) for the pickup point."""
    community_id = pick_community(session, user.principal, community)
    found, text = chain_store.chain_csv(session, user.principal, community_id, chain)
    name = f"接龙-{found['title']}-{found['posted_at'][:10]}.csv"
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            **PAGE_HEADERS,
            "Content-Disposition": f"attachment; filename=\"chain.csv\"; filename*=UTF-8''{quote(name)}",
        },
    )


@router.get("/members/{member_id}", response_class=HTMLResponse)
def member_page(
    request: Request,
    member_id: int,
    session: PageSession,
    user: PageUser,
    original: bool = False,
    done: str | None = None,
) -> Response:
    """A member's tags with the messages behind them: pseudonymised text; the text as sent only when an operator
    or admin asks for it (``?original=1``)."""
    p = user.principal
    member = members.get_member(session, p, member_id)
    summary = members.member_summary(session, member)
    evidence = {mid for t in summary["tags"] for mid in t["evidence"]}
    show_original = original and p.role in ("operator", "admin")
    messages = {
        m["message_id"]: m
        for m in members.member_messages(session, p, member.community_id, member.id, original=show_original)
        if m["message_id"] in evidence
    }
    return render(
        request,
        "member.html",
        user,
        m=summary,
        messages=messages,
        consent=members.consent_history(session, member.id),
        tag_names=_tag_names(),
        show_original=show_original,
        can_review=p.role in ("operator", "admin"),
        erased=member.erased_at is not None,
        done=done,
        notices={
            "consent": "已记录健康信息同意，写入审计日志；下次推断标签时生效。",
            "forget": "已删除该成员的消息、标签、依据和同意记录，只留下不含个人信息的删除记录。",
        },
        twins=[
            members.member_summary(session, members.get_member(session, p, i))
            for g in members.possible_duplicates(session, p, member.community_id)
            if member.id in g
            for i in g
            if i != member.id
        ],
    )


@router.post("/members/{member_id}/tags/{tag}")
def label_tag(
    member_id: int, tag: str, session: PageSession, user: FormUser, status: Annotated[str, Form()]
) -> Response:
    services.label_tag(session, user.principal, member_id, tag, status)
    return back(f"/members/{member_id}")


@router.post("/members/{member_id}/staff")
def mark_staff(
    member_id: int, session: PageSession, user: FormUser, staff: Annotated[str, Form()]
) -> Response:
    members.set_staff(session, user.principal, member_id, None, staff == "true")
    return back(f"/members/{member_id}")


@router.post("/members/{member_id}/consent")
def record_consent(
    member_id: int,
    session: PageSession,
    user: FormUser,
    health: Annotated[str, Form()],
    source: Annotated[str, Form()] = "",
) -> Response:
    """An operator records the member's health consent and where it was given (群内回复, 小程序表单 …)."""
    member = members.get_member(session, user.principal, member_id)
    user.principal.require_reviewer()
    services.set_health_consent(
        session, user.principal, member.id, member.community_id, health, source=source.strip() or "operator"
    )
    return back(f"/members/{member_id}?done=consent")


@router.post("/members/{member_id}/forget")
def forget_member(
    member_id: int, session: PageSession, user: FormUser, confirm_name: Annotated[str, Form()] = ""
) -> Response:
    """Erasure on the member's request (PIPL Art. 47), confirmed by typing the member's name."""
    member = members.get_member(session, user.principal, member_id)
    user.principal.require_reviewer()
    if member.erased_at is not None:
        raise InvalidInput(f"member {member_id} is already erased")
    if confirm_name.strip() != member.display_name:
        raise InvalidInput("confirm_name: 请输入该成员的昵称以确认删除")
    members.forget_member(session, user.principal, member.id, member.community_id)
    return back(f"/members/{member_id}?done=forget")


@router.post("/members/{member_id}/merge")
def merge_member(
    member_id: int, session: PageSession, user: FormUser, other: Annotated[int, Form()]
) -> Response:
    services.merge_members(session, user.principal, member_id, other)
    return back(f"/members/{member_id}")


# ---- audit -------------------------------------------------------------------------------------------------


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, session: PageSession, user: PageUser, community: str | None = None
) -> Response:
    events = audit.list_events(session, user.principal, community_id=community or None, limit=300)
    return render(request, "audit.html", user, events=events, community=community or "")


# ---- errors ------------------------------------------------------------------------------------------------

ERROR_TITLES = {401: "需要登录", 403: "没有权限", 404: "没有找到", 409: "状态冲突", 422: "输入有误"}


def error_page(request: Request, status_code: int, detail: str) -> Response:
    """An error as a page (the JSON API renders the same errors as ``{"error", "detail"}``)."""
    if status_code == 401 and request.method == "GET":
        return back(
            f"/login?next={quote(request.url.path + ('?' + request.url.query if request.url.query else ''))}"
        )
    ws = web_session.read(request)
    user = None
    if ws is not None and ws.token_hash is not None:
        try:
            with session_scope() as s:
                user = WebUser(principal_for_token_hash(s, ws.token_hash), ws)
        except AppError:
            user = None
    return render(
        request,
        "error.html",
        user,
        status_code=status_code,
        title=ERROR_TITLES.get(status_code, "出错了"),
        detail=detail,
        referer=safe_next(_local_referer(request)),
    )


def _local_referer(request: Request) -> str | None:
    referer = request.headers.get("referer", "")
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return referer[len(origin) :] if referer.startswith(origin + "/") else None


def is_page(request: Request) -> bool:
    """Whether a request is for a web page (its errors render as HTML) rather than the JSON API."""
    path = request.url.path
    return not (path.startswith("/api/") or path in ("/openapi.json", "/docs", "/redoc"))
