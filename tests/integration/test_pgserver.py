"""The tests' throwaway PostgreSQL: a cluster left running by a killed run is stopped and removed by the next."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evals.pgserver import OWNER, find_bin, sweep_orphans

STARTS_THEN_DIES = """
import os
from evals.pgserver import PostgresServer
server = PostgresServer().start()
print(server.root, flush=True)
os._exit(0)  # as a SIGKILL would: no stop, no cleanup
"""


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for a parent that is gone."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_cluster_whose_maker_died_is_stopped_and_removed() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="linli-sweep-"))
    tmp.chmod(0o755)  # the postgres user (when run as root) must reach the cluster folder inside
    try:
        repo = Path(__file__).resolve().parents[2]
        done = subprocess.run(
            [sys.executable, "-c", STARTS_THEN_DIES],
            cwd=repo,
            env={**os.environ, "TMPDIR": str(tmp)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        root = Path(done.stdout.strip())
        pid_file = root / "data" / "postmaster.pid"
        assert root.parent == tmp and pid_file.exists() and (root / OWNER).exists()
        postmaster = int(pid_file.read_text().splitlines()[0])
        os.kill(postmaster, 0)  # left running by the dead run

        mine = tmp / "linli-pg-live"  # a cluster folder whose maker is alive (this process) is left alone
        mine.mkdir()
        (mine / OWNER).write_text(str(os.getpid()))

        assert sweep_orphans(find_bin(), str(tmp)) == [root]
        assert not root.exists() and mine.exists()
        deadline = time.monotonic() + 10  # pg_ctl returns once the pid file is gone, a moment before the exit
        while running(postmaster) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not running(postmaster), f"postmaster {postmaster} still running after the sweep"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
