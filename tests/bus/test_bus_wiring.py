"""The bus sink exists only when configured; building a process's services
with it (the server's, the CLI's) connects nowhere."""

from __future__ import annotations

import dataclasses

from app.bootstrap import build_services
from app.config import EventBus
from testkit.server import free_port
from tests.conftest import memory_settings


def test_without_an_event_bus_url_no_process_follows_a_bus():
    services = build_services(memory_settings())
    try:
        assert "event_bus" not in [p.name for p in services.processors]
    finally:
        services.close()


def test_with_an_event_bus_url_the_sink_is_tracked_like_a_read_model_even_while_nats_is_unreachable():
    nowhere = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    settings = dataclasses.replace(memory_settings(), event_bus=EventBus(servers=(nowhere,)))
    services = build_services(settings)
    try:
        assert "event_bus" in [p.name for p in services.processors]
        assert int(services.read_store.positions()["event_bus"]["position"]) == 0
    finally:
        services.close()
