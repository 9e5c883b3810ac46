// The PO list page (/console/purchase-orders): GET /purchase-orders with the
// filters, search, sort and page held in the page's own URL, under the same
// names, so a link to the page is a link to the same list. Uses console.js's
// helpers and registers itself in its PAGES.
"use strict";

const LIST_PARAMS = ["q", "status", "department", "supplier_id", "requester", "created_from", "created_to",
  "min_total", "max_total", "sort", "limit", "cursor"];

/** The API's query for the page's URL: its non-empty list parameters (statuses comma-joined). */
function listQuery(query) {
  const out = new URLSearchParams();
  for (const name of LIST_PARAMS) {
    const values = query.getAll(name).flatMap((value) => value.split(",")).filter(Boolean);
    if (values.length) out.set(name, values.join(","));
  }
  return out;
}

/** Put the URL's filters back into the form: check the statuses it names, fill the rest. */
function restoreListFilters(query) {
  const statuses = new Set(query.getAll("status").flatMap((value) => value.split(",")));
  document.querySelectorAll("#list-filters [name]").forEach((input) => {
    if (input.type === "checkbox") input.checked = statuses.has(input.value);
    else if (query.has(input.name)) input.value = query.get(input.name);
  });
}

/** This page's URL with `cursor` in place of the current one (none: the first page). */
function pageLink(query, cursor) {
  const next = listQuery(query);
  next.delete("cursor");
  if (cursor) next.set("cursor", cursor);
  return `?${next}`;
}

function orderRow(item) {
  const tr = row(el("a", { href: `/console/purchase-orders/${encodeURIComponent(item.id)}` }, item.title),
    item.status, item.total, item.currency, text(item.department), item.supplier_id,
    item.requester, when(item.created_at), when(item.updated_at));
  tr.dataset.id = item.id;
  return tr;
}

async function purchaseOrdersPage() {
  const query = pageQuery();
  restoreListFilters(query);
  await load(async () => {
    const found = await api(`/purchase-orders?${listQuery(query)}`);
    fill(document.querySelector("#po-table tbody"), found.items.map(orderRow));
    const next = document.getElementById("next-page");
    next.hidden = !found.next_cursor;
    if (found.next_cursor) next.href = pageLink(query, found.next_cursor);
    const first = document.getElementById("first-page");
    first.hidden = !query.get("cursor");
    first.href = pageLink(query, null);
    document.getElementById("list-shown").textContent = found.items.length
      ? `${found.items.length} purchase orders${found.next_cursor ? ", more on the next page" : ""}.`
      : "";
    if (!found.items.length) say("info", "No purchase order you may see matches these filters.");
  });
}

PAGES["purchase-orders"] = purchaseOrdersPage;
