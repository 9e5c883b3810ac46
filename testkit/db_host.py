"""A database host for multi-host tests (testkit/hosts.py): a private
PostgreSQL primary, a streaming replica of it (pg_basebackup -R) and PgBouncer
in front of the primary, all inside one network namespace, listening on the
host's address and trusting the test network (replication included).

PostgreSQL and PgBouncer run as user postgres (both refuse root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import psycopg

from testkit.hosts import Host
from testkit.pg import give_session_defaults
from testkit.pg_cluster import _as_postgres, _bin
from testkit.server import stop, wait_until

DATABASE = "procura"


def _pgbouncer() -> str:
    found = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else "")
    if not found:
        _bin("pgbouncer")  # skips, or fails under CI=true, naming what is missing
    return found


class HostCluster:
    """One PostgreSQL server (data directory + port) on a host."""

    def __init__(self, host: Host, directory: str, port: int):
        self.host, self.directory, self.port = host, directory, port

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://postgres@{self.host.ip}:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        self.host.run(_as_postgres([_bin("pg_ctl"), "-D", self.directory, "-w", "-t", "60", *args]),
                      check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        # fsync off: the cluster lives for one test and the machine does not
        # crash under it; restarts are clean shutdowns, which write everything.
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses={self.host.ip} "
                   "-c max_connections=300 -c fsync=off")
        self._ctl("-o", options, "-l", os.path.join(self.directory, "log"), "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def restart(self) -> None:
        """A fast restart: sessions are cut, the server is back when this returns."""
        self._ctl("-m", "fast", "restart")


@dataclass
class DatabaseHost:
    host: Host
    primary: HostCluster
    replica: HostCluster
    bouncer_port: int
    pool_mode: str

    @property
    def pooled_url(self) -> str:
        """Procura's DATABASE_URL: the primary through PgBouncer."""
        return f"postgresql://postgres@{self.host.ip}:{self.bouncer_port}/{DATABASE}"

    def replica_caught_up(self) -> bool:
        """True once the replica has replayed everything the primary has written."""
        with psycopg.connect(self.primary.url(), autocommit=True) as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        with psycopg.connect(self.replica.url(), autocommit=True) as conn:
            return conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()[0]


def _connectable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def _owned_directory() -> str:
    parent = tempfile.mkdtemp(prefix="procura-dbhost-")
    os.chmod(parent, 0o755)
    if os.geteuid() == 0:
        shutil.chown(parent, "postgres")
    return parent


def _allow_network(directory: str, subnet: str) -> None:
    with open(os.path.join(directory, "pg_hba.conf"), "a") as hba:
        hba.write(f"host all all {subnet} trust\nhost replication all {subnet} trust\n")


def _bouncer_config(directory: str, db: DatabaseHost) -> str:
    path = os.path.join(directory, "pgbouncer.ini")
    with open(path, "w") as config:
        config.write(f"""[databases]
{DATABASE} = host={db.host.ip} port={db.primary.port} dbname={DATABASE}
[pgbouncer]
listen_addr = {db.host.ip}
listen_port = {db.bouncer_port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/users.txt
pool_mode = {db.pool_mode}
max_client_conn = 1000
default_pool_size = {120 if db.pool_mode == 'session' else 20}
server_login_retry = 1
logfile = {directory}/pgbouncer.log
""")
    with open(os.path.join(directory, "users.txt"), "w") as users:
        users.write('"postgres" ""\n')
    return path


@contextmanager
def database_host(host: Host, *, pool_mode: str = "transaction", ports=(5432, 5433, 6432)) -> Iterator[DatabaseHost]:
    """Primary, replica and PgBouncer on `host`; stopped and removed afterwards."""
    parent = _owned_directory()
    primary = HostCluster(host, os.path.join(parent, "primary"), ports[0])
    replica = HostCluster(host, os.path.join(parent, "replica"), ports[1])
    db = DatabaseHost(host, primary, replica, ports[2], pool_mode)
    bouncer = None
    try:
        host.run(_as_postgres([_bin("initdb"), "-D", primary.directory, "-U", "postgres", "-A", "trust", "--no-sync"]),
                 check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _allow_network(primary.directory, str(host.network.subnet))
        primary.start()
        with psycopg.connect(primary.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
            # Procura's timeouts, which it cannot send through a transaction pooler.
            give_session_defaults(conn, DATABASE)
        host.run(_as_postgres([_bin("pg_basebackup"), "-h", host.ip, "-p", str(primary.port), "-U", "postgres",
                               "-D", replica.directory, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"]),
                 check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        replica.start()
        config = _bouncer_config(parent, db)
        bouncer = host.popen(_as_postgres([_pgbouncer(), config]), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        wait_until(lambda: _connectable(db.pooled_url), 20, 0.1, what="PgBouncer to accept connections")
        yield db
    finally:
        if bouncer is not None:
            stop(bouncer, timeout=5)
        for cluster in (replica, primary):
            with suppress(subprocess.CalledProcessError):
                cluster.stop()
        shutil.rmtree(parent, ignore_errors=True)
