"""Shared fixtures: settings per persistence backend, services, Flask client,
tokens, and a small client wrapper that reads like what a user does."""

from __future__ import annotations

import itertools
import json
import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.bootstrap import build_services, create_app
from app.config import Settings
from app.http.auth import mint_token

SECRET = "test-secret-that-is-long-enough-for-hs256-and-hs512-0123456789abcdef"
PG_ADMIN_URL = os.environ.get("PROCURA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

pytest_plugins = ["testkit.pg"]

#: Fixtures that mark a test `postgres` (a database of its own or its module's) or
#: `external` (a browser) without each module saying so; `scripts/test --quick` leaves both out.
POSTGRES_FIXTURES = {"pg_database_url", "module_pg_database_url", "postgres_database_url"}
EXTERNAL_FIXTURES = {"browser"}


def pytest_collection_modifyitems(items):
    for item in items:
        params = getattr(item, "callspec", None)
        if POSTGRES_FIXTURES & set(item.fixturenames) or (params and "postgres" in params.params.values()):
            item.add_marker(pytest.mark.postgres)
        if EXTERNAL_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.external)


class ServerLikeClient(FlaskClient):
    """Flask's test client, reading and closing each response as a WSGI
    server does once it has sent it: what Procura does on close (each
    request's log line and metrics) has happened when the test looks."""

    def open(self, *args, buffered: bool = True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


Flask.test_client_class = ServerLikeClient  # every test app's test_client()


def memory_settings() -> Settings:
    return Settings(in_memory=True, jwt_secret=SECRET)


def sqlite_settings(path) -> Settings:
    return Settings(sqlite_path=path / "procura.sqlite3", jwt_secret=SECRET)


def postgres_settings(url: str) -> Settings:
    return Settings(database_url=url, jwt_secret=SECRET)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def any_backend_settings(request, tmp_path) -> Settings:
    """The same test, once per persistence mode."""
    if request.param == "memory":
        return memory_settings()
    if request.param == "sqlite":
        return sqlite_settings(tmp_path)
    return postgres_settings(request.getfixturevalue("pg_database_url"))


@pytest.fixture
def settings() -> Settings:
    return memory_settings()


@pytest.fixture
def services(settings):
    built = build_services(settings)
    yield built
    built.close()


@pytest.fixture
def flask_app(services):
    return create_app(services=services)


@pytest.fixture
def client(flask_app):
    return flask_app.test_client()


def token(sub="alice", roles=("requester",), org="org-1", department="eng", approval_limit=None, **kw) -> str:
    return mint_token(SECRET, sub=sub, org=org, roles=list(roles), department=department,
                      approval_limit=approval_limit, **kw)


def po_body(**changes) -> dict:
    body = {
        "title": "Laptops for new hires",
        "supplier_id": "acme",
        "currency": "EUR",
        "needed_by": (date.today() + timedelta(days=30)).isoformat(),
        "lines": [{"sku": "LAP-14", "description": "14-inch laptop", "quantity": 3, "unit_price": "1249.50"}],
    }
    body.update(changes)
    return body


def command_body(command: str, text: str = "no") -> dict | None:
    """An example body for `command`, of the kind its declaration names: a
    draft, each of its body schema's fields as `text`, or none (no fields)."""
    from aggregates.transitions import DECLARED
    from app.http.schemas import body_fields, takes_draft

    kind = DECLARED[command].body
    if takes_draft(kind):
        return po_body(title="Revised")
    return dict.fromkeys(body_fields(kind), text) or None


_keys = itertools.count()


def new_key() -> str:
    return f"key-{next(_keys)}-{uuid.uuid4()}"


@dataclass
class User:
    """A caller of the API through a Flask test client or requests.Session."""

    client: object
    sub: str = "alice"
    roles: tuple = ("requester",)
    org: str = "org-1"
    department: str | None = "eng"
    approval_limit: str | None = None
    headers: dict = field(default_factory=dict)

    @property
    def auth(self) -> dict:
        return {"Authorization": "Bearer " + token(self.sub, self.roles, self.org, self.department,
                                                   self.approval_limit)}

    def post(self, path, body=None, *, key=None, if_match=None, headers=None):
        sent = {**self.auth, "Idempotency-Key": key or new_key(), **(headers or {})}
        if if_match is not None:
            sent["If-Match"] = f'"{if_match}"'
        if body is None:
            return self.client.post(path, headers=sent)
        return self.client.post(path, data=json.dumps(body), headers={"Content-Type": "application/json", **sent})

    def get(self, path, headers=None):
        return self.client.get(path, headers={**self.auth, **(headers or {})})

    def create(self, **changes):
        return self.post("/purchase-orders", po_body(**changes))

    def command(self, po_id, name, version, body=None, **kw):
        return self.post(f"/purchase-orders/{po_id}/{name}", body, if_match=version, **kw)


@pytest.fixture
def alice(client) -> User:
    return User(client)


@pytest.fixture
def bob(client) -> User:
    return User(client, "bob", ("approver",), approval_limit="10000.00")


@pytest.fixture
def carol(client) -> User:
    return User(client, "carol", ("buyer",), department="purchasing")


@pytest.fixture
def erin(client) -> User:
    return User(client, "erin", ("auditor",), department="finance")


@pytest.fixture
def mallory(client) -> User:
    """An admin of another organisation."""
    return User(client, "mallory", ("admin",), org="org-2")


@contextmanager
def server_with_an_unprojected_po(pg_url: str, *, threads: int, **env: str):
    """(base URL, process) of a real `procura serve` on `pg_url` (1 worker x
    `threads` slots, the default queue wait, `env` on top) whose store holds
    one PO that no `procura worker` projects: a read with `min_position=1`
    holds a slot for 2 s there."""
    from app.config import Edge
    from testkit import stores
    from testkit.server import serving_process

    services = build_services(postgres_settings(pg_url))
    try:
        stores.grow(services.event_store, 1, "org-1")
    finally:
        services.close()
    env = {"DATABASE_URL": pg_url, "PROCURA_JWT_SECRET": SECRET,
           "PROCURA_QUEUE_WAIT_MS": str(Edge().queue_wait_ms), **env}
    with serving_process(env, workers=1, threads=threads) as (base, process):
        yield base, process
