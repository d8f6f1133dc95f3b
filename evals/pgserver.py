"""A throwaway PostgreSQL server for the tests and benchmarks that run on both databases.

``PostgresServer`` runs Debian's ``initdb`` and ``pg_ctl`` (installed by ``scripts/install-postgres.sh``) on a fresh
cluster in a temporary folder, listening only on a unix socket there (no TCP port is opened), with trust
authentication for its one superuser. ``database()`` creates an empty database and returns its SQLAlchemy URL. The
cluster and its folder are removed on exit. As root (PostgreSQL refuses to run as root) the server runs as the
``postgres`` system user, which owns the cluster folder.

A run killed before its exit (a test run stopped with SIGKILL, a CI timeout) leaves its server running: each cluster
folder records the pid of the process that made it, and starting a new one first stops and removes every cluster
whose maker is gone.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "linli"


class PostgresError(RuntimeError):
    pass


def find_bin() -> Path:
    """The folder holding initdb/pg_ctl: $LINLI_PG_BIN, Debian's /usr/lib/postgresql/<newest>/bin, or PATH."""
    configured = os.environ.get("LINLI_PG_BIN")
    if configured:
        if not (Path(configured) / "initdb").exists():
            raise PostgresError(f"LINLI_PG_BIN={configured} holds no initdb")
        return Path(configured)
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if debian:
        return Path(debian[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise PostgresError(
        "no PostgreSQL server binaries (initdb): run scripts/install-postgres.sh (make db-deps)"
    )


OWNER = "owner.pid"  # in each cluster's folder: the pid of the process that made it


def _as_postgres() -> list[str]:
    """The prefix that runs a server binary: as root, as the postgres user (PostgreSQL refuses to run as root)."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def sweep_orphans(bin_dir: Path, tmp: str | None = None) -> list[Path]:
    """Stop and remove the clusters whose maker is no longer running; returns the folders removed."""
    removed = []
    for folder in sorted(Path(tmp or tempfile.gettempdir()).glob("linli-pg-*")):
        try:
            owner = int((folder / OWNER).read_text().strip())
        except (OSError, ValueError):
            continue  # not ours to judge (no owner file: an older run, or one still being set up)
        if owner == os.getpid() or _alive(owner):
            continue
        data = folder / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*_as_postgres(), str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


class PostgresServer:
    def __init__(self) -> None:
        self.bin = find_bin()
        sweep_orphans(self.bin)
        self.root = Path(tempfile.mkdtemp(prefix="linli-pg-"))
        (self.root / OWNER).write_text(str(os.getpid()))
        self.data = self.root / "data"
        self.socket = self.root / "socket"
        self.port = 5432  # only names the socket file (.s.PGSQL.5432) inside our own folder; no TCP listener
        self._as: list[str] = []
        self._started = False
        self._count = 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [*self._as, *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise PostgresError(
                f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()[-800:]}"
            )
        return done

    def start(self) -> PostgresServer:
        self.socket.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.socket, "postgres", "postgres")
            self._as = _as_postgres()
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = (
            f"-c listen_addresses='' -k {self.socket} -p {self.port} -c fsync=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        self._started = True
        return self

    def admin_url(self, name: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/{name}?host={self.socket}&port={self.port}"

    def database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        from sqlalchemy import create_engine, text

        self._count += 1
        name = f"linli_{os.getpid()}_{self._count}"
        engine = create_engine(self.admin_url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.admin_url(name)

    def stop(self) -> None:
        try:
            if self._started:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
                self._started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
