"""Property: whatever commands clients send, and however often they retry,
each accepted command appends its events once and the PO stays legal."""

from __future__ import annotations

from uuid import UUID

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from aggregates.transitions import CLIENT_COMMANDS, DECLARED, Status
from app.bootstrap import build_services, create_app
from tests.conftest import User, command_body, memory_settings, new_key

#: Who sends each command: the user holding a role its declaration grants.
USER_WITH = {"requester": "alice", "approver": "bob", "buyer": "carol"}
ACTOR_FOR = {command: next(USER_WITH[role] for role in sorted(DECLARED[command].roles) if role in USER_WITH)
             for command in CLIENT_COMMANDS}

steps = st.lists(
    st.tuples(st.sampled_from(CLIENT_COMMANDS), st.integers(0, 2), st.booleans()),
    min_size=1, max_size=25,
)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_retried_commands_never_duplicate_events_and_status_stays_legal(steps):
    services = build_services(memory_settings())
    client = create_app(services=services).test_client()
    users = {"alice": User(client), "bob": User(client, "bob", ("approver",), approval_limit="99999.00"),
             "carol": User(client, "carol", ("buyer",))}
    po = users["alice"].create().get_json()["id"]
    version, accepted = 1, 0
    for command, retries, stale in steps:
        sent_version = version - 1 if stale else version
        key = new_key()
        user = users[ACTOR_FOR[command]]
        first = user.command(po, command, sent_version, command_body(command), key=key)
        for _ in range(retries):
            again = user.command(po, command, sent_version, command_body(command), key=key)
            assert (again.status_code, again.get_data()) == (first.status_code, first.get_data())
            assert again.headers["Idempotent-Replayed"] == "true"
        assert first.status_code in {200, 202, 403, 409, 422}, first.get_data()
        if first.status_code in (200, 202):
            version, accepted = version + 1, accepted + 1
    stored = services.event_store.purchase_order(UUID(po))
    assert stored.version == 1 + accepted
    assert stored.status in set(Status)
    services.close()
