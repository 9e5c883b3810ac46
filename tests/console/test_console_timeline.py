"""Support's view of one PO in a real browser: its timeline shows every
step the API records, in order, with each refusal's problem one click away."""

from __future__ import annotations

import re

#: What the story PO went through (tests/console/conftest.py `_story`).
STORY = ["event:Created", "event:Submitted", "refusal:/problems/version-conflict", "event:Approved",
         "event:PlacementRequested", "event:PlacementFailed", "event:PlacementRequested", "event:Placed"]


def _steps(tab) -> list[str]:
    return tab.page.eval_on_selector_all("#steps > li", "items => items.map(i => `${i.dataset.kind}:${i.dataset.type}`)")


def _expected(timeline: dict) -> list[str]:
    return [f"event:{s['type']}" if s["kind"] == "event" else f"refusal:{s['problem']['type']}"
            for s in timeline["steps"]]


def test_the_timeline_shows_a_conflict_a_retry_and_a_failed_then_successful_placement_in_order(seeded, tab):
    story = seeded.po_ids["story"]
    timeline = seeded["erin"].get(f"/purchase-orders/{story}/timeline").json()
    tab.sign_in(seeded["erin"])
    tab.open(f"/console/purchase-orders/{story}")
    shown = _steps(tab)
    assert shown == _expected(timeline)
    assert [step for step in shown if step in STORY] == STORY
    steps = tab.page.inner_text("#steps")
    assert len(re.findall(r"story-approve(?![\w-])", steps)) == 1  # the retried approval is one step, not two
    assert "story-place-1" in steps and "story-place-2" in steps
    assert tab.page.locator("#operations tbody tr").count() == 2


def test_a_refusals_problem_is_one_click_away_on_the_timeline(seeded, tab):
    story = seeded.po_ids["story"]
    tab.sign_in(seeded["erin"])
    tab.open(f"/console/purchase-orders/{story}")
    refusal = tab.page.locator("#steps > li[data-kind='refusal']").first
    assert not refusal.locator("details.problem pre").is_visible()
    refusal.locator("details.problem summary").click()
    assert '"current_version"' in refusal.locator("details.problem pre").inner_text()
    assert refusal.get_by_role("link", name=re.compile("version-conflict")).get_attribute("href") == \
        "/problems/version-conflict"


def test_the_state_at_each_version_is_one_click_away_on_the_timeline(seeded, tab):
    story = seeded.po_ids["story"]
    tab.sign_in(seeded["erin"])
    tab.open(f"/console/purchase-orders/{story}")
    submitted = tab.page.locator("#steps > li[data-type='Submitted']")
    submitted.get_by_text("State at version 2").click()
    assert '"status": "submitted"' in submitted.locator("details.state pre").inner_text()
