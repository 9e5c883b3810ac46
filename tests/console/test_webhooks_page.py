"""The console's webhooks page in Chromium, against a real `procura serve`
and `procura worker` on PostgreSQL sending to real receivers: an admin sees
each endpoint's health and a delivery's attempts, and a Redeliver press sends
the delivery again with its webhook-id; anyone else sees no link to the page
and the API's refusal in words."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from testkit.receiver import Receiver
from testkit.server import running_server, wait_until
from tests.console.conftest import Tab
from tests.webhooks.test_worker_delivery import ENV, Org, worker

pytestmark = pytest.mark.postgres

#: A failed attempt is retried after a second, then not for an hour: the page shows that next attempt.
SCHEDULE = {"PROCURA_WEBHOOK_RETRY_SCHEDULE": "0,1s,1h"}


@pytest.fixture(scope="module")
def live(module_pg_database_url):
    with running_server({**ENV, **SCHEDULE, "DATABASE_URL": module_pg_database_url}, workers=1, threads=4) as base, \
            worker(module_pg_database_url, **SCHEDULE):
        yield base


@pytest.fixture
def tab(browser, live, request):
    """A fresh tab whose screenshot is saved after the test (artifacts/console)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    opened = Tab(page, live, errors)
    yield opened
    opened.screenshot(request.node.name)
    context.close()


def signed_in(tab: Tab, user) -> Tab:
    tab.sign_in(SimpleNamespace(token=user.auth["Authorization"].removeprefix("Bearer ")))
    # The sign-in page's 404 for demo users (they exist only on the embedded default), once it has come.
    tab.page.wait_for_selector("body[data-ready='true']")
    tab.errors.clear()
    return tab


def deliveries(org: Org, endpoint: dict, status: str) -> list[dict]:
    return org.admin.get(f"/webhook-endpoints/{endpoint['id']}/deliveries?status={status}").get_json()["items"]


def settled(org: Org, endpoint: dict, status: str, attempts: int) -> dict:
    """The endpoint's one delivery once it is `status` after `attempts` attempts."""
    def done():
        found = [d for d in deliveries(org, endpoint, status) if d["attempts"] == attempts]
        return found[0] if found else None
    return wait_until(done, timeout=15, what=f"a delivery {status} after {attempts} attempts")


@pytest.fixture(scope="module")
def endpoints(live):
    """An org with an endpoint that failed once then recovered, and one that answers 500."""
    org = Org(live)
    with Receiver(reply=lambda n, d: (503, {}, b"busy") if n == 0 else (200, {}, b"fine")) as flaky, \
            Receiver(reply=lambda n, d: (500, {}, b"down")) as broken:
        recovered, failing = org.endpoint(flaky, "purchase_order.created"), org.endpoint(broken, "purchase_order.created")
        org.requester.create()
        yield org, flaky, settled(org, recovered, "delivered", 2), recovered, failing


def endpoint_row(tab: Tab, endpoint: dict):
    return tab.page.locator(f"#endpoints-table tbody tr[data-endpoint-id='{endpoint['id']}']")


def test_an_admin_sees_each_endpoints_success_rate_last_error_and_next_attempt(endpoints, tab):
    org, _, _, recovered, failing = endpoints
    settled(org, failing, "pending", 2)
    signed_in(tab, org.admin).open("/console/webhooks")
    healthy, down = (endpoint_row(tab, e).locator("td") for e in (recovered, failing))
    assert healthy.nth(3).inner_text() == "50% of 2"
    assert healthy.nth(4).inner_text() == "–"
    assert down.nth(2).inner_text() == "enabled"
    assert down.nth(3).inner_text() == "0% of 2"
    assert down.nth(4).inner_text().startswith("answered 500")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", down.nth(5).locator("time").get_attribute("datetime"))
    assert down.nth(6).inner_text() != "–"  # failing since the first attempt
    assert tab.errors == []


def test_an_admin_sees_every_attempt_of_a_delivery_with_its_status_latency_and_error(endpoints, tab):
    org, _, delivery, recovered, _ = endpoints
    signed_in(tab, org.admin).open("/console/webhooks")
    endpoint_row(tab, recovered).get_by_role("link", name=recovered["url"]).click()
    tab.page.wait_for_selector("body[data-ready='true']")
    shown = tab.page.locator(f"#deliveries-table tbody tr[data-webhook-id='{delivery['id']}']")
    shown.locator("summary").click()
    attempts = shown.locator("table.attempts tbody tr")
    attempts.nth(1).wait_for()
    cells = [[attempts.nth(i).locator("td").nth(c).inner_text() for c in (0, 2, 4)] for i in range(attempts.count())]
    assert cells == [["1", "503", "answered 503"], ["2", "200", "–"]]
    assert re.fullmatch(r"\d+ ms", attempts.nth(0).locator("td").nth(3).inner_text())
    assert tab.errors == []


def test_redelivering_from_the_page_sends_the_delivery_again_with_the_same_webhook_id(endpoints, tab):
    org, flaky, delivery, recovered, _ = endpoints
    before = len(flaky.deliveries())
    signed_in(tab, org.admin).open(f"/console/webhooks?endpoint={recovered['id']}")
    tab.page.get_by_role("button", name=f"Redeliver {delivery['id']}").click()
    tab.page.get_by_role("status").filter(has_text="queued to be sent again").wait_for()
    wait_until(lambda: len(flaky.deliveries()) > before, timeout=15, what="the redelivery")
    assert [d.webhook_id for d in flaky.deliveries()[before:]] == [delivery["id"]]


def test_the_page_has_no_serious_or_critical_accessibility_violations(endpoints, tab):
    from axe_playwright_python.sync_playwright import Axe

    org, _, delivery, recovered, _ = endpoints
    signed_in(tab, org.admin).open(f"/console/webhooks?endpoint={recovered['id']}")
    tab.page.locator(f"tr[data-webhook-id='{delivery['id']}'] summary").click()
    tab.page.locator("table.attempts tbody tr").first.wait_for()
    violations = Axe().run(tab.page).response["violations"]
    assert [(v["id"], v["impact"]) for v in violations if v["impact"] in ("serious", "critical")] == []


def test_only_admins_see_the_link_to_the_webhooks_page(endpoints, tab):
    org = endpoints[0]
    signed_in(tab, org.requester).open("/console")
    assert tab.page.get_by_role("link", name="Webhooks").count() == 0
    signed_in(tab, org.admin).open("/console")
    assert tab.page.get_by_role("link", name="Webhooks").is_visible()


def test_a_non_admin_on_the_webhooks_page_is_told_the_api_refused_them(endpoints, tab):
    signed_in(tab, endpoints[0].approver).open("/console/webhooks")
    message = tab.page.locator("#message").inner_text()
    assert "403" in message and "admin" in message
    assert tab.page.locator("#endpoints-table").is_hidden()


def test_the_page_loads_every_endpoints_health_within_a_share_of_one_request_in_flight(browser, pg_database_url):
    # Each endpoint's row asks for its deliveries: sent all at once, the edge
    # would refuse all but one of them (429) on a server whose share is one.
    env = {**ENV, "DATABASE_URL": pg_database_url, "PROCURA_MAX_IN_FLIGHT_PER_CALLER": "1"}
    with running_server(env, workers=1, threads=4) as base, Receiver() as receiver:
        org = Org(base)
        made = [org.endpoint(receiver, "purchase_order.created") for _ in range(8)]
        context = browser.new_context()
        try:
            errors: list[str] = []
            page = context.new_page()
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            tab = signed_in(Tab(page, base, errors), org.admin)
            tab.open("/console/webhooks")
            shown = tab.page.locator("#endpoints-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.endpointId)")
        finally:
            context.close()
    assert sorted(shown) == sorted(e["id"] for e in made)
    assert errors == []
