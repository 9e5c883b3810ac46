"""SIGTERM (a deploy, a scale-down) lets requests already running finish;
a worker process that dies is replaced.

The in-flight request is made slow by the database, not by a test hook: the
test holds the events table's lock, so the command's insert waits on it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest
import requests

from app.serving.server import GRACEFUL_TIMEOUT
from testkit.server import answers, serving_process, wait_until
from tests.conftest import SECRET, po_body, token

pytestmark = pytest.mark.postgres


def waiting_on_a_lock(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'").fetchone()
    return row[0] > 0


def test_sigterm_lets_the_in_flight_command_finish_and_the_server_exits_within_the_graceful_timeout(
        pg_database_url):
    env = {"DATABASE_URL": pg_database_url, "PROCURA_JWT_SECRET": SECRET}
    headers = {"Authorization": f"Bearer {token()}", "Idempotency-Key": "in-flight-at-sigterm"}
    answers: list[requests.Response] = []
    with serving_process(env, workers=2, threads=4) as (base, server), \
            psycopg.connect(pg_database_url) as blocker, psycopg.connect(pg_database_url, autocommit=True) as probe:
        blocker.execute("LOCK TABLE procura_events IN EXCLUSIVE MODE")
        client = threading.Thread(target=lambda: answers.append(
            requests.post(f"{base}/purchase-orders", json=po_body(), headers=headers, timeout=30)))
        client.start()
        wait_until(lambda: waiting_on_a_lock(probe), 10, what="the command to wait on the lock")
        server.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        time.sleep(0.5)  # the request is still held while the server shuts down
        blocker.rollback()  # release the lock: the command can finish now
        client.join(30)
        exit_code = server.wait(GRACEFUL_TIMEOUT + 5)
        took = time.monotonic() - stopped_at
    [answer] = answers
    assert answer.status_code == 201, answer.text
    assert exit_code == 0 and took < GRACEFUL_TIMEOUT


def _workers(server) -> set[int]:
    """The server's worker processes (its children but HAProxy)."""
    # pgrep names each child with its command in one read: a child reaped after the listing cannot be looked up again
    found = subprocess.run(["pgrep", "-l", "-P", str(server.pid)], capture_output=True, text=True).stdout.splitlines()
    return {int(pid) for pid, name in (line.split(maxsplit=1) for line in found) if "haproxy" not in name}


def test_a_worker_that_dies_is_replaced_and_the_server_answers_again(tmp_path):
    env = {"PROCURA_SQLITE_PATH": str(tmp_path / "procura.sqlite3"), "PROCURA_JWT_SECRET": SECRET}
    with serving_process(env, workers=1, threads=2) as (base, server):
        [worker] = _workers(server)
        os.kill(worker, signal.SIGKILL)
        wait_until(lambda: _workers(server) - {worker}, 15, what="a new worker process")
        wait_until(lambda: answers(f"{base}/readyz"), 15, what="the server to answer again")
        assert server.poll() is None


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"  # a zombie has exited
    except FileNotFoundError:
        return True


def test_no_worker_process_outlives_a_server_process_killed_outright(tmp_path):
    env = {"PROCURA_SQLITE_PATH": str(tmp_path / "procura.sqlite3"), "PROCURA_JWT_SECRET": SECRET}
    with serving_process(env, workers=1, threads=2) as (_base, server):
        workers = _workers(server)
        server.kill()
        server.wait(10)
        wait_until(lambda: all(_gone(pid) for pid in workers), 15, what="the workers to exit")
