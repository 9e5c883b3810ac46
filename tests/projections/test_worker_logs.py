"""The projection worker's log lines say which read model and which events
they concern, so an operator can find the batch that keeps failing."""

from __future__ import annotations

import json
import logging

from app.telemetry.logs import JsonFormatter
from projections.runner import Follower, Processor, Supervisor
from testkit.server import wait_until


class FailsOnce(Processor):
    name = "fails_once"

    def __init__(self):
        self.failed = False

    def apply(self, cur, batch) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("a poison event")


def test_a_failing_batch_is_logged_with_its_projection_and_positions_then_retried(services, alice):
    alice.create()
    alice.create()
    services.read_store.create_tracking([FailsOnce.name])
    processor = FailsOnce()
    lines: list[dict] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(json.loads(JsonFormatter().format(record)))
    logging.getLogger("procura.projections").addHandler(handler)
    supervisor = Supervisor([Follower(services.event_store, services.read_store, processor)], idle_wait=0.01,
                            error_wait=0.01)
    try:
        supervisor.start()
        wait_until(lambda: services.read_store.position(FailsOnce.name) > 0, 5, what="the retried batch")
    finally:
        supervisor.stop()
        logging.getLogger("procura.projections").removeHandler(handler)
    [failure] = [line for line in lines if line["level"] == "error"]
    assert failure["projection"] == "fails_once" and "a poison event" in failure["exception"]
    assert failure["after_position"] == 0 and failure["to_position"] >= 2
