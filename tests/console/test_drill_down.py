"""From a report's figure to the POs behind it, in a real browser: a spend bar
or a spend table's count opens the PO list with the matching filters, and
that list is exactly the POs the figure counts; a cycle-time bucket opens
the list of the department's decided POs."""

from __future__ import annotations

from decimal import Decimal

from tests.console.test_console import _table_rows


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
    assert [r[0] for r in rows] == [i["title"] for i in expected] == ["Lab oscilloscope", "Standing desks"]
