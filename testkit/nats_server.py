"""A private NATS server with JetStream (Debian's `nats-server`) on a spare
port with its own store directory, for the event-bus tests; and reading a
stream back whole. Never the machine's shared server."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import pytest

from testkit.server import free_port, stop, wait_until

NATS_SERVER = "/usr/sbin/nats-server"


def _bin() -> str:
    found = NATS_SERVER if os.access(NATS_SERVER, os.X_OK) else shutil.which("nats-server")
    if not found:
        message = "nats-server not found (apt-get install nats-server; scripts/test installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class NatsServer:
    """`nats-server -js` on `port`, storing in `directory`; stop and start it
    again on the same port and store (a NATS restart)."""

    def __init__(self, directory: str, port: int):
        self.directory = directory
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([_bin(), "-js", "-a", "127.0.0.1", "-p", str(self.port),
                                         "-sd", self.directory], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_until(lambda: _listening(self.port), 10, what="nats-server to listen")

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


@contextmanager
def nats_server() -> Iterator[NatsServer]:
    directory = tempfile.mkdtemp(prefix="procura-nats-")
    server = NatsServer(directory, free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


class Stored(NamedTuple):
    """One message of a stream, as JetStream holds it."""

    seq: int
    subject: str
    msg_id: str | None
    data: bytes


def stream_length(url: str, stream: str) -> int:
    """How many messages `stream` holds (0 if there is no such stream)."""
    import nats
    import nats.js.errors

    async def read() -> int:
        nc = await nats.connect(url, connect_timeout=2, allow_reconnect=False)
        try:
            return (await nc.jetstream(timeout=5).stream_info(stream)).state.messages
        except nats.js.errors.NotFoundError:
            return 0
        finally:
            await nc.close()

    return asyncio.run(read())


def stream_messages(url: str, stream: str) -> list[Stored]:
    """Every message `stream` holds, in stream order ([] if there is no such stream)."""
    import nats
    import nats.js.errors

    async def read() -> list[Stored]:
        nc = await nats.connect(url, connect_timeout=2, allow_reconnect=False)
        try:
            js = nc.jetstream(timeout=5)
            try:
                info = await js.stream_info(stream)
            except nats.js.errors.NotFoundError:
                return []
            found = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                msg = await js.get_msg(stream, seq=seq)
                found.append(Stored(msg.seq, msg.subject, (msg.headers or {}).get("Nats-Msg-Id"), msg.data))
            return found
        finally:
            await nc.close()

    return asyncio.run(read())
