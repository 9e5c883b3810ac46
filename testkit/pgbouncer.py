"""A private PgBouncer (Debian's `pgbouncer`) in transaction pooling mode, in
front of a PostgreSQL server, for tests of Procura behind a pooler.

Its pool holds few server connections per database (`POOL_SIZE`), so the
clients a test opens really share them: consecutive transactions of one
client run on different server connections, and session state would leak
from one client to another.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from testkit.pg import PG_ADMIN_URL
from testkit.server import free_port, stop, wait_until

#: Server connections per (database, user): fewer than the clients a test opens.
POOL_SIZE = 4
PGBOUNCER = "/usr/sbin/pgbouncer"


def _bin() -> str:
    found = PGBOUNCER if os.access(PGBOUNCER, os.X_OK) else shutil.which("pgbouncer")
    if not found:
        message = "pgbouncer not found (apt-get install pgbouncer; scripts/test installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


def _as_postgres(args: list[str]) -> list[str]:
    # pgbouncer refuses to run as root.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _ini(port: int, directory: str, server_host: str, server_port: int, pool_size: int, extra: dict) -> str:
    lines = "".join(f"{name} = {value}\n" for name, value in extra.items())
    return f"""[databases]
* = host={server_host} port={server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/users.txt
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 500
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
admin_users = postgres
stats_users = postgres
{lines}"""


@dataclass
class Bouncer:
    """A running PgBouncer: `url_for(database_url)` routes a URL through it."""

    port: int
    directory: str
    pool_size: int

    def url_for(self, database_url: str) -> str:
        parts = urlsplit(database_url)
        netloc = f"{parts.username or 'postgres'}@127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def console(self) -> psycopg.Connection:
        """A connection to PgBouncer's admin console (simple queries only)."""
        return psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/pgbouncer",
                               autocommit=True, prepare_threshold=None)

    def show(self, what: str) -> list[dict]:
        """Rows of the admin console's `SHOW <what>` (pools, servers, clients...)."""
        with self.console() as console:
            cur = console.execute(f"SHOW {what}".encode(), prepare=False)
            names = [column.name for column in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def reconnect(self, database: str) -> None:
        """Close `database`'s server connections once released: new ones get
        the role's and database's current session defaults."""
        with self.console() as console:
            console.execute(f'RECONNECT "{database}"'.encode(), prepare=False)

    def log(self) -> str:
        with open(os.path.join(self.directory, "pgbouncer.log")) as f:
            return f.read()


@contextmanager
def pgbouncer(server_url: str = PG_ADMIN_URL, *, pool_size: int = POOL_SIZE, **settings: str | int):
    """Yield a PgBouncer in transaction mode in front of `server_url`'s server
    (any database on it), with any further `settings` of its [pgbouncer]
    section; stopped and removed afterwards."""
    binary = _bin()
    server = urlsplit(server_url)
    directory = tempfile.mkdtemp(prefix="procura-pgbouncer-")
    os.chmod(directory, 0o755)
    with open(os.path.join(directory, "users.txt"), "w") as f:
        f.write(f'"{server.username or "postgres"}" ""\n')
    port = free_port()
    ini = os.path.join(directory, "pgbouncer.ini")
    with open(ini, "w") as f:
        f.write(_ini(port, directory, server.hostname or "127.0.0.1", server.port or 5432, pool_size,
                     settings))
    if os.geteuid() == 0:
        for name in os.listdir(directory):
            shutil.chown(os.path.join(directory, name), "postgres")
        shutil.chown(directory, "postgres")
    process = subprocess.Popen(_as_postgres([binary, ini]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bouncer = Bouncer(port, directory, pool_size)
    try:
        wait_until(lambda: _listening(process, bouncer), timeout=15, what="pgbouncer listening")
        yield bouncer
    finally:
        stop(process)
        shutil.rmtree(directory, ignore_errors=True)


def _listening(process: subprocess.Popen, bouncer: Bouncer) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"pgbouncer exited {process.returncode}: {bouncer.log()[-2000:]}")
    try:
        bouncer.show("VERSION")
    except psycopg.OperationalError:
        return False
    return True

