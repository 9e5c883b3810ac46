"""Rate limits per caller: commands and reads counted apart, 429 with
Retry-After and the IETF RateLimit headers, shared through Redis across
processes, and never an outage when Redis is."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import tempfile
from contextlib import contextmanager

import pytest
import requests

from app.bootstrap import create_app
from testkit.server import free_port, running_server, stop, wait_until
from tests.conftest import SECRET, User, memory_settings, po_body, token


@pytest.fixture
def settings():
    return dataclasses.replace(memory_settings(), rate_limit_commands="3/minute", rate_limit_reads="5/minute")


def create(user: User):
    return user.post("/purchase-orders", po_body())


def test_commands_past_the_limit_are_429_with_retry_after_and_ratelimit_headers(alice):
    answers = [create(alice) for _ in range(4)]

    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    refused = answers[-1]
    assert refused.get_json()["type"] == "/problems/rate-limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Policy"] == '"commands";q=3;w=60'
    assert refused.headers["RateLimit"].startswith('"commands";r=0;t=')
    assert [a.headers["RateLimit"].split(";")[1] for a in answers[:3]] == ["r=2", "r=1", "r=0"]


def test_a_refused_command_changes_nothing(alice, erin):
    for _ in range(3):
        create(alice)

    refused = alice.post("/purchase-orders", po_body(title="One too many"))

    assert refused.status_code == 429
    assert alice.post("/purchase-orders", po_body(title="One too many"), key="other").status_code == 429
    mine = alice.client.application.extensions["procura"]
    assert len(mine.event_store.recorder.select_notifications(start=None, limit=100)) == 3


def test_reads_are_counted_apart_from_commands(alice):
    for _ in range(3):
        create(alice)

    reads = [alice.get("/purchase-orders").status_code for _ in range(6)]

    assert reads == [200] * 5 + [429]


def test_each_caller_has_a_limit_of_their_own(alice):
    for _ in range(3):
        create(alice)

    assert create(alice).status_code == 429
    assert User(alice.client, "dave", ("requester",)).create().status_code == 201


def test_open_routes_are_never_limited(client):
    assert {client.get("/healthz").status_code for _ in range(20)} == {200}


def test_with_limits_off_nothing_is_counted(client):
    app = create_app(dataclasses.replace(memory_settings(), rate_limit_commands=None, rate_limit_reads=None))
    alice = User(app.test_client())

    answers = [create(alice) for _ in range(10)]

    assert {a.status_code for a in answers} == {201}
    assert "RateLimit" not in answers[-1].headers


# --- through real servers sharing Redis ----------------------------------------


@contextmanager
def redis_server():
    """A private Redis on a spare port (the machine's own is left alone)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (scripts/test installs it)", pytrace=False)
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                    "--appendonly", "no", "--dir", directory],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: _pings(port), timeout=10, what="redis-server answering")
            yield process, f"redis://127.0.0.1:{port}/0"
        finally:
            stop(process)


def _pings(port: int) -> bool:
    import redis

    try:
        return redis.Redis(port=port, socket_timeout=0.5).ping()
    except redis.RedisError:
        return False


def _server_env(tmp_path, name: str, storage: str) -> dict[str, str]:
    return {"DATABASE_URL": "", "PROCURA_JWT_SECRET": SECRET, "PROCURA_SQLITE_PATH": str(tmp_path / f"{name}.sqlite3"),
            "PROCURA_RATE_LIMIT_COMMANDS": "6/minute", "PROCURA_RATE_LIMIT_READS": "off",
            "PROCURA_RATE_LIMIT_STORAGE": storage}


def _post(base: str, n: int) -> int:
    return requests.post(f"{base}/purchase-orders", data=json.dumps(po_body()), timeout=10, headers={
        "Authorization": f"Bearer {token()}", "Idempotency-Key": f"shared-{n}",
        "Content-Type": "application/json"}).status_code


@pytest.mark.external
def test_two_server_processes_sharing_redis_enforce_one_limit_and_fail_open_when_it_stops(tmp_path):
    with redis_server() as (redis_process, storage), \
            running_server(_server_env(tmp_path, "one", storage), workers=1, threads=2) as one, \
            running_server(_server_env(tmp_path, "two", storage), workers=1, threads=2) as two:
        shared = [_post((one, two)[n % 2], n) for n in range(10)]
        stop(redis_process)
        without_redis = [_post((one, two)[n % 2], n) for n in range(10, 14)]
        metrics = requests.get(f"{one}/metrics", timeout=10).text

    assert sorted(shared) == [201] * 6 + [429] * 4
    assert without_redis == [201] * 4
    assert "procura_rate_limit_storage_errors_total 2.0" in metrics  # server one's two checks


def test_a_store_that_cannot_be_reached_lets_requests_through_and_says_so_once(caplog):
    from app.http.ratelimits import RateLimits

    limits = RateLimits("1/minute", None, f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there

    headers = [limits.admit("commands", "org-1/alice") for _ in range(3)]

    assert headers == [{}, {}, {}]
    warnings = [r.getMessage() for r in caplog.records if r.name == "procura.ratelimits"]
    assert len(warnings) == 1 and warnings[0].startswith("rate limits not enforced")
