"""Publishing to NATS JetStream from the worker's threads.

nats-py is asyncio: one event loop runs in a thread of its own, and the
sink's thread hands it each batch and waits. One connection, made on the
first batch and again after any failure (nats-py's own reconnection is off:
a publish buffered across a reconnect could land after the ones the retried
batch sends, out of order); the stream is created when missing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Sequence
from typing import NamedTuple

import nats
import nats.errors
import nats.js.errors
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

from app.bus.subjects import PREFIX
from app.config import EventBus

log = logging.getLogger("procura.bus")

#: The store position of the event a message carries (read back at connect).
POSITION_HEADER = "Procura-Position"
CONNECT_TIMEOUT_SECONDS = 2.0


class Message(NamedTuple):
    subject: str
    id: str
    position: int
    payload: bytes


class BusUnavailable(OSError):
    """NATS did not take a batch (down, unreachable, or no acknowledgement in
    time): an infrastructure error, so the sink rests and retries from its
    tracking row while the read models go on (projections.runner)."""


class JetStream:
    """Publishes batches in order, each message acknowledged before the next is sent."""

    def __init__(self, config: EventBus):
        self.config = config
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._nc = None
        self._js = None
        #: The highest position JetStream holds from this deployment, as last known:
        #: read from the stream's last message at connect, then raised by each ack.
        #: Messages at or below it are not sent again, even after the duplicate window.
        self.published_through = 0

    def publish(self, messages: Sequence[Message]) -> None:
        """Publish `messages` in order; returns once JetStream acknowledged every one."""
        ceiling = CONNECT_TIMEOUT_SECONDS + self.config.ack_timeout_seconds * (2 + len(messages))
        future = self._submit(self._publish(messages))
        try:
            future.result(ceiling)
        except (nats.errors.Error, OSError) as error:  # timeouts are OSErrors
            future.cancel()
            self._submit(self._disconnect())
            raise BusUnavailable(f"NATS did not take the batch: {type(error).__name__}: {error}") from error

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="procura-event-bus", daemon=True).start()
            return self._loop

    def _submit(self, coroutine) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self._running_loop())

    async def _publish(self, messages: Sequence[Message]) -> None:
        js = await self._connected()
        for message in messages:
            if message.position <= self.published_through:
                continue  # the stream holds it: a batch sent again after a crash, or after failing half-way
            await js.publish(message.subject, message.payload, timeout=self.config.ack_timeout_seconds,
                             stream=self.config.stream,
                             headers={"Nats-Msg-Id": message.id, POSITION_HEADER: str(message.position)})
            self.published_through = message.position

    async def _connected(self):
        if self._nc is not None and self._nc.is_connected:
            return self._js
        await self._disconnect()
        self._nc = await nats.connect(servers=list(self.config.servers), name="procura-worker",
                                      connect_timeout=CONNECT_TIMEOUT_SECONDS, allow_reconnect=False,
                                      error_cb=_quiet)
        self._js = self._nc.jetstream(timeout=self.config.ack_timeout_seconds)
        self.published_through = max(self.published_through, await self._stream_head())
        log.info("event bus: connected to %s; stream %s holds positions through %s",
                 self._nc.connected_url.netloc if self._nc.connected_url else "?", self.config.stream,
                 self.published_through)
        return self._js

    async def _stream_head(self) -> int:
        """The position of the stream's last message (0: none of ours);
        creates the stream when it is missing."""
        try:
            info = await self._js.stream_info(self.config.stream)
        except nats.js.errors.NotFoundError:
            info = await self._js.add_stream(self.stream_config())
            log.info("event bus: created stream %s", self.config.stream)
        if not info.state.last_seq:
            return 0
        try:
            last = await self._js.get_msg(self.config.stream, seq=info.state.last_seq)
        except nats.js.errors.NotFoundError:
            return 0  # aged out or deleted
        try:
            return int((last.headers or {}).get(POSITION_HEADER, 0))
        except ValueError:
            return 0

    def stream_config(self) -> StreamConfig:
        return StreamConfig(name=self.config.stream, subjects=[f"{PREFIX}.>"], retention=RetentionPolicy.LIMITS,
                            storage=StorageType.FILE, discard=DiscardPolicy.OLD,
                            max_age=float(self.config.max_age_hours * 3600),
                            duplicate_window=float(self.config.duplicate_window_seconds),
                            description="Procura's public events (docs/integrators/event-bus.md)")

    async def _disconnect(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            try:
                await nc.close()
            except Exception:
                log.debug("event bus: closing the connection failed", exc_info=True)


async def _quiet(error: Exception) -> None:
    """nats-py's errors surface as a failed publish, which the worker logs and retries."""
    log.debug("event bus: %s", error)

