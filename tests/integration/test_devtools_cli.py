"""`procura events`, `state` and `trace`: what a developer sees when replaying."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from app.bootstrap import build_services, create_app
from app.cli import main
from tests.conftest import User, po_body, sqlite_settings


@pytest.fixture
def story(tmp_path, monkeypatch):
    """A PO created, revised and submitted, in an SQLite file the CLI reads."""
    settings = sqlite_settings(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PROCURA_SQLITE_PATH", str(settings.sqlite_path))
    services = build_services(settings)
    alice = User(create_app(services=services).test_client())
    po = alice.create().get_json()["id"]
    alice.command(po, "revise", 1, po_body(title="Second title"), key="revise-key")
    alice.command(po, "submit", 2, headers={"X-Request-Id": "req-submit-1"})
    services.close()
    return po


def run(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_events_lists_the_stream_with_actor_and_command_ids(story):
    lines = run("events", story).splitlines()
    assert lines[0].split("\t") == ["version", "occurred_at", "type", "actor", "command_id", "correlation_id"]
    assert [line.split("\t")[2] for line in lines[1:]] == ["Created", "Revised", "Submitted"]
    assert lines[2].split("\t")[4] == "revise-key"


def test_events_json_gives_one_parseable_object_per_event_with_payloads(story):
    rows = [json.loads(line) for line in run("events", story, "--json").splitlines()]
    assert rows[1]["data"]["title"] == "Second title" and rows[2]["correlation_id"] == "req-submit-1"


def test_state_shows_the_po_as_it_stood_at_a_version(story):
    assert json.loads(run("state", story, "--version", "1"))["title"] == "Laptops for new hires"
    assert json.loads(run("state", story))["status"] == "submitted"


def test_state_diff_lists_only_the_fields_that_changed(story):
    changed = {line.split("\t")[0] for line in run("state", story, "--diff", "1", "3").splitlines()[1:]}
    assert changed == {"title", "status", "version", "updated_at"}


def test_trace_finds_every_event_written_under_a_request_id(story):
    rows = [json.loads(line) for line in run("trace", "req-submit-1", "--json").splitlines()]
    assert [(r["aggregate_id"], r["type"]) for r in rows] == [(story, "Submitted")]


def test_trace_of_an_unknown_id_says_so_and_fails(story):
    result = CliRunner().invoke(main, ["trace", "nobody-knows"])
    assert result.exit_code == 1 and "nothing was written" in result.output


def test_the_committed_behaviour_catalogue_is_up_to_date(tmp_path):
    from pathlib import Path

    generated = tmp_path / "behaviour.md"
    run("docs", "behaviour", "--output", str(generated))
    committed = Path(__file__).resolve().parents[2] / "docs" / "integrators" / "behaviour.md"
    assert committed.read_text() == generated.read_text(), "run `procura docs behaviour` and commit the result"
