"""A real Procura server (gunicorn, `procura serve`) in a subprocess, for tests
about HTTP behaviour under concurrency."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll `condition` until it returns a truthy value or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


@contextmanager
def running_server(env: dict[str, str], *, workers: int = 2, threads: int = 8):
    """Yield the base URL of a server started with `env`; stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port),
         "--workers", str(workers), "--threads", str(threads)],
        cwd=ROOT, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def ready():
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read()[-2000:]}")
        try:
            return requests.get(base + "/readyz", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_until(ready, timeout=30, what="server readiness")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
