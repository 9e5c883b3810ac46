"""A real Procura server (`procura serve`: HAProxy and granian) in a subprocess, for tests
about HTTP behaviour under concurrency."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from testkit.logs import written_so_far

ROOT = Path(__file__).resolve().parent.parent


#: Servers the tests start are not rate limited, bound no caller's requests
#: in flight and queue requests rather than shed them, unless a test says so:
#: load and race tests send far more at once, from one caller, than a person would.
#: No load balancer waits for them to drain, so they stop at once.
UNTHROTTLED = {"PROCURA_RATE_LIMIT_COMMANDS": "off", "PROCURA_RATE_LIMIT_READS": "off",
               "PROCURA_MAX_IN_FLIGHT_PER_CALLER": "off", "PROCURA_MAX_REQUESTS_PER_SECOND_PER_CALLER": "off",
               "PROCURA_MAX_FAILED_AUTH_PER_ADDRESS": "off", "PROCURA_QUEUE_WAIT_MS": "30000",
               "PROCURA_DRAIN_SECONDS": "0"}


#: How often a test's in-process server (socketserver's serve_forever) looks
#: for shutdown(): its default, 0.5 s, is how long each stop would wait.
SERVE_POLL = {"poll_interval": 0.05}


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


def answers(url: str) -> bool:
    """True when a GET of `url` answers 200 within 2 s (a server that is up)."""
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """Terminate `process` (SIGTERM: a graceful stop), killing it if it outlives `timeout`."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_server(env: dict[str, str], *, workers: int = 2, threads: int = 8):
    """Yield the base URL of a server started with `env`; stop it afterwards."""
    with serving_process(env, workers=workers, threads=threads) as (base, _process):
        yield base


@contextmanager
def serving_process(env: dict[str, str], *, workers: int = 2, threads: int = 8, source: Path = ROOT,
                    log: Path | None = None, port: int | None = None):
    """Yield (base URL, the server's main Popen) of a ready server running the
    code in `source` (default: this checkout) on `port` (default: a free one);
    stop it afterwards. Its stderr (JSON log lines) goes to `log` when given,
    for the test to read."""
    port = port or free_port()
    # A file, not a pipe: nobody drains a pipe while the server runs, and a
    # full one (64 KiB of request logs) would block the server mid-request.
    with (open(log, "w+") if log else tempfile.TemporaryFile(mode="w+")) as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port),
             "--workers", str(workers), "--threads", str(threads)],
            cwd=source, env={**os.environ, **UNTHROTTLED, **env},
            stdout=subprocess.DEVNULL, stderr=errors, text=True,
        )
        base = f"http://127.0.0.1:{port}"

        def ready():
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {written_so_far(errors)[-2000:]}")
            try:
                return requests.get(base + "/readyz", timeout=2).status_code == 200
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or busy starting
                return False

        try:
            wait_until(ready, timeout=30, what="server readiness")
            yield base, process
        except BaseException:
            # The server's own account of a failure (pytest shows it with the test's).
            sys.stderr.write(f"--- server exit code {process.poll()}, its log's tail:\n"
                             f"{account(written_so_far(errors))}\n")
            raise
        finally:
            stop(process)


def account(log: str, size: int = 6000) -> str:
    """A server log's tail for a failure report: its warnings and errors
    first (request lines would bury them), then the last lines."""
    lines = log.splitlines()
    troubles = [line for line in lines if '"level":"info"' not in line]
    return "\n".join(troubles)[-size:] + "\n--- last lines:\n" + "\n".join(lines[-5:])[-2000:]


@contextmanager
def running_worker(env: dict[str, str], *args: str, stderr: Any = subprocess.DEVNULL):
    """`procura worker` (with `args`) in a subprocess with `env` on top of
    this process's, its log lines to `stderr`; stopped (SIGTERM, then
    SIGKILL) when the block ends."""
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", *args], cwd=ROOT,
                               env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        yield process
    finally:
        stop(process)


class LiveResponse:
    """A requests.Response that answers like a Flask test response."""

    def __init__(self, response: requests.Response):
        self.raw = response
        self.status_code = response.status_code
        self.headers = response.headers

    def get_json(self):
        return self.raw.json() if self.raw.content else None

    def get_data(self, as_text: bool = False):
        return self.raw.text if as_text else self.raw.content


class LiveClient:
    """The subset of Flask's test client the tests use, over real HTTP."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def open(self, path, method="GET", data=None, json=None, headers=None, content_type=None):
        headers = dict(headers or {})
        if content_type:
            headers["Content-Type"] = content_type
        response = self.session.request(method, self.base + path, data=data, json=json, headers=headers, timeout=30)
        return LiveResponse(response)

    def post(self, path, **kwargs):
        return self.open(path, method="POST", **kwargs)

    def get(self, path, **kwargs):
        return self.open(path, method="GET", **kwargs)
