// The admin page: reads /api/ and acts through it; kept current by the live stream
// (/api/stream, server-sent events), never by a polling loop. Every value is put in the page as
// text (textContent), never as markup: signal fields and reasons are attacker-controlled.
"use strict";

const state = {
  csrf: "",
  role: "",
  view: "overview",
  venues: [], // [{name, type, live}]
  stream: null, // the EventSource
  epoch: "",
  seq: 0, // the last delta applied
  signalsBefore: "", // paging cursor of the signals view ("" = newest)
  signalsCursors: [],
  detailId: "", // the signal open in the detail pane
  ticketId: "",
  dirty: new Set(),
  refreshTimer: 0,
};

// ---- small helpers ------------------------------------------------------------------------

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function byId(id) {
  return document.getElementById(id);
}

function time(ms) {
  return ms ? new Date(Number(ms)).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") : "";
}

function say(text) {
  byId("message").textContent = text || "";
}

// A table's one row saying it is empty.
function emptyRow(body, text, columns) {
  const cell = el("td", text, "empty");
  cell.colSpan = columns;
  const row = el("tr");
  row.append(cell);
  body.append(row);
}

async function api(path, options = {}) {
  const answer = await fetch(path, { credentials: "same-origin", ...options });
  if (answer.status === 401) {
    window.location.assign("/login");
    throw new Error("logged out");
  }
  const body = await answer.json().catch(() => ({}));
  body.httpStatus = answer.status;
  if (!answer.ok && answer.status !== 409) throw new Error(body.error || "HTTP " + answer.status);
  return body;
}

function post(path, fields) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": state.csrf },
    body: JSON.stringify(fields),
  });
}

function randomId() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- actions: every one asks why (and, where it matters, a typed confirmation) -------------

function askWhy(title, confirmWord) {
  const dialog = byId("action-dialog");
  byId("action-title").textContent = title;
  byId("action-why").value = "";
  byId("action-confirm").value = "";
  byId("action-confirm-row").hidden = !confirmWord;
  byId("action-confirm-label").textContent = confirmWord ? 'Type "' + confirmWord + '" to confirm' : "";
  return new Promise((resolve) => {
    const done = (value) => {
      byId("action-form").removeEventListener("submit", onSubmit);
      byId("action-cancel").removeEventListener("click", onCancel);
      dialog.close();
      resolve(value);
    };
    const onSubmit = (event) => {
      event.preventDefault();
      const why = byId("action-why").value.trim();
      if (!why) return;
      if (confirmWord && byId("action-confirm").value !== confirmWord) {
        byId("action-confirm-label").textContent = 'Type exactly "' + confirmWord + '" to confirm';
        return;
      }
      done({ why, confirm: byId("action-confirm").value });
    };
    const onCancel = () => done(null);
    byId("action-form").addEventListener("submit", onSubmit);
    byId("action-cancel").addEventListener("click", onCancel);
    dialog.showModal();
    byId("action-why").focus();
  });
}

async function act(title, path, fields, confirmWord) {
  const answer = await askWhy(title, confirmWord);
  if (!answer) return;
  try {
    const result = await post(path, { ...fields, why: answer.why });
    say(result.message || result.outcome || "");
  } catch (e) {
    say(e.message);
  }
  markDirty("overview", "positions", "signals", "detail");
}

// ---- views ------------------------------------------------------------------------------------

function show(view) {
  if (!byId("view-" + view)) view = "overview";
  if (view !== state.view) say("");  // an answer belongs to the view it was given in
  state.view = view;
  for (const section of document.querySelectorAll("section.view")) section.hidden = section.id !== "view-" + view;
  for (const button of document.querySelectorAll("nav button"))
    button.classList.toggle("current", button.dataset.view === view);
  markDirty(view);
}

function renderOverview(o) {
  const health = byId("health");
  health.textContent = o.ready ? "ready" : "not ready";
  health.className = "badge " + (o.ready ? "ok" : "bad");
  const k = o.kill_switch;
  byId("kill-switch").textContent = k.paused
    ? "PAUSED since " + time(k.since_ms) + " by " + k.by + " (" + k.why + ")"
    : "running";
  const badge = byId("trading-badge");
  badge.textContent = k.paused ? "trading paused" : "trading";
  badge.className = "badge " + (k.paused ? "bad" : "ok");

  const summary = byId("summary");
  summary.replaceChildren();
  const rows = [
    ["Version", o.version],
    ["Up for", Math.floor(o.uptime_s / 60) + " min " + (o.uptime_s % 60) + " s"],
    ["Signals in the last minute", o.signals_last_minute],
    ["Last signal", o.last_signal ? o.last_signal.signal_id + " at " + time(o.last_signal.received_ms) : "none yet"],
    ["Drifts now", o.drifts],
    ["Journal", "record " + o.journal.last_seq + ", admitted through " + o.journal.admitted_seq],
  ];
  for (const [name, value] of rows) summary.append(el("dt", name), el("dd", value));

  const paused = byId("paused-symbols");
  paused.replaceChildren();
  for (const p of o.paused_symbols) {
    const item = el("li", p.symbol + " on " + p.venue + " since " + time(p.since_ms) + " by " + p.by + " (" + p.why + ") ");
    const resume = el("button", "Resume", "operator resume-symbol");
    resume.type = "button";
    resume.dataset.venue = p.venue;
    resume.dataset.symbol = p.symbol;
    resume.addEventListener("click", () =>
      act("Resume " + p.symbol + " on " + p.venue, "/api/actions/resume-symbol", { venue: p.venue, symbol: p.symbol }),
    );
    item.append(resume);
    paused.append(item);
  }
  if (!o.paused_symbols.length) paused.append(el("li", "none"));

  const legs = byId("open-legs");
  legs.replaceChildren();
  for (const [name, count] of Object.entries(o.open_legs)) legs.append(el("dt", name), el("dd", count));
  const backlog = byId("alert-backlog");
  backlog.replaceChildren();
  for (const [sink, count] of Object.entries(o.alert_backlog)) backlog.append(el("dt", sink), el("dd", count));
  if (!Object.keys(o.alert_backlog).length) backlog.append(el("dt", "all sinks"), el("dd", "0 waiting"));
}

function orderText(o) {
  return o.side + " " + o.quantity + " " + o.symbol + " " + o.type + (o.price ? " @ " + o.price : "");
}

function filters() {
  const query = new URLSearchParams();
  for (const [key, id] of [
    ["id", "filter-id"],
    ["state", "filter-state"],
    ["venue", "filter-venue"],
    ["symbol", "filter-symbol"],
  ]) {
    const value = byId(id).value.trim();
    if (value) query.set(key, value);
  }
  if (state.signalsBefore) query.set("before", state.signalsBefore);
  query.set("limit", "50");
  return query;
}

function renderSignals(page) {
  const body = byId("signals").querySelector("tbody");
  body.replaceChildren();
  for (const s of page.signals) {
    const row = el("tr");
    row.dataset.signalId = s.signal_id;
    if (s.signal_id === state.detailId) row.classList.add("selected");
    const orders = el("td");
    for (const o of s.orders) orders.append(el("div", o.venue + ": " + orderText(o)));
    row.append(el("td", time(s.received_ms)), el("td", s.signal_id, "mono"), orders, el("td", s.state, "state " + s.state));
    row.append(el("td", s.last_event + " " + time(s.last_ms)));
    row.addEventListener("click", () => openSignal(s.signal_id));
    body.append(row);
  }
  if (!page.signals.length) emptyRow(body, "no signal matches", 5);
  byId("signals-older").disabled = !page.next_before;
  byId("signals-older").dataset.before = page.next_before || "";
  byId("signals-newer").disabled = !state.signalsBefore;
}

async function openSignal(id) {
  state.detailId = id;
  for (const row of byId("signals").querySelectorAll("tbody tr"))
    row.classList.toggle("selected", row.dataset.signalId === id);
  await refreshDetail();
}

function renderDetail(d) {
  byId("signal-detail").hidden = false;
  byId("signal-detail-id").textContent = d.signal_id;
  const legs = byId("signal-legs").querySelector("tbody");
  legs.replaceChildren();
  for (const leg of d.orders) {
    const row = el("tr");
    row.dataset.clientOrderId = leg.client_order_id;
    row.append(el("td", leg.leg), el("td", leg.venue), el("td", orderText(leg)), el("td", leg.client_order_id, "mono"));
    row.append(el("td", leg.state, "state " + leg.state), el("td", leg.reason));
    const cell = el("td");
    // What an operator may do to the leg in its state: query an unknown order, cancel a working one.
    const action = {
      UNKNOWN: ["Query again now", "retry-resolution", "Query the venue again for "],
      WORKING: ["Cancel order", "cancel-order", "Cancel working order "],
    }[leg.state];
    if (action) {
      const [label, name, title] = action;
      const button = el("button", label, "operator " + name);
      button.type = "button";
      button.addEventListener("click", () =>
        act(title + leg.client_order_id, "/api/actions/" + name, { client_order_id: leg.client_order_id }),
      );
      cell.append(button);
    }
    row.append(cell);
    legs.append(row);
  }
  const chain = byId("signal-chain");
  chain.replaceChildren();
  for (const e of d.events) {
    const item = el("li");
    item.dataset.kind = e.event;
    item.append(el("span", time(e.ts_ms) + " ", "when"), el("strong", e.event), el("span", " " + (e.client_order_id || "")));
    item.append(el("code", e.data, "data"));
    chain.append(item);
  }
  if (d.stopped) chain.append(el("li", d.stopped, "stopped"));
}

function renderPositions(rows) {
  const body = byId("positions").querySelector("tbody");
  body.replaceChildren();
  for (const r of rows) {
    const row = el("tr", undefined, r.differs ? "differs" : "");
    row.dataset.key = r.venue + "/" + r.symbol + "/" + r.position_side;
    row.append(el("td", r.venue), el("td", r.symbol), el("td", r.position_side), el("td", r.expected));
    row.append(el("td", r.checked_ms ? r.venue_quantity : "?"), el("td", r.checked_ms ? time(r.checked_ms) : "never read"));
    const cell = el("td");
    if (r.differs) {
      const accept = el("button", "Accept as baseline", "operator accept-baseline");
      accept.type = "button";
      accept.addEventListener("click", () =>
        act(
          "Accept " + r.venue_quantity + " " + r.symbol + " (" + r.position_side + ") on " + r.venue + " as the expected position",
          "/api/actions/accept-baseline",
          { venue: r.venue, symbol: r.symbol, position_side: r.position_side },
        ),
      );
      cell.append(accept);
    }
    row.append(cell);
    body.append(row);
  }
  if (!rows.length) emptyRow(body, "no position expected or seen", 7);
}

function renderInstances(list) {
  const body = byId("instances").querySelector("tbody");
  body.replaceChildren();
  for (const i of list) {
    const row = el("tr");
    row.dataset.instance = i.name;
    const detail = el("td");
    for (const [key, value] of Object.entries(i.detail || {})) detail.append(el("div", key + ": " + value));
    row.append(el("td", i.name), el("td", i.kind), el("td", i.type + " " + i.version), el("td", i.state), detail);
    body.append(row);
  }
}

function renderAlerts(a) {
  const body = byId("alerts").querySelector("tbody");
  body.replaceChildren();
  for (const alert of a.alerts) {
    const row = el("tr", undefined, "severity-" + alert.severity);
    const suppressed = alert.suppressed ? " (" + alert.suppressed + " like it held back)" : "";
    row.append(el("td", time(alert.timestamp_ms)), el("td", alert.severity), el("td", alert.title + suppressed));
    row.append(el("td", alert.text, "pre"));
    body.append(row);
  }
  if (!a.alerts.length) emptyRow(body, "no alert yet", 4);
  const outbox = byId("alert-outbox").querySelector("tbody");
  outbox.replaceChildren();
  for (const sink of a.sinks) {
    const failed = sink.failed.length ? sink.failed[0].title + ": " + sink.failed[0].reason : "none";
    const row = el("tr");
    row.append(el("td", sink.sink), el("td", sink.waiting), el("td", failed));
    outbox.append(row);
  }
}

function eventItem(e) {
  const item = el("li");
  item.dataset.kind = e.event;
  item.dataset.id = e.id;
  item.append(el("span", time(e.ts_ms) + " ", "when"), el("strong", e.event));
  for (const part of [e.venue, e.signal_id, e.client_order_id]) if (part) item.append(el("span", " " + part, "mono"));
  item.append(el("code", e.data, "data"));
  return item;
}

function renderEvents(list) {
  const tail = byId("events-tail");
  tail.replaceChildren(...list.slice().reverse().map(eventItem));
}

function addEvent(e) {
  const tail = byId("events-tail");
  // A snapshot may already show an event its first deltas repeat.
  if (tail.firstChild && Number(tail.firstChild.dataset.id) >= e.id) return;
  tail.prepend(eventItem(e));
  while (tail.children.length > 200) tail.lastChild.remove();
}

// ---- refreshing: views marked dirty by the stream are read again, a little later, together ----

function markDirty(...views) {
  for (const v of views) state.dirty.add(v);
  if (!state.refreshTimer) state.refreshTimer = setTimeout(refreshDirty, 150);
}

async function refreshDirty() {
  state.refreshTimer = 0;
  const dirty = state.dirty;
  state.dirty = new Set();
  const jobs = [];
  if (dirty.has("overview")) jobs.push(api("/api/overview").then(renderOverview));
  if (dirty.has("signals") && state.view === "signals")
    jobs.push(api("/api/signals?" + filters().toString()).then(renderSignals));
  if (dirty.has("detail") && state.detailId) jobs.push(refreshDetail());
  if (dirty.has("positions") && state.view === "positions")
    jobs.push(api("/api/positions").then((p) => renderPositions(p.positions)));
  if (dirty.has("instances") && state.view === "instances")
    jobs.push(api("/api/instances").then((i) => renderInstances(i.instances)));
  if (dirty.has("alerts") && state.view === "alerts") jobs.push(api("/api/alerts").then(renderAlerts));
  if (dirty.has("events") && state.view === "events") jobs.push(api("/api/events").then((e) => renderEvents(e.events)));
  if (dirty.has("config") && state.view === "config")
    jobs.push(api("/api/config").then((c) => (byId("config").textContent = c.text)));
  try {
    await Promise.all(jobs);
  } catch (e) {
    say(e.message);
  }
  // Views not shown stay dirty until they are.
  for (const v of dirty) if (!["overview", "detail"].includes(v) && v !== state.view) state.dirty.add(v);
}

async function refreshDetail() {
  if (!state.detailId) return;
  const d = await api("/api/signal?id=" + encodeURIComponent(state.detailId));
  renderDetail(d);
}

// Which views an event changes.
function viewsOf(e) {
  const views = ["events", "overview"];
  if (e.signal_id) views.push("signals");
  if (e.signal_id && e.signal_id === state.detailId) views.push("detail");
  if (/^(order_fill|position_|drift_|venue_)/.test(e.event)) views.push("positions");
  if (/^(venue_|host_|position_snapshot)/.test(e.event)) views.push("instances");
  if (/^(drift_|venue_|order_unresolved|trade_fail|trading_|symbol_|foreign_order|host_|operator_command)/.test(e.event))
    views.push("alerts");
  return views;
}

// ---- the live stream: a snapshot, then deltas numbered one by one; a gap means resync --------

function setLive(text, ok) {
  const live = byId("live");
  live.textContent = text;
  live.className = "badge " + (ok ? "ok" : "bad");
}

function connect() {
  if (state.stream) state.stream.close();
  const stream = new EventSource("/api/stream");
  state.stream = stream;
  stream.addEventListener("open", () => setLive("live", true));
  stream.addEventListener("snapshot", (message) => {
    const s = JSON.parse(message.data);
    state.epoch = s.epoch;
    state.seq = s.seq;
    renderOverview(s.overview);
    renderEvents(s.events);
    setLive("live", true);
    markDirty("signals", "detail", "positions", "instances", "alerts", "config");
  });
  stream.addEventListener("delta", (message) => {
    const d = JSON.parse(message.data);
    if (d.epoch !== state.epoch || d.seq !== state.seq + 1) {
      // A delta went missing (or the host restarted): start again from a snapshot.
      setLive("resyncing…", false);
      connect();
      return;
    }
    state.seq = d.seq;
    addEvent(d.event);
    markDirty(...viewsOf(d.event));
  });
  stream.addEventListener("error", () => {
    // EventSource reconnects by itself, sending the last id it saw; the host replays what it
    // still holds after it, or sends a new snapshot.
    setLive("reconnecting…", false);
  });
}

// ---- the order ticket: one signal id per ticket, so sending it twice is a duplicate ----------

function newTicket() {
  state.ticketId = "ticket-" + Date.now().toString(36) + "-" + randomId();
  byId("ticket-id").textContent = state.ticketId;
  byId("ticket-result").textContent = "";
  byId("ticket-confirm").value = "";
}

function venueOf(name) {
  return state.venues.find((v) => v.name === name);
}

function ticketVenueChanged() {
  const venue = venueOf(byId("ticket-venue").value);
  byId("ticket-confirm-row").hidden = !(venue && venue.live);
  byId("ticket-confirm").placeholder = venue ? venue.name : "";
}

async function sendTicket(event) {
  event.preventDefault();
  const fields = {
    signal_id: state.ticketId,
    venue: byId("ticket-venue").value,
    symbol: byId("ticket-symbol").value.trim(),
    side: byId("ticket-side").value,
    quantity: byId("ticket-quantity").value.trim(),
    type: byId("ticket-type").value,
    why: byId("ticket-why").value.trim(),
  };
  const price = byId("ticket-price").value.trim();
  if (price) fields.price = price;
  const venue = venueOf(fields.venue);
  if (venue && venue.live) fields.confirm = byId("ticket-confirm").value;
  const result = byId("ticket-result");
  try {
    const answer = await post("/api/actions/order", fields);
    result.textContent =
      answer.outcome === "duplicate"
        ? "Already sent: " + state.ticketId + " is a duplicate, no second order."
        : (answer.message || answer.outcome) + " (" + state.ticketId + ")";
    result.dataset.outcome = answer.outcome || "";
  } catch (e) {
    result.textContent = e.message;
    result.dataset.outcome = "error";
  }
}

// ---- start -----------------------------------------------------------------------------------

async function start() {
  const session = await api("/api/session");
  state.csrf = session.csrf;
  state.role = session.role;
  byId("role").textContent = state.role;
  document.body.classList.toggle("viewer", state.role !== "operator");
  for (const button of document.querySelectorAll("nav button"))
    button.addEventListener("click", () => show(button.dataset.view));
  byId("pause").addEventListener("click", () => act("Pause trading (every venue)", "/api/actions/pause", {}));
  byId("resume").addEventListener("click", () => act("Resume trading", "/api/actions/resume", {}));
  byId("logout").addEventListener("click", async () => {
    await fetch("/logout", { method: "POST", headers: { "X-CSRF-Token": state.csrf }, credentials: "same-origin" });
    window.location.assign("/login");
  });
  byId("signal-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    state.signalsBefore = "";
    state.signalsCursors = [];
    markDirty("signals");
  });
  byId("signals-older").addEventListener("click", (event) => {
    state.signalsCursors.push(state.signalsBefore);
    state.signalsBefore = event.target.dataset.before;
    markDirty("signals");
  });
  byId("events-snapshots").addEventListener("change", (event) =>
    byId("events-tail").classList.toggle("hide-snapshots", !event.target.checked),
  );
  byId("signals-newer").addEventListener("click", () => {
    state.signalsBefore = "";
    state.signalsCursors = [];
    markDirty("signals");
  });

  const instances = await api("/api/instances");
  state.venues = instances.instances.filter((i) => i.kind === "venue");
  const select = byId("ticket-venue");
  for (const v of state.venues) select.append(el("option", v.name));
  for (const v of state.venues) byId("pause-symbol-venue").append(el("option", v.name));
  byId("pause-symbol").addEventListener("submit", (event) => {
    event.preventDefault();
    const venue = byId("pause-symbol-venue").value;
    const symbol = byId("pause-symbol-symbol").value.trim();
    act("Pause " + symbol + " on " + venue + " (its legs are blocked until resumed)", "/api/actions/pause-symbol", {
      venue,
      symbol,
    });
  });
  select.addEventListener("change", ticketVenueChanged);
  ticketVenueChanged();
  byId("ticket").addEventListener("submit", sendTicket);
  byId("ticket-new").addEventListener("click", newTicket);
  newTicket();

  show(window.location.hash ? window.location.hash.slice(1) : "overview");
  connect();
}

start().catch((e) => say(e.message));
