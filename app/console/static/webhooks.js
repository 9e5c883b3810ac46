// The console's webhooks page (docs/integrators/webhooks.md): an org's endpoints with
// their health, an endpoint's deliveries with every attempt, and a button to
// send a delivery again. Loaded after console.js, whose helpers it uses.
"use strict";

/** How many of an endpoint's newest deliveries its health is read from: one page of the API. */
const RECENT_DELIVERIES = 50;

function endpointPath(id, rest) {
  return `/webhook-endpoints/${encodeURIComponent(id)}${rest || ""}`;
}

async function apiPost(path) {
  const headers = { Accept: "application/json", ...authHeaders() };
  const response = await fetch(path, { method: "POST", headers });
  let answer = null;
  try { answer = await response.json(); } catch (ignored) { answer = null; }
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}

/**
 * Health from the endpoint's newest deliveries: each holds its number of
 * attempts and how the last one went; a delivery whose last attempt
 * succeeded counts one success, every other attempt a failure.
 */
function health(endpoint, deliveries) {
  const attempts = deliveries.reduce((sum, delivery) => sum + delivery.attempts, 0);
  const succeeded = deliveries.filter((d) => d.last_status !== null && d.last_status >= 200 && d.last_status < 300).length;
  const failed = deliveries.filter((d) => d.last_error && d.last_attempt_at)
    .sort((a, b) => (a.last_attempt_at < b.last_attempt_at ? 1 : -1))[0];
  const due = deliveries.filter((d) => d.status === "pending" && d.next_attempt_at)
    .map((d) => d.next_attempt_at).sort()[0];
  return {
    attempts,
    succeeded,
    rate: attempts ? `${Math.round((100 * succeeded) / attempts)}% of ${attempts}` : "no attempts yet",
    lastError: failed ? el("span", null, failed.last_error, " (", when(failed.last_attempt_at), ")") : "–",
    next: !endpoint.enabled ? "none while disabled" : due ? when(due) : "–",
  };
}

function endpointState(endpoint) {
  if (endpoint.enabled) return "enabled";
  return endpoint.disabled_reason ? `disabled: ${endpoint.disabled_reason}` : "disabled";
}

async function endpointRow(endpoint) {
  const recent = await api(endpointPath(endpoint.id, `/deliveries?limit=${RECENT_DELIVERIES}`));
  const figures = health(endpoint, recent.items);
  const link = el("a", { href: `/console/webhooks?${new URLSearchParams({ endpoint: endpoint.id })}` }, endpoint.url);
  const tr = row(link, endpoint.event_types.length ? endpoint.event_types.join(", ") : "every type",
    endpointState(endpoint), figures.rate, figures.lastError, figures.next, when(endpoint.failing_since));
  Object.assign(tr.dataset, { endpointId: endpoint.id, enabled: String(endpoint.enabled),
    attempts: String(figures.attempts), succeeded: String(figures.succeeded) });
  return tr;
}

function attemptsTable(log) {
  const table = el("table", { class: "attempts" }, el("caption", null, "Attempts, oldest first"),
    el("thead", null, el("tr", null, ...["#", "Time", "Status", "Latency", "Error"].map(
      (name) => el("th", { scope: "col" }, name)))));
  const body = el("tbody");
  for (const attempt of log) {
    body.append(row(attempt.number, when(attempt.attempted_at), attempt.status === null ? "no answer" : attempt.status,
      `${attempt.latency_ms} ms`, text(attempt.error)));
  }
  table.append(body);
  return table;
}

/** A delivery's attempts, read when its row is opened (one request per delivery looked at). */
function attemptsDetails(endpointId, delivery) {
  const details = el("details", { class: "attempt-log" }, el("summary", null, `${delivery.attempts} attempts`));
  details.addEventListener("toggle", async () => {
    if (!details.open || details.dataset.loaded) return;
    details.dataset.loaded = "true";
    try {
      const shown = await api(endpointPath(endpointId, `/deliveries/${encodeURIComponent(delivery.id)}`));
      details.append(attemptsTable(shown.attempt_log));
    } catch (error) {
      delete details.dataset.loaded;
      explain(error);
    }
  });
  return details;
}

function deliveryRow(endpointId, delivery) {
  const button = el("button", { type: "button", class: "redeliver", "aria-label": `Redeliver ${delivery.id}` },
    "Redeliver");
  const tr = row(el("code", null, delivery.id), delivery.type, poLink(delivery.po_id), delivery.position,
    delivery.status, attemptsDetails(endpointId, delivery), when(delivery.next_attempt_at), button);
  Object.assign(tr.dataset, { webhookId: delivery.id, status: delivery.status });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const again = await apiPost(endpointPath(endpointId, `/deliveries/${encodeURIComponent(delivery.id)}/redeliver`));
      tr.dataset.status = again.status;
      tr.cells[4].textContent = again.status;
      tr.cells[6].replaceChildren(when(again.next_attempt_at));
      document.getElementById("redelivered").textContent =
        `${again.id} is queued to be sent again, with the same webhook-id.`;
    } catch (error) {
      explain(error);
    } finally {
      button.disabled = false;
    }
  });
  return tr;
}

/** A list the API pages: the first page now, the next ones when `button` is pressed. */
function paged(button, path, show) {
  let cursor = null;
  async function next() {
    const separator = path.includes("?") ? "&" : "?";
    const page = await api(cursor ? `${path}${separator}cursor=${encodeURIComponent(cursor)}` : path);
    await show(page.items);
    cursor = page.next_cursor;
    button.hidden = !cursor;
  }
  button.addEventListener("click", async () => {
    button.disabled = true;
    try { await next(); } catch (error) { explain(error); } finally { button.disabled = false; }
  });
  return next;
}

async function webhooksPage() {
  const endpoints = document.querySelector("#endpoints-table tbody");
  const firstEndpoints = paged(document.getElementById("more-endpoints"), "/webhook-endpoints?limit=20",
    async (items) => endpoints.append(...await Promise.all(items.map(endpointRow))));
  const endpointId = document.body.dataset.endpointId;
  await load(async () => {
    await firstEndpoints();
    if (!endpoints.children.length) say("info", "Your org has no webhook endpoints yet (POST /webhook-endpoints).");
    if (!endpointId) return;
    const endpoint = await api(endpointPath(endpointId));
    document.getElementById("endpoint-url").textContent = endpoint.url;
    const deliveries = document.querySelector("#deliveries-table tbody");
    await paged(document.getElementById("more-deliveries"), endpointPath(endpointId, "/deliveries?limit=50"),
      async (items) => deliveries.append(...items.map((delivery) => deliveryRow(endpointId, delivery))))();
  });
}

PAGES.webhooks = webhooksPage;
