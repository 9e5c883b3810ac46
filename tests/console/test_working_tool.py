"""The console as a working tool, in Chromium, against a real `procura
serve` and `procura worker` on PostgreSQL (with the fake Acme supplier for
placements), one server and one seeded data set for the module: the PO list
(the API's answer for the same filters, its cursor page by page, a deep link
that carries the filters, a CSV of the rows shown, local times with UTC on
hover, pick lists), the way from a report's figure to the POs behind it, a
PO's line items as a table, and a navigation that offers only the pages the
caller's roles may open."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from app.console.demo_users import ORG, USERS
from app.http.auth import mint_token
from partners.acme_fake import AcmeFake
from testkit.server import running_server, running_worker
from tests.conftest import SECRET, po_body
from tests.console.conftest import API_KEY, EXTRA_USERS, WEBHOOK_SECRET, Caller, Console, _created, _line, _moved
from tests.console.test_console import _table_rows

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def console(module_pg_database_url):
    """`procura serve` and `procura worker` on their own database, placing with the fake Acme."""
    fake = AcmeFake(api_key=API_KEY, callback_url="http://127.0.0.1:9/unset", webhook_secret=WEBHOOK_SECRET,
                    port=0).start()
    env = {"DATABASE_URL": module_pg_database_url, "PROCURA_JWT_SECRET": SECRET,
           "PROCURA_SUPPLIER_URL": fake.url, "PROCURA_SUPPLIER_API_KEY": API_KEY,
           "PROCURA_WEBHOOK_SECRETS": f"acme={WEBHOOK_SECRET}"}
    try:
        with running_server(env, workers=1, threads=4) as base, running_worker(env):
            callers = {name: Caller(base, name, mint_token(SECRET, sub=name, org=ORG, **user))
                       for name, user in {**USERS, **EXTRA_USERS}.items()}
            yield Console(base, fake, callers)
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def seeded(console) -> Console:
    """Placed POs in marketing and engineering, one approved, one waiting for approval."""
    mia, max_, alice, bob, carol = (console[n] for n in ("mia", "max", "alice", "bob", "carol"))
    booth = _created(mia, "Trade-show booth", _line("BOOTH-1", 1, "2400.00"), _line("BANNER", 4, "120.25"))
    scope = _created(alice, "Lab oscilloscope", _line("OSC-4", 1, "1200.00"))
    desks = _created(alice, "Standing desks", _line("DSK-1", 2, "499.50"), _line("MAT-1", 2, "19.90"))
    waiting = _created(alice, "Laptops for new hires", _line("LAP-14", 3, "1249.00"))
    for requester, approver, po_id in ((mia, max_, booth), (alice, bob, scope), (alice, bob, desks)):
        _moved(requester, po_id, "submit", 1)
        _moved(approver, po_id, "approve", 2)
    _moved(alice, waiting, "submit", 1)
    for po_id in (booth, scope):
        _moved(carol, po_id, "place", 3)
        console.po_when(po_id, "placed")
    console.po_ids.update(booth=booth, scope=scope, desks=desks, waiting=waiting)
    console.settled()
    return console


def _api_rows(caller, query: str) -> tuple[list[list[str]], str | None]:
    page = caller.get(f"/purchase-orders?{query}").json()
    return [[i["title"], i["status"], i["total"], i["currency"], i["department"] or "–", i["supplier_id"],
             i["requester"]] for i in page["items"]], page["next_cursor"]


def _shown(tab) -> list[list[str]]:
    return [r[:7] for r in _table_rows(tab, "#po-table")]


def test_the_po_list_shows_the_apis_answer_for_the_same_filters(seeded, tab):
    query = "status=submitted,approved,placed&department=engineering&sort=-total"
    expected, _ = _api_rows(seeded["dave"], query)
    assert len(expected) == 3  # the desks, the laptops and the oscilloscope
    tab.sign_in(seeded["dave"])
    tab.open(f"/console/purchase-orders?{query}")
    assert _shown(tab) == expected
    assert tab.page.input_value("#department") == "engineering"
    assert tab.page.locator("#list-filters input[name=status]:checked").count() == 3


def test_the_search_box_and_filters_give_a_deep_link_that_opened_fresh_shows_the_same_list(
        seeded, tab, browser_context):
    tab.sign_in(seeded["root"])
    tab.open("/console/purchase-orders")
    tab.page.fill("#q", "desk")
    tab.page.check("#list-filters input[name=status][value=approved]")
    tab.page.select_option("#sort", "total")
    tab.page.get_by_role("button", name="Apply filters").click()
    tab.page.wait_for_url("**q=desk**")
    tab.page.wait_for_selector("body[data-ready='true']")
    shown = _shown(tab)
    assert shown == _api_rows(seeded["root"], "q=desk&status=approved&sort=total")[0]
    assert [row[0] for row in shown] == ["Standing desks"]

    fresh = browser_context.new_page()  # another tab: signed in anew, nothing carried over but the URL
    try:
        fresh.goto(seeded.base + "/console/sign-in")
        fresh.evaluate("token => sessionStorage.setItem('procura.token', token)", seeded["root"].token)
        fresh.goto(tab.page.url)
        fresh.wait_for_selector("body[data-ready='true']")
        assert [r[:7] for r in _table_rows(type(tab)(fresh, seeded.base, []), "#po-table")] == shown
        assert fresh.input_value("#q") == "desk" and fresh.input_value("#sort") == "total"
    finally:
        fresh.close()


def test_next_page_follows_the_apis_cursor_and_keeps_the_filters(seeded, tab):
    first, cursor = _api_rows(seeded["root"], "limit=2&sort=created_at")
    second, _ = _api_rows(seeded["root"], f"limit=2&sort=created_at&cursor={cursor}")
    tab.sign_in(seeded["root"])
    tab.open("/console/purchase-orders?limit=2&sort=created_at")
    assert _shown(tab) == first
    tab.page.get_by_role("link", name="Next page").click()
    tab.page.wait_for_url("**cursor=**")
    tab.page.wait_for_selector("body[data-ready='true']")
    assert _shown(tab) == second
    assert tab.page.input_value("#sort") == "created_at"


def test_the_list_csv_holds_the_rows_shown_with_times_in_utc(seeded, tab):
    items = seeded["root"].get("/purchase-orders?sort=created_at").json()["items"]
    tab.sign_in(seeded["root"])
    tab.open("/console/purchase-orders?sort=created_at")
    with tab.page.expect_download() as download:
        tab.page.get_by_role("button", name="Download CSV: Purchase orders matching the filters").click()
    assert download.value.suggested_filename == "purchase-orders.csv"
    with open(download.value.path(), encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0][:3] == ["Title", "Status", "Total"]
    assert [(r[0], r[2], r[7]) for r in rows[1:]] == [(i["title"], i["total"], i["created_at"]) for i in items]


def test_a_title_a_spreadsheet_would_take_for_a_formula_is_quoted_in_the_lists_csv(seeded, tab):
    _created(seeded["alice"], "=HYPERLINK(\"http://x\")", _line("EVIL-1", 1, "1.00"))
    tab.sign_in(seeded["alice"])
    tab.open("/console/purchase-orders?q=hyperlink")
    with tab.page.expect_download() as download:
        tab.page.get_by_role("button", name="Download CSV: Purchase orders matching the filters").click()
    with open(download.value.path(), encoding="utf-8") as file:
        assert [row[0] for row in csv.reader(file)] == ["Title", "'=HYPERLINK(\"http://x\")"]


def test_a_time_is_shown_in_local_time_with_utc_on_hover(seeded, tab):
    item = seeded["root"].get("/purchase-orders?sort=created_at&limit=1").json()["items"][0]
    tab.page.context.clear_cookies()
    tab.sign_in(seeded["root"])
    tab.open("/console/purchase-orders?sort=created_at&limit=1")
    moment = tab.page.locator("#po-table tbody tr td:nth-child(8) time")
    assert moment.get_attribute("title") == f"{item['created_at']} (UTC)"
    assert moment.get_attribute("datetime") == item["created_at"]
    assert "T" not in moment.inner_text()  # the browser's own format, not the ISO text


def _offered(tab) -> list[str]:
    return [link.inner_text() for link in tab.page.locator("header nav li:not([hidden]) a").all()]


def test_a_requesters_navigation_lacks_the_pages_it_cannot_open(seeded, tab):
    tab.sign_in(seeded["alice"])
    tab.open("/console")
    assert _offered(tab) == ["Purchase orders"]


def test_an_approvers_navigation_offers_the_queue_but_not_the_reports(seeded, tab):
    tab.sign_in(seeded["bob"])
    tab.open("/console")
    assert _offered(tab) == ["Purchase orders", "Approval queue"]


def _options(tab, datalist: str) -> list[str]:
    tab.page.locator(f"#{datalist} option").first.wait_for(state="attached")
    return tab.page.eval_on_selector_all(f"#{datalist} option", "options => options.map(o => o.value)")


def test_the_department_and_supplier_fields_offer_the_apis_pick_lists(seeded, tab):
    choices = seeded["dave"].get("/purchase-orders/choices").json()
    assert choices["departments"] == ["engineering", "marketing"]
    tab.sign_in(seeded["dave"])
    tab.open("/console/purchase-orders")
    assert tab.page.get_attribute("#department", "list") == "department-choices"
    assert (_options(tab, "department-choices"), _options(tab, "supplier-choices")) == (
        choices["departments"], choices["suppliers"])


# --- from a figure to the POs behind it


def _listed(tab) -> list[list[str]]:
    tab.page.wait_for_url("**/console/purchase-orders?**")
    tab.page.wait_for_selector("body[data-ready='true']")
    return _table_rows(tab, "#po-table")


def _group(report: dict, name: str) -> dict:
    return next(g for g in report["groups"] if g["group"] == name)


def test_a_spend_bar_opens_the_list_of_exactly_the_pos_behind_it(seeded, tab):
    report = seeded["dave"].get("/reports/spend?group_by=department").json()
    engineering = _group(report, "engineering")
    tab.sign_in(seeded["dave"])
    tab.open("/console/spend?group_by=department")
    tab.page.locator("#spend-chart rect[data-group='engineering'][data-measure='approved']").click()
    rows = _listed(tab)
    assert sorted(r[0] for r in rows) == ["Lab oscilloscope", "Standing desks"]
    assert (len(rows), sum(Decimal(r[2]) for r in rows)) == (engineering["approved_count"],
                                                             Decimal(engineering["approved_total"]))
    assert "department=engineering" in tab.page.url


def test_a_spend_tables_placed_count_opens_the_list_of_the_placed_pos_of_that_supplier(seeded, tab):
    report = seeded["dave"].get("/reports/spend?group_by=supplier").json()
    (acme,) = report["groups"]
    tab.sign_in(seeded["dave"])
    tab.open("/console/spend?group_by=supplier")
    tab.page.locator("#spend-table tbody tr").first.locator("td").nth(5).get_by_role("link").click()
    rows = _listed(tab)
    assert sorted(r[0] for r in rows) == ["Lab oscilloscope", "Trade-show booth"]
    assert (len(rows), sum(Decimal(r[2]) for r in rows)) == (acme["placed_count"], Decimal(acme["placed_total"]))
    assert {r[5] for r in rows} == {acme["group"]}


def test_a_cycle_time_bucket_opens_the_list_of_the_departments_decided_pos(seeded, tab):
    tab.sign_in(seeded["dave"])
    tab.open("/console/cycle-times?department=engineering")
    tab.page.locator("#cycle-chart a rect.bar").first.click()
    rows = _listed(tab)
    expected = seeded["dave"].get("/purchase-orders?department=engineering&status=approved,placing,placed,"
                                  "placement_failed,received,rejected").json()["items"]
    assert [r[0] for r in rows] == [i["title"] for i in expected] == ["Standing desks", "Lab oscilloscope"]


# --- a PO's page


def test_a_pos_line_items_are_a_table_with_exact_amounts(seeded, tab):
    booth = seeded.po_ids["booth"]
    lines = seeded["root"].get(f"/purchase-orders/{booth}").json()["lines"]
    tab.sign_in(seeded["root"])
    tab.open(f"/console/purchase-orders/{booth}")
    assert _table_rows(tab, "#lines") == [
        [line["sku"], line["description"], str(line["quantity"]), line["unit"], line["unit_price"], amount]
        for line, amount in zip(lines, ["2400.00", "481.00"], strict=True)]
    with tab.page.expect_download() as download:
        tab.page.get_by_role("button", name="Download CSV: Line items now").click()
    with open(download.value.path(), encoding="utf-8") as file:
        assert [row[0] for row in csv.reader(file)] == ["SKU", "BOOTH-1", "BANNER"]


def test_a_revision_of_the_lines_shows_the_lines_before_and_after_as_tables(seeded, tab):
    alice = seeded["alice"]
    po_id = _created(alice, "Chairs", _line("CHAIR-1", 3, "89.99"))
    _moved(alice, po_id, "revise", 1, body=po_body(title="Chairs", lines=[_line("CHAIR-2", 4, "0.35")]))
    tab.sign_in(alice)
    tab.open(f"/console/purchase-orders/{po_id}")
    revised = tab.page.locator("#steps > li[data-type='Revised'] table.diff")
    assert [r[0] for r in _table_rows(tab, "#steps > li[data-type='Revised'] table.lines")] == ["CHAIR-1", "CHAIR-2"]
    assert "269.97" in revised.inner_text() and "1.40" in revised.inner_text()
