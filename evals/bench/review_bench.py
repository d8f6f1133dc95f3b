"""Review benchmark: the operator's inbox list and draft page with 20 concurrent clients against `linli serve` on
loopback, 10,000 drafts in the database; `GET /api/health` under the same load in the same run is the baseline.

    python -m evals.bench.review_bench [--drafts 10000] [--clients 20] [--requests 50] [--writes-per-s 5]

``LINLI_BENCH_DRAFTS`` and ``LINLI_BENCH_REVIEW_REQUESTS`` shrink it. The database is a fresh SQLite file under a
temporary LINLI_HOME, seeded by bulk insert: drafts in every state, one to three revisions each (the list must join
the current one), zero to four findings per revision, 90% of the drafts in the operator's community. The HTML pages
(``/inbox``, ``/drafts/{id}``) are measured too when the web pages are installed, after a real login through the
form. Each endpoint is also timed with one client alone (its own cost, no queueing), and the server's CPU share and
the machine's load average are reported, since on a shared 2-core machine other work shows in every figure. The list
pages are cached per change stamp of the drafts tables (``community.stamps``), so they are measured twice: with
reads alone, and (``*_writes``) while an operator rejects a draft through the API ``--writes-per-s`` times a second,
each write making every cached page stale. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from evals.pgserver import PostgresServer
from evals.serve import linli_serve

STATES = [
    ("in_review", 40),
    ("approved", 15),
    ("changes_requested", 5),
    ("rejected", 10),
    ("scheduled", 5),
    ("sent", 18),
    ("failed", 2),
    ("recalled", 5),
]
SENTENCES = [
    "家人们晚上好，今晚八点我们在橄榄园现场直播。",
    "这批特级初榨橄榄油的检测报告就在我手里，酸度0.2%。",
    "报告编号和批次都可以在详情页查到，欢迎对照。",
    "凉拌、蒸菜都合适，开瓶后放阴凉处。",
    "接龙今晚十点截止，明早十点南门自提。",
    "控盐的家人可以看看这款低钠酱油。",
    "有任何问题随时在群里问我们。",
]
FINDINGS = [
    ("absolute_terms", "compliance", "warn", "最好", "绝对化用语", "换成具体事实"),
    ("disease_claims", "compliance", "block", "降血压", "普通食品不得宣称疾病功效", "写钠含量"),
    ("grounding.number", "grounding", "block", "0.3%", "文档写的是 0.2%", "改为 0.2%"),
    ("privacy.name", "privacy", "info", "王阿姨", "成员昵称", None),
]


def seed(n: int, rng: random.Random) -> dict[str, Any]:
    """Bulk-insert ``n`` drafts with their revisions and findings; return the operator's token and some ids."""
    from sqlalchemy import insert
    from sqlalchemy import text as sql

    from community import db
    from community.drafts import content_hash
    from community.models import Draft, DraftRevision, Finding
    from community.principal import CLI
    from community.users import add_community, add_user

    db.migrate()
    with db.session_scope() as s:
        add_community(s, CLI, "bench", "压测社区")
        add_community(s, CLI, "elsewhere", "别家")
        _, token = add_user(s, CLI, "bench-op", "operator", ["bench"])
    weights = [w for _, w in STATES]
    names = [s for s, _ in STATES]
    start = datetime(2026, 11, 1)
    drafts, revisions, findings = [], [], []
    revision_id = 0
    for i in range(1, n + 1):
        status = rng.choices(names, weights)[0]
        count = rng.choice((1, 1, 2, 3))
        community = "bench" if rng.random() < 0.9 else "elsewhere"
        created = start + timedelta(minutes=3 * i)
        approved_hash = None
        for number in range(1, count + 1):
            revision_id += 1
            lines = rng.sample(SENTENCES, 5)
            text = "\n".join(lines)
            audience = {"scope": "group"}
            digest = content_hash(text, audience)
            revisions.append(
                {
                    "id": revision_id,
                    "draft_id": i,
                    "number": number,
                    "text": text,
                    "content_hash": digest,
                    "sentences": [
                        {"text": line, "citations": [f"oil-evoo-500-report#{k}"] if "0.2%" in line else []}
                        for k, line in enumerate(lines)
                    ],
                    "composer": "template" if number == 1 else "human",
                    "prompt_version": "script-v1",
                    "model": None,
                    "ai_generated": True,
                    "audience": audience,
                    "trace": {"retrieved": []},
                    "parent_revision": number - 1 or None,
                    "edited_by": "bench-op" if number > 1 else None,
                    "feedback": None,
                    "created_at": created,
                }
            )
            for rule, category, severity, snippet, message, suggestion in rng.sample(
                FINDINGS, rng.randint(0, 4)
            ):
                findings.append(
                    {
                        "revision_id": revision_id,
                        "rule": rule,
                        "category": category,
                        "severity": severity,
                        "start": 3,
                        "end": 3 + len(snippet),
                        "text": snippet,
                        "message": message,
                        "suggestion": suggestion,
                    }
                )
            approved_hash = digest
        reviewed = status not in ("in_review", "changes_requested", "rejected")
        drafts.append(
            {
                "id": i,
                "community_id": community,
                "kind": rng.choice(("script", "chain", "push")),
                "sku": rng.choice(("OIL-EVOO-500", "SOY-LOWNA-500", "RICE-INF-225", "OAT-WHOLE-1KG")),
                "segment": None,
                "event": "周四晚8点直播",
                "status": status,
                "current_revision": count,
                "version": count + (1 if status != "in_review" else 0),
                "approved_revision": count if reviewed else None,
                "approved_hash": approved_hash if reviewed else None,
                "created_by": None,
                "created_at": created,
                "updated_at": created,
            }
        )
    started = time.perf_counter()
    with db.get_engine().begin() as conn:
        conn.execute(insert(Draft), drafts)
        conn.execute(insert(DraftRevision), revisions)
        conn.execute(insert(Finding), findings)
        if (
            conn.dialect.name == "postgresql"
        ):  # explicit ids leave the sequences behind: move them past the rows
            for table in ("drafts", "draft_revisions", "findings"):
                conn.execute(
                    sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
    seconds = time.perf_counter() - started
    visible = [d["id"] for d in drafts if d["community_id"] == "bench"]
    db.reset_engine()
    return {
        "token": token,
        "visible": visible,
        "revisions": len(revisions),
        "findings": len(findings),
        "seed_s": seconds,
    }


def login(client: httpx.Client, token: str) -> bool:
    """Log in through the web form (CSRF token from the page); False when the web pages are not installed."""
    page = client.get("/login")
    if page.status_code == 404:
        return False
    match = re.search(r'name="csrf"\s+value="([^"]+)"', page.text)
    if match is None:
        raise RuntimeError("the login page has no csrf field")
    done = client.post("/login", data={"token": token, "csrf": match.group(1), "next": "/inbox"})
    if done.status_code not in (200, 303) or "linli_session" not in client.cookies:
        raise RuntimeError(f"login failed: HTTP {done.status_code}")
    return True


class Writer(threading.Thread):
    """An operator rejecting one in-review draft every ``interval`` seconds through the API while the readers run:
    every write moves the drafts' change stamp, so the inbox's cached pages are computed afresh after each one."""

    def __init__(self, base: str, token: str, ids: list[int], interval: float) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.ids, self.interval = base, token, ids, interval
        self.stop = threading.Event()
        self.latencies: list[float] = []
        self.errors = 0

    def run(self) -> None:
        port = int(self.base.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        body = json.dumps({"reason": "压测：模拟运营驳回"}).encode()
        while not self.stop.wait(self.interval) and self.ids:
            draft_id = self.ids.pop()
            t = time.perf_counter()
            try:
                conn.request("POST", f"/api/drafts/{draft_id}/reject", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                self.errors += response.status != 200
            except (OSError, http.client.HTTPException):
                self.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            self.latencies.append((time.perf_counter() - t) * 1000)
        conn.close()


def in_review_ids(base: str, token: str) -> list[int]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        page = client.get("/api/drafts", params={"status": "in_review", "limit": 500})
        page.raise_for_status()
        return [d["id"] for d in page.json()["drafts"]]


def load(
    base: str, token: str, paths: list[str], clients: int, requests: int, html: bool
) -> tuple[list[float], int, float]:
    """``clients`` threads, each with its own keep-alive connection, each sending ``requests`` requests; latencies
    in ms. The requests go through the standard library's ``http.client``, which costs the client far less CPU
    than httpx: on a 2-core machine the load generator's own work would otherwise show in the server's figures."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    barrier = threading.Barrier(clients)
    port = int(base.rsplit(":", 1)[1])

    def client_thread(k: int) -> None:
        nonlocal errors
        rng = random.Random(k)
        if html:
            with httpx.Client(base_url=base, timeout=30) as browser:
                login(browser, token)
                headers = {"Cookie": f"linli_session={browser.cookies['linli_session']}"}
        else:
            headers = {"Authorization": f"Bearer {token}"}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        barrier.wait()
        for _ in range(requests):
            path = rng.choice(paths)
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):  # a timeout or a dropped connection is an error
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append((time.perf_counter() - t) * 1000)
            bad += not ok
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client_thread, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), to tell a saturated server from a slow client."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # the server and its worker processes (linli serve --workers N forks them)
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def summary(latencies: list[float], errors: int, seconds: float, server_cpu: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "server_cpu_share": server_cpu / seconds,
        "requests": len(ordered),
        "errors": errors,
        "p50_ms": statistics.median(ordered),
        "p95_ms": ordered[max(0, int(len(ordered) * 0.95) - 1)],
        "max_ms": ordered[-1],
        "per_s": len(ordered) / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drafts", type=int, default=int(os.environ.get("LINLI_BENCH_DRAFTS", "10000")))
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("LINLI_BENCH_SERVE_WORKERS", str(os.cpu_count() or 1))),
        help="linli serve --workers (default: one per core)",
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=int(os.environ.get("LINLI_BENCH_REVIEW_REQUESTS", "50")),
        help="per client",
    )
    parser.add_argument(
        "--writes-per-s",
        type=float,
        default=5.0,
        help="operator writes per second during the *_writes phases (a desk sees 30-50 reviews a day)",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default=os.environ.get("LINLI_BENCH_DATABASE", "sqlite"),
        help="sqlite (the default install) or a throwaway local PostgreSQL cluster (evals/pgserver.py)",
    )
    args = parser.parse_args()
    rng = random.Random(7)
    load_before = os.getloadavg()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="linli-rbench-"))
        if args.database == "postgresql":
            os.environ["LINLI_DATABASE_URL"] = stack.enter_context(PostgresServer()).database()
        else:
            os.environ.pop("LINLI_DATABASE_URL", None)
        os.environ["LINLI_HOME"] = str(Path(tmp) / "home")
        os.environ["LINLI_EMBEDDING_CACHE"] = str(Path(tmp) / "vectors.sqlite")
        from settings import reset_settings

        reset_settings()
        seeded = seed(args.drafts, rng)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_LLM_")}
        with linli_serve(env, workers=args.workers, timeout=120) as served:
            base, server = served.base, served.process
            visible = seeded["visible"]
            ids = rng.sample(visible, min(200, len(visible)))
            pages = max(1, min(20, len(visible) // 50))
            list_paths = (
                ["/api/drafts"] * 4
                + ["/api/drafts?status=in_review", "/api/drafts?status=approved&kind=push"] * 2
                + [f"/api/drafts?offset={50 * p}" for p in range(1, pages)]
            )
            with httpx.Client(base_url=base) as probe:
                html = login(probe, seeded["token"])
            phases: dict[str, list[str]] = {
                "health": ["/api/health"],
                "api_list": list_paths,
                "api_draft": [f"/api/drafts/{i}" for i in ids],
            }
            if html:
                phases["html_inbox"] = [p.replace("/api/drafts", "/inbox") for p in list_paths]
                phases["html_draft"] = [f"/drafts/{i}" for i in ids]
            # the list pages once more while an operator writes: the cached pages are recomputed after each write
            phases["api_list_writes"] = phases["api_list"]
            if html:
                phases["html_inbox_writes"] = phases["html_inbox"]
            to_reject = in_review_ids(base, seeded["token"])
            results: dict[str, Any] = {}
            for name, paths in phases.items():
                is_html = name.startswith("html")
                load(base, seeded["token"], paths, args.clients, 3, is_html)  # warm-up
                writer = None
                if name.endswith("_writes"):
                    writer = Writer(base, seeded["token"], to_reject, 1 / args.writes_per_s)
                    writer.start()
                before = cpu_seconds(server.pid)
                measured = load(base, seeded["token"], paths, args.clients, args.requests, is_html)
                results[name] = summary(*measured, cpu_seconds(server.pid) - before)
                if writer is not None:
                    writer.stop.set()
                    writer.join()
                    results[name]["writes"] = len(writer.latencies)
                    results[name]["write_errors"] = writer.errors
                    results[name]["write_p50_ms"] = (
                        statistics.median(writer.latencies) if writer.latencies else None
                    )
                    continue
                # one client alone: the request's own cost, without queueing behind the 19 others
                alone = sorted(load(base, seeded["token"], paths, 1, max(10, args.requests), is_html)[0])
                results[name]["alone_p50_ms"] = statistics.median(alone)
    print(
        json.dumps(
            {
                "drafts": args.drafts,
                "database": args.database,
                "revisions": seeded["revisions"],
                "findings": seeded["findings"],
                "visible_to_operator": len(seeded["visible"]),
                "seed_s": seeded["seed_s"],
                "clients": args.clients,
                "workers": args.workers,
                "requests_per_client": args.requests,
                "writes_per_s": args.writes_per_s,
                "html_pages": html,
                # the machine's 1-minute load average before and after: other work on a shared box shows here
                "load_average": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
                "cpus": os.cpu_count(),
                "endpoints": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
