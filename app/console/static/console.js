// The Procura console: every figure comes from Procura's JSON API, called as
// the person signed in (the session cookie of the identity provider's sign-in
// with its CSRF token, or a bearer token pasted into this tab), so a page
// shows exactly what the API lets them read. Text from the API is only ever set as textContent (never parsed as
// HTML), so stored values cannot inject markup.
"use strict";

const TOKEN_KEY = "procura.token";
const SVG = "http://www.w3.org/2000/svg";

// ---------------------------------------------------------------- helpers

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function svg(tag, attributes, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

function row(...cells) {
  return el("tr", null, ...cells.map((cell) => el("td", null, cell)));
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function show(selector) {
  document.querySelectorAll(selector).forEach((node) => { node.hidden = false; });
}

function text(value) {
  return value === null || value === undefined || value === "" ? "–" : String(value);
}

const LOCAL_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** A time in the browser's local time zone, with the API's UTC time on hover (and in a table's CSV). */
function when(value) {
  if (!value) return "–";
  const moment = new Date(value);
  if (Number.isNaN(moment.getTime())) return String(value);
  // The API's own text (to the microsecond; a Date keeps milliseconds only).
  return el("time", { datetime: value, title: `${value} (UTC)` }, LOCAL_TIME.format(moment));
}

function age(since) {
  const minutes = Math.max(0, Math.floor((Date.now() - new Date(since).getTime()) / 60000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

function poLink(id) {
  return id ? el("a", { href: `/console/purchase-orders/${encodeURIComponent(id)}` }, id) : "–";
}

// ---------------------------------------------------------------- who is signed in

/** The identity provider's session, as GET /console/session says (shared by every tab). */
let SESSION = { signed_in: false, provider: false };

async function loadSession() {
  try {
    const response = await fetch("/console/session", { headers: { Accept: "application/json" } });
    if (response.ok) SESSION = await response.json();
  } catch (ignored) {
    // The page's own requests say what is wrong, if anything is.
  }
}

/** A bearer token pasted into this tab: it wins over the session while the tab keeps it. */
function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function signedIn() {
  return Boolean(token()) || SESSION.signed_in;
}

/** How the API knows the caller: the tab's token, else the session cookie (sent by the
 * browser) with the session's CSRF token, which only the console's own requests carry. */
function authHeaders() {
  if (token()) return { Authorization: `Bearer ${token()}` };
  if (SESSION.signed_in) return { "X-CSRF-Token": SESSION.csrf_token };
  return {};
}

/** This page, to come back to after signing in. */
function here() {
  return window.location.pathname + window.location.search;
}

function signInLink() {
  return { href: `/console/sign-in?next=${encodeURIComponent(here())}`, text: "Sign in" };
}

/** Where to go once signed in: the console page asked for, never another site. */
function nextPage() {
  const asked = pageQuery().get("next");
  if (!asked) return "/console";
  const target = new URL(asked, window.location.origin);
  const local = target.origin === window.location.origin &&
    (target.pathname === "/console" || target.pathname.startsWith("/console/"));
  return local ? target.pathname + target.search : "/console";
}

/** Renew the session's tokens before they expire; when the provider will not
 * renew them, sign in again there (back to this page) while the session lasts.
 * A renewal refused because another tab renewed first (the refresh token is
 * used once) is looked at again: the browser then holds that tab's cookie. */
function keepSession(retries = 2) {
  if (token() || !SESSION.signed_in) return;
  const previous = SESSION.expires_at;
  const wait = Math.max(1000, SESSION.refresh_at * 1000 - Date.now());
  setTimeout(async () => {
    await loadSession();
    if (!SESSION.signed_in) {
      showWho();
      say("info", "Your session has ended.", "Sign in again to go on.", signInLink());
    } else if (SESSION.expires_at > previous || Date.now() < SESSION.refresh_at * 1000) {
      keepSession();  // renewed, or not yet due by the server's clock
    } else if (retries > 0 && Date.now() < (SESSION.expires_at - 5) * 1000) {
      SESSION.refresh_at = Date.now() / 1000 + 2;
      keepSession(retries - 1);
    } else {
      window.location.assign(`/console/oidc/login?next=${encodeURIComponent(here())}`);
    }
  }, wait);
}

function claims() {
  const value = token();
  if (!value) return null;
  try {
    const payload = value.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload));
  } catch (error) {
    return {};
  }
}

function showWho() {
  const who = token() ? claims() : (SESSION.signed_in ? SESSION : null);
  const known = who !== null;
  document.getElementById("who-text").textContent = known
    ? `Signed in as ${who.sub || "an unknown user"} (${(who.roles || []).join(", ") || "no roles"})`
    : "Not signed in";
  const link = document.getElementById("sign-in-link");
  link.hidden = known;
  if (document.body.dataset.page !== "sign-in") link.href = signInLink().href;
  document.getElementById("sign-out").hidden = !known;
  if (known) offerForRoles(new Set(who.roles || []));
}

async function signOut() {
  if (token()) {
    sessionStorage.removeItem(TOKEN_KEY);
    window.location.assign("/console/sign-in");
    return;
  }
  const response = await fetch("/console/sign-out", { method: "POST", headers: { Accept: "application/json",
    "X-CSRF-Token": SESSION.csrf_token || "" } });
  const answer = response.ok ? await response.json() : { location: "/console/sign-in" };
  window.location.assign(answer.location);
}

/** Show what is marked `data-for-role="a b"` only to a caller holding one of those roles
 * (the API decides what they may read; this only spares them pages that would say 403). */
function offerForRoles(roles) {
  document.querySelectorAll("[data-for-role]").forEach((node) => {
    node.hidden = !node.dataset.forRole.split(" ").some((role) => roles.has(role));
  });
}

// ---------------------------------------------------------------- messages

function say(kind, heading, detail, link) {
  const box = document.getElementById("message");
  box.className = `message ${kind}`;
  box.replaceChildren(el("p", { class: "message-title" }, heading));
  if (detail) box.append(el("p", null, detail));
  if (link) box.append(el("p", null, el("a", { href: link.href }, link.text)));
  box.hidden = false;
}

function clearMessage() {
  const box = document.getElementById("message");
  box.hidden = true;
  box.replaceChildren();
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem && problem.title ? problem.title : `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

/** Tell the user, in words, why a page has no figures. */
function explain(error) {
  const signIn = signInLink();
  if (!(error instanceof ApiError)) {
    say("error", "Procura could not be reached (network error).",
      "Check your connection or whether the server is running, then reload the page.");
    return;
  }
  const problem = error.problem;
  const detail = problem.detail || "";
  if (error.status === 401) {
    say("error", "You are not signed in, or your token was refused (401).", detail, signIn);
  } else if (error.status === 403) {
    const required = Array.isArray(problem.required) ? ` Roles that may: ${problem.required.join(", ")}.` : "";
    say("error", "Your roles do not allow you to see this (403).", detail + required);
  } else if (error.status === 404) {
    say("error", "Not found (404).", detail);
  } else {
    say("error", `${problem.title || "The request failed"} (${error.status}).`, detail);
  }
}

/** API requests a page has in flight at once: the edge refuses a caller's
 * requests beyond its share (PROCURA_MAX_IN_FLIGHT_PER_CALLER: a quarter of the slots, 1 on a small server),
 * and a page may ask for a row's details per row. */
const MAX_IN_FLIGHT = 1;
/** Times a read refused 429 (the share, or a rate) is asked again, after its Retry-After. */
const RETRIES_WHEN_REFUSED = 3;
let inFlight = 0;
const waitingForSlot = [];

async function inTurn(send) {
  if (inFlight < MAX_IN_FLIGHT) inFlight += 1;
  else await new Promise((resolve) => waitingForSlot.push(resolve));  // the slot is handed over
  try { return await send(); } finally {
    const next = waitingForSlot.shift();
    if (next) next(); else inFlight -= 1;
  }
}

function pause(seconds) {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}

async function api(path, accept) {
  const headers = { Accept: accept || "application/json", ...authHeaders() };
  let response = await inTurn(() => fetch(path, { headers }));  // a network failure rejects: explain() says so
  for (let retry = 0; response.status === 429 && retry < RETRIES_WHEN_REFUSED; retry += 1) {
    await pause(Math.min(Number(response.headers.get("Retry-After")) || 1, 10));
    response = await inTurn(() => fetch(path, { headers }));
  }
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch (ignored) { problem = null; }
    throw new ApiError(response.status, problem);
  }
  return accept === "text/csv" ? response.text() : response.json();
}

// ---------------------------------------------------------------- CSV of any table

/** A CSV cell: quoted, and neutralised against formulas as the API's CSV is (OWASP, CSV injection). */
function csvCell(value) {
  const start = value.replace(/^[\s\p{Cc}\p{Cf}\p{Z}]+/u, "").charAt(0);
  const formula = /^[\t\r]/.test(value) || (start !== "" && "=+-@\uff1d\uff0b\uff0d\uff20".includes(start));
  const safe = formula ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** What a cell says in a CSV: a time as its UTC value, anything else as its text. */
function cellValue(cell) {
  const moment = cell.querySelector("time[datetime]");
  const value = moment && cell.textContent.trim() === moment.textContent ? moment.dateTime : cell.textContent.trim();
  return value === "–" ? "" : value;
}

function tableCsv(table) {
  const lines = [...table.querySelectorAll("thead tr, tbody > tr")].map((tr) =>
    [...tr.cells].map((cell) => csvCell(cellValue(cell))).join(","));
  return lines.join("\r\n") + "\r\n";
}

function saveFile(name, type, content) {
  const link = el("a", { href: URL.createObjectURL(new Blob([content], { type })), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

/** A "Download CSV" button under every table marked `data-csv="<file name>"`: the rows as shown. */
function offerCsv() {
  document.querySelectorAll("table[data-csv]").forEach((table) => {
    if (table.nextElementSibling && table.nextElementSibling.classList.contains("csv")) return;
    const caption = table.caption ? table.caption.textContent : "this table";
    const button = el("button", { type: "button", class: "csv-download" }, `Download CSV: ${caption}`);
    button.addEventListener("click", () => saveFile(`${table.dataset.csv}.csv`, "text/csv", tableCsv(table)));
    table.after(el("p", { class: "csv" }, button));
  });
}

/** Run a page's loader: its sections appear only once their data arrived. */
async function load(loader) {
  if (!signedIn()) {
    if (SESSION.expired) say("info", "Your session has expired.", "Sign in again to see this page.", signInLink());
    else say("info", "Sign in to see this page.", "The console reads Procura's API as you.", signInLink());
    return;
  }
  try {
    clearMessage();
    await loader();
    offerCsv();
    show("[data-needs-data]");
  } catch (error) {
    explain(error);
  }
}

// ---------------------------------------------------------------- filters in the URL

function pageQuery() {
  return new URLSearchParams(window.location.search);
}

/** Put the URL's filters back into the form, so a shared or reloaded view is the same view. */
function restoreFilters() {
  const query = pageQuery();
  document.querySelectorAll("form.filters [name]").forEach((input) => {
    if (query.has(input.name)) input.value = query.get(input.name);
  });
}

/** The URL's non-empty filters among `names`, as the API's query string. */
function apiQuery(names) {
  const query = pageQuery();
  const out = new URLSearchParams();
  for (const name of names) {
    const value = query.get(name);
    if (value) out.set(name, value);
  }
  return out;
}

/** Fill the page's department and supplier pick lists (datalists) from the
 * API: a help for typing, so a failure leaves the fields free text. */
async function offerChoices() {
  const departments = document.getElementById("department-choices");
  const suppliers = document.getElementById("supplier-choices");
  if (!departments || !signedIn()) return;
  try {
    const choices = await api("/purchase-orders/choices");
    departments.replaceChildren(...choices.departments.map((value) => el("option", { value })));
    suppliers.replaceChildren(...choices.suppliers.map((value) => el("option", { value })));
  } catch (ignored) {
    // The page's own request says what is wrong, if anything is.
  }
}

// ---------------------------------------------------------------- charts (inline SVG)

function barChart(container, { label, bars, unit }) {
  const width = 720;
  const barHeight = 22;
  const gap = 8;
  const labelWidth = 220;
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const height = bars.length * (barHeight + gap) + gap;
  // A chart whose bars are links is a group of links, not one picture (axe: nested-interactive).
  const role = bars.some((bar) => bar.href) ? "group" : "img";
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role, "aria-label": label });
  bars.forEach((bar, index) => {
    const y = gap + index * (barHeight + gap);
    const length = Math.max(1, ((width - labelWidth - 170) * bar.value) / max);
    chart.append(svg("text", { x: labelWidth - 8, y: y + barHeight * 0.7, "text-anchor": "end", class: "axis" }, bar.label));
    const rect = svg("rect", { x: labelWidth, y, width: length, height: barHeight, class: `bar ${bar.kind || ""}`,
      ...bar.data }, svg("title", null, `${bar.label}: ${bar.text} ${unit || ""}`.trim()));
    chart.append(bar.href ? svg("a", { href: bar.href, "aria-label": `${bar.label}: ${bar.text}, its POs` }, rect) : rect);
    chart.append(svg("text", { x: labelWidth + length + 6, y: y + barHeight * 0.7, class: "value" }, bar.text));
  });
  container.replaceChildren(chart);
}

// ---------------------------------------------------------------- drill-down to the PO list

// The statuses a PO can be in once it has the fact a figure counts. A PO
// approved and then cancelled (or reopened) keeps its approved spend but
// has left these statuses: the list cannot name it (docs/console/working-tool.md).
const AFTER_APPROVAL = ["approved", "placing", "placed", "placement_failed", "received"];
const AFTER_PLACEMENT = ["placed", "received"];
const AFTER_DECISION = [...AFTER_APPROVAL, "rejected"];

/** The PO list with `filters` (null or empty values left out). */
function listHref(filters) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, value);
  }
  return `/console/purchase-orders?${query}`;
}

/** The list behind a spend figure, as far as list filters can say it (null: they cannot). */
function spendHref(groupBy, group, measure) {
  const page = pageQuery();
  const filters = { department: page.get("department"), supplier_id: page.get("supplier_id"),
    status: (measure === "placed" ? AFTER_PLACEMENT : AFTER_APPROVAL).join(",") };
  if (groupBy === "department") {
    if (group === null) return null;  // the list has no filter for "no department"
    filters.department = group;
  } else if (groupBy === "supplier") {
    filters.supplier_id = group;
  }
  return listHref(filters);  // a month names approval or placement times: the list filters by creation
}

function linkTo(href, content) {
  return href ? el("a", { href }, content) : content;
}

// ---------------------------------------------------------------- pages

const GROUP_NAMES = { department: "Department", supplier: "Supplier", month: "Month" };

async function spendPage() {
  restoreFilters();
  const query = apiQuery(["group_by", "from", "to", "department", "supplier_id"]);
  const path = `/reports/spend?${query}`;
  await load(async () => {
    const report = await api(path);
    document.getElementById("group-column").textContent = GROUP_NAMES[report.group_by] || report.group_by;
    fill(document.querySelector("#spend-table tbody"), report.groups.map((group) => {
      const tr = row(text(group.group), group.currency, group.approved_total,
        linkTo(spendHref(report.group_by, group.group, "approved"), String(group.approved_count)),
        group.placed_total, linkTo(spendHref(report.group_by, group.group, "placed"), String(group.placed_count)));
      tr.dataset.group = group.group;
      tr.dataset.currency = group.currency;
      return tr;
    }));
    const bars = [];
    for (const group of report.groups) {
      for (const measure of ["approved", "placed"]) {
        const figure = group[`${measure}_total`];
        bars.push({ label: `${text(group.group)} ${group.currency} ${measure}`, value: Number(figure),
          text: `${figure} ${group.currency}`, kind: measure, href: spendHref(report.group_by, group.group, measure),
          data: { "data-group": group.group, "data-currency": group.currency, "data-measure": measure,
            "data-value": figure } });
      }
    }
    barChart(document.getElementById("spend-chart"), { label: "Approved and placed totals per group", bars });
    if (!report.groups.length) say("info", "No spend matches these filters.");
    document.getElementById("download-csv").onclick = () => downloadCsv(path, report.group_by);
  });
}

async function downloadCsv(path, groupBy) {
  try {
    saveFile(`spend-${groupBy}.csv`, "text/csv", await api(path, "text/csv"));
  } catch (error) {
    explain(error);
  }
}

/** The list behind a cycle-time bucket as far as list filters can say it: the
 * department's decided POs (the list knows no decision time or duration). */
function decidedHref() {
  return listHref({ department: pageQuery().get("department"), status: AFTER_DECISION.join(",") });
}

function bucketLabel(le) {
  return le === null ? "more" : `≤ ${le} h`;
}

/** x of `hours` on the histogram: inside the bucket that holds it, proportionally. */
function bucketPosition(histogram, hours, x0, slot) {
  let lower = 0;
  for (let index = 0; index < histogram.length; index += 1) {
    const upper = histogram[index].le_hours;
    if (upper === null || hours <= upper) {
      const within = upper === null ? 0.5 : (hours - lower) / (upper - lower || 1);
      return x0 + slot * (index + Math.min(1, Math.max(0, within)));
    }
    lower = upper;
  }
  return x0 + slot * histogram.length;
}

function histogramChart(container, report) {
  const width = 720;
  const height = 260;
  const x0 = 40;
  const base = height - 40;
  const slot = (width - x0 - 10) / report.histogram.length;
  const max = Math.max(1, ...report.histogram.map((bucket) => bucket.count));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: report.count ? "group" : "img",
    "aria-label": `Cycle-time histogram: ${report.count} decisions, p50 ${text(report.p50_hours)} h, p90 ${text(report.p90_hours)} h` });
  chart.append(svg("line", { x1: x0, y1: base, x2: width - 10, y2: base, class: "axis-line" }));
  report.histogram.forEach((bucket, index) => {
    const barHeight = ((base - 44) * bucket.count) / max;
    const x = x0 + index * slot;
    const bar = svg("rect", { x: x + 3, y: base - barHeight, width: slot - 6, height: barHeight, class: "bar",
      "data-le-hours": bucket.le_hours === null ? "" : bucket.le_hours, "data-count": bucket.count },
    svg("title", null, `${bucketLabel(bucket.le_hours)}: ${bucket.count} decisions`));
    chart.append(bucket.count ? svg("a", { href: decidedHref(), "aria-label":
      `${bucketLabel(bucket.le_hours)}: ${bucket.count} decisions, the decided POs` }, bar) : bar);
    chart.append(svg("text", { x: x + slot / 2, y: base + 16, "text-anchor": "middle", class: "axis" },
      bucket.le_hours === null ? "more" : `${bucket.le_hours}`));
    if (bucket.count) {
      chart.append(svg("text", { x: x + slot / 2, y: base - barHeight - 4, "text-anchor": "middle", class: "value" },
        bucket.count));
    }
  });
  chart.append(svg("text", { x: width / 2, y: height - 6, "text-anchor": "middle", class: "axis" }, "hours, up to"));
  for (const [name, hours] of [["p50", report.p50_hours], ["p90", report.p90_hours]]) {
    if (hours === null) continue;
    const x = bucketPosition(report.histogram, hours, x0, slot);
    const top = name === "p50" ? 14 : 30;
    chart.append(svg("line", { x1: x, y1: top - 10, x2: x, y2: base, class: `marker ${name}`, "data-hours": hours }));
    chart.append(svg("text", { x: x + 4, y: top, class: "marker-label" }, `${name} ${hours} h`));
  }
  container.replaceChildren(chart);
}

async function cycleTimesPage() {
  restoreFilters();
  await load(async () => {
    const report = await api(`/reports/cycle-times?${apiQuery(["from", "to", "department"])}`);
    const summary = document.getElementById("cycle-summary");
    summary.replaceChildren();
    for (const [term, value] of [["Decisions", report.count], ["p50", `${text(report.p50_hours)} h`],
      ["p90", `${text(report.p90_hours)} h`], ["Longest", `${text(report.max_hours)} h`]]) {
      summary.append(el("dt", null, term), el("dd", null, value));
    }
    histogramChart(document.getElementById("cycle-chart"), report);
    fill(document.querySelector("#cycle-table tbody"),
      report.histogram.map((bucket) => row(bucket.le_hours === null ? "longer" : bucket.le_hours,
        bucket.count ? linkTo(decidedHref(), String(bucket.count)) : bucket.count)));
  });
}

async function approvalsPage() {
  const tbody = document.querySelector("#queue-table tbody");
  const more = document.getElementById("more");
  let cursor = null;
  async function page() {
    const query = new URLSearchParams({ limit: "100" });
    if (cursor) query.set("cursor", cursor);
    const queue = await api(`/approvals/queue?${query}`);
    for (const item of queue.items) {
      tbody.append(row(el("a", { href: `/console/purchase-orders/${encodeURIComponent(item.id)}` }, item.title),
        text(item.department), text(item.requester), `${item.total} ${item.currency}`, when(item.submitted_at),
        age(item.submitted_at)));
    }
    cursor = queue.next_cursor;
    more.hidden = !cursor;
    if (!tbody.children.length) say("info", "Nothing is waiting for you to decide.");
  }
  more.onclick = () => page().catch(explain);
  await load(page);
}

async function projectionsPage() {
  await load(async () => {
    const status = await api("/projections");
    document.getElementById("head").textContent = `Head of the event store: position ${status.head}`;
    fill(document.querySelector("#projections-table tbody"), status.projections.map((model) =>
      row(model.name, model.position, model.head, model.lag, when(model.updated_at))));
    // Each model's position against the head: a short bar is a model behind.
    barChart(document.getElementById("lag-chart"), { label: "Position of each read model against the head",
      bars: status.projections.map((model) => ({ label: model.name, value: model.position,
        text: `${model.position} of ${model.head}, lag ${model.lag}`,
        data: { "data-name": model.name, "data-position": model.position, "data-lag": model.lag } })) });
  });
}

async function findPage() {
  restoreFilters();
  const id = pageQuery().get("id");
  if (!id) return;
  // Whoever may read a PO may read its timeline, tracing or not (tracing is for auditors and admins).
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    const shortcut = document.getElementById("po-shortcut");
    shortcut.replaceChildren("If this is a PO: ", el("a", { href: `/console/purchase-orders/${id}` }, "its timeline"));
    shortcut.hidden = false;
  }
  // A trace comes a page of events at a time, in order; its command records come with the first page.
  const events = document.querySelector("#trace-events tbody");
  const more = document.getElementById("more-events");
  const poIds = new Set();
  let cursor = null;
  const found = document.getElementById("found-po");
  const showPos = () => {
    found.replaceChildren(poIds.size ? "Timelines of the POs involved: " : "");
    poIds.forEach((poId) => found.append(poLink(poId), " "));
  };
  async function page() {
    const query = new URLSearchParams({ id });
    if (cursor) query.set("cursor", cursor);
    const trace = await api(`/trace?${query}`);
    events.append(...trace.events.map((event) => row(
      // Only PO events name a command; an operation's id has no timeline page.
      event.position, when(event.at), event.type, event.command ? poLink(event.aggregate_id) : event.aggregate_id,
      text(event.actor), text(event.command), text(event.command_id), text(event.request_id),
      text(event.correlation_id))));
    trace.events.filter((event) => event.command).forEach((event) => poIds.add(event.aggregate_id));
    if (!cursor) {
      fill(document.querySelector("#trace-commands tbody"), trace.commands.map((command) => row(
        command.key, text(command.principal), text(command.status), poLink(command.po_id), when(command.created_at),
        text(command.request_id), command.problem ? problemDetails(command.problem) : "–")));
      trace.commands.forEach((command) => command.po_id && poIds.add(command.po_id));
      if (!trace.events.length && !trace.commands.length) say("info", "Nothing was found under this id.");
      if (trace.truncated) say("info", "More command records were written under this id than one answer holds: "
        + "the oldest are listed.");
    }
    showPos();
    cursor = trace.next_cursor;
    more.hidden = !cursor;
  }
  more.onclick = () => page().catch(explain);
  await load(page);
}

function problemDetails(problem) {
  const summary = el("summary", null, `${problem.status || ""} ${problem.title || problem.type || "problem"}`.trim());
  const details = el("details", { class: "problem" }, summary);
  if (problem.detail) details.append(el("p", null, problem.detail));
  // Only Procura's own problem pages are linked: a stored body is data, not a place to send people.
  if (typeof problem.type === "string" && problem.type.startsWith("/problems/")) {
    details.append(el("p", null, el("a", { href: problem.type }, `What ${problem.type} means`)));
  }
  details.append(el("pre", null, JSON.stringify(problem, null, 2)));
  return details;
}

function stepIds(step) {
  const list = el("dl", { class: "ids" });
  for (const [term, value, findable] of [["Actor", step.actor], ["Command", step.command],
    ["Idempotency-Key", step.command_id, true], ["Request id", step.request_id, true],
    ["Correlation id", step.correlation_id, true], ["Causation id", step.causation_id, true]]) {
    if (value === undefined) continue;
    // An id leads to everything else written under it (Find, for auditors and admins).
    const shownValue = findable && value ? findLink(value) : text(value);
    list.append(el("dt", null, term), el("dd", null, shownValue));
  }
  return list;
}

function findLink(id) {
  return el("a", { href: `/console/find?${new URLSearchParams({ id })}`, class: "find" }, id);
}

/** quantity x unit price ("499.50"), exactly: in integer cents, never a float. */
function lineAmount(line) {
  const [whole, fraction = ""] = String(line.unit_price).split(".");
  const cents = BigInt(whole) * 100n + BigInt((fraction + "00").slice(0, 2));
  const amount = cents * BigInt(line.quantity);
  return `${amount / 100n}.${String(amount % 100n).padStart(2, "0")}`;
}

function lineRow(line) {
  return row(line.sku, line.description, line.quantity, text(line.unit), line.unit_price, lineAmount(line));
}

/** Lines as a small table, for a change to them on the timeline. */
function linesTable(lines) {
  return el("table", { class: "lines" }, el("thead", null, el("tr", null,
    ...["SKU", "Description", "Quantity", "Unit", "Unit price", "Amount"].map((name) => el("th", { scope: "col" }, name)))),
  el("tbody", null, ...lines.map(lineRow)));
}

function changed(field, value) {
  return field === "lines" && Array.isArray(value) ? linesTable(value) : shown(value);
}

function changesTable(changes) {
  const table = el("table", { class: "diff" }, el("caption", null, "What changed"),
    el("thead", null, el("tr", null, el("th", { scope: "col" }, "Field"), el("th", { scope: "col" }, "Before"),
      el("th", { scope: "col" }, "After"))));
  const body = el("tbody");
  for (const change of changes) {
    body.append(row(change.field, changed(change.field, change.before), changed(change.field, change.after)));
  }
  table.append(body);
  return table;
}

function shown(value) {
  return value !== null && typeof value === "object" ? JSON.stringify(value) : text(value);
}

function timelineStep(step) {
  const item = el("li", { class: `step ${step.kind}`, "data-kind": step.kind, tabindex: "-1" });
  if (step.kind === "event") {
    item.dataset.type = step.type;
    item.append(el("h3", null, `v${step.version} ${step.type}`), el("p", { class: "when" }, when(step.at),
      ` · position ${step.position}`), stepIds(step));
    if (step.changes && step.changes.length) item.append(changesTable(step.changes));
    if (step.state) {
      item.append(el("details", { class: "state" }, el("summary", null, `State at version ${step.version}`),
        el("pre", null, JSON.stringify(step.state, null, 2))));
    } else {  // abridged: the step was too large to send with its state; read that version on demand
      const button = el("button", { type: "button", class: "state-loader" }, `Load the state at version ${step.version}`);
      button.addEventListener("click", async () => {
        try {
          const po = await api(`/purchase-orders/${encodeURIComponent(document.body.dataset.poId)}?version=${step.version}`);
          const pre = el("pre", { tabindex: "-1" }, JSON.stringify(po, null, 2));
          button.replaceWith(pre);
          pre.focus();
        } catch (error) {
          explain(error);
        }
      });
      item.append(el("p", null, button));
    }
  } else {
    const problem = step.problem || {};
    item.dataset.type = problem.type || "";
    item.append(el("h3", null, `Refused: ${step.status} ${problem.title || ""}`.trim()),
      el("p", { class: "when" }, when(step.at)), stepIds(step), problemDetails(problem));
  }
  return item;
}

function timelinePath(poId, cursor) {
  const path = `/purchase-orders/${encodeURIComponent(poId)}/timeline`;
  return cursor ? `${path}?cursor=${encodeURIComponent(cursor)}` : path;
}

// The timeline comes a page at a time, newest first: the newest page on
// load, older pages on demand (the API keeps each page under 1 MiB).
async function timelinePage() {
  const poId = document.body.dataset.poId;
  const steps = document.getElementById("steps");
  const older = document.getElementById("older-steps");
  let next = null;
  const append = (page) => {
    const items = page.steps.map(timelineStep);
    steps.append(...items);
    next = page.next_cursor;
    older.hidden = !next;
    document.getElementById("steps-shown").textContent = next
      ? `The newest ${steps.children.length} steps are shown.`
      : `All ${steps.children.length} steps are shown.`;
    return items;
  };
  older.addEventListener("click", async () => {
    older.disabled = true;
    try {
      const items = append(await api(timelinePath(poId, next)));
      // Keyboard users carry on reading where the new steps begin.
      if (items.length) items[0].focus();
    } catch (error) {
      explain(error);
    } finally {
      older.disabled = false;
    }
  });
  await load(async () => {
    const [timeline, po] = await Promise.all([api(timelinePath(poId, null)),
      api(`/purchase-orders/${encodeURIComponent(poId)}`)]);
    fill(document.querySelector("#lines tbody"), po.lines.map(lineRow));
    const now = document.getElementById("po-now");
    now.replaceChildren(el("dt", null, "Status"), el("dd", null, timeline.status),
      el("dt", null, "Version"), el("dd", null, timeline.version));
    // The newest event's state is the PO now (an abridged step has none: the summary then stays short).
    const latest = timeline.steps.find((step) => step.kind === "event");
    if (latest && latest.state) {
      const po = latest.state;
      now.append(el("dt", null, "Title"), el("dd", null, text(po.title)),
        el("dt", null, "Total"), el("dd", null, `${text(po.total)} ${text(po.currency)}`),
        el("dt", null, "Requester"), el("dd", null, `${text(po.requester)} (${text(po.department)})`));
    }
    steps.replaceChildren();
    append(timeline);
    fill(document.querySelector("#operations tbody"), (timeline.operations || []).map((operation) => row(
      operation.id, text(operation.status), operation.state, operation.attempts, operation.uncertain ? "yes" : "no",
      shown(operation.last_error), operation.error ? problemDetails(operation.error) : "–",
      when(operation.created_at), when(operation.updated_at))));
  });
}

async function signInPage() {
  if (SESSION.provider) {
    document.getElementById("provider-sign-in").href = `/console/oidc/login?next=${encodeURIComponent(nextPage())}`;
    document.getElementById("provider").hidden = false;
  }
  const form = document.getElementById("token-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    signIn(document.getElementById("token").value.trim());
  });
  if (SESSION.provider) return;  // demo users exist only where no identity provider is configured
  let response;
  try {
    response = await fetch("/console/demo-users", { headers: { Accept: "application/json" } });
  } catch (error) {
    explain(error);
    return;
  }
  if (!response.ok) return;  // not the embedded default: pasting a token is the way in
  const { users } = await response.json();
  const list = document.getElementById("demo-list");
  for (const user of users) {
    const button = el("button", { type: "button", "data-user": user.name }, `Sign in as ${user.name}`);
    button.addEventListener("click", () => signIn(user.token));
    const about = [user.roles.join(", "), user.department, user.approval_limit && `limit ${user.approval_limit}`]
      .filter(Boolean).join(" · ");
    list.append(el("li", null, button, " ", about));
  }
  document.getElementById("demo-users").hidden = false;
}

function signIn(value) {
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  window.location.assign(nextPage());
}

const PAGES = {
  spend: spendPage,
  "cycle-times": cycleTimesPage,
  approvals: approvalsPage,
  projections: projectionsPage,
  find: findPage,
  timeline: timelinePage,
  "sign-in": signInPage,
};

document.addEventListener("DOMContentLoaded", async () => {
  await loadSession();
  showWho();
  keepSession();
  document.getElementById("sign-out").addEventListener("click", signOut);
  offerChoices();
  const page = PAGES[document.body.dataset.page];
  if (page) page().finally(() => { document.body.dataset.ready = "true"; });
  else document.body.dataset.ready = "true";
});
