"""A private PostgreSQL cluster (initdb + pg_ctl on a spare port) that a test
may stop and start, so outages never touch the shared server."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager, suppress

import pytest

from testkit.server import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        message = f"{name} not found (needed to start a private PostgreSQL cluster)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found[-1]


def _as_postgres(args: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class Cluster:
    def __init__(self, directory: str, port: int):
        self.directory = directory
        self.port = port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres([_bin("pg_ctl"), "-D", self.directory, "-w", "-t", "30", *args]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        self._ctl("-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1", "-l",
                  os.path.join(self.directory, "log"), "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def restart(self) -> None:
        """A fast restart: every connection is terminated; returns once the server accepts connections."""
        self._ctl("-m", "fast", "-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1",
                  "restart")


@contextmanager
def private_cluster():
    """A running cluster of our own; removed afterwards."""
    parent = tempfile.mkdtemp(prefix="procura-pg-")
    directory = os.path.join(parent, "data")
    os.chmod(parent, 0o755)
    if os.geteuid() == 0:
        shutil.chown(parent, "postgres")
    subprocess.run(_as_postgres([_bin("initdb"), "-D", directory, "-U", "postgres", "-A", "trust"]),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cluster = Cluster(directory, free_port())
    cluster.start()
    try:
        yield cluster
    finally:
        with suppress(subprocess.CalledProcessError):
            cluster.stop()
        shutil.rmtree(parent, ignore_errors=True)
