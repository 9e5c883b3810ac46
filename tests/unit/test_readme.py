"""The README stays a short house a newcomer can walk: at most 250 lines,
its walkthrough the one `procura seed-demo` (so `scripts/run`) prints, with
a token for every demo user, and every link it has leading to a file."""

from __future__ import annotations

import re

from app.cli import _curl_examples
from app.console.demo_users import USERS
from app.tools.walkthrough import STEPS
from testkit.walkthrough import README, readme_steps

ROOT = README.parent
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_readme_is_at_most_250_lines():
    assert len(README.read_text().splitlines()) <= 250


def test_the_readme_walkthrough_is_the_one_seed_demo_prints():
    assert readme_steps() == [(step.says, step.command) for step in STEPS]


def test_seed_demo_prints_a_token_for_every_demo_user_and_every_walkthrough_step():
    printed = _curl_examples("http://127.0.0.1:8000", {name: f"token-of-{name}" for name in USERS}, ["a", "b", "c"])
    assert "export PROCURA=http://127.0.0.1:8000\n" in printed
    for name in USERS:
        assert f"export {name.upper()}=token-of-{name} " in printed
    for step in STEPS:
        assert f"{step.says}\n{step.command}\n" in printed


def test_every_link_in_the_readme_leads_to_a_file_of_the_repository():
    targets = [t for t in LINK.findall(README.read_text()) if "://" not in t]
    assert targets and [t for t in targets if not (ROOT / t).is_file()] == []
