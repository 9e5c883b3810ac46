"""A streaming replica (hot standby) of a private PostgreSQL cluster, made with
`pg_basebackup -R` and started on another spare port, for tests of reading
from replicas. Removed afterwards, like the cluster itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager, suppress

import psycopg

from testkit.pg_cluster import Cluster, _as_postgres, _bin
from testkit.server import free_port, wait_until

_REPLICATION_LINE = "host replication all 127.0.0.1/32 trust"


class Replica(Cluster):
    """A hot standby: `.url`, `.port`, `.directory`; `stop()`/`start()` as any
    cluster, and its replay paused and resumed."""

    def _execute(self, sql: str):
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(sql).fetchone()

    def pause_replay(self) -> None:
        """Stop applying WAL (it keeps arriving): the replica falls behind."""
        self._execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self._execute("SELECT pg_wal_replay_resume()")

    def is_streaming(self) -> bool:
        with suppress(psycopg.OperationalError):
            row = self._execute("SELECT status FROM pg_stat_wal_receiver")
            return bool(row) and row[0] == "streaming"
        return False


def _allow_replication(primary: Cluster) -> None:
    """Let the replica's walreceiver in (initdb's trust setup usually has the line already)."""
    hba = os.path.join(primary.directory, "pg_hba.conf")
    with open(hba) as f:
        lines = [" ".join(line.split()) for line in f]
    if _REPLICATION_LINE not in lines:
        subprocess.run(_as_postgres(["sh", "-c", f"echo '{_REPLICATION_LINE}' >> {hba}"]), check=True)
        primary._ctl("reload")


@contextmanager
def streaming_replica(primary_cluster: Cluster):
    """A running hot standby of `primary_cluster`, streaming from it; removed
    afterwards. Under CI=true missing PostgreSQL binaries fail, else skip."""
    basebackup = _bin("pg_basebackup")
    _allow_replication(primary_cluster)
    parent = tempfile.mkdtemp(prefix="procura-pg-replica-")
    directory = os.path.join(parent, "data")
    os.chmod(parent, 0o755)
    if os.geteuid() == 0:
        shutil.chown(parent, "postgres")
    subprocess.run(_as_postgres([basebackup, "-h", "127.0.0.1", "-p", str(primary_cluster.port), "-U", "postgres",
                                 "-D", directory, "-R", "-X", "stream", "--checkpoint=fast"]),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    replica = Replica(directory, free_port())
    replica.start()
    try:
        wait_until(replica.is_streaming, timeout=30, what="the replica to stream from its primary")
        yield replica
    finally:
        with suppress(subprocess.CalledProcessError):
            replica.stop()
        shutil.rmtree(parent, ignore_errors=True)
