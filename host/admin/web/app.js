// The admin page: reads /api/ and acts through it. Every value is put in the page as text
// (textContent), never as markup: signal fields and reasons are attacker-controlled.
"use strict";
let csrf = "";
let role = "";

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function time(ms) {
  return ms ? new Date(Number(ms)).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") : "";
}

async function api(path, options = {}) {
  const answer = await fetch(path, { credentials: "same-origin", ...options });
  if (answer.status === 401) {
    window.location.assign("/login");
    throw new Error("logged out");
  }
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok && answer.status !== 409) throw new Error(body.error || "HTTP " + answer.status);
  return body;
}

async function act(path, fields) {
  const why = window.prompt("Why? (recorded with your action)");
  if (!why) return;
  const result = await api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify({ ...fields, why }),
  });
  document.getElementById("message").textContent = result.message || "";
  await refresh();
}

function renderOverview(o) {
  const health = document.getElementById("health");
  health.textContent = o.ready ? "ready" : "not ready";
  health.className = "badge " + (o.ready ? "ok" : "bad");
  const k = o.kill_switch;
  document.getElementById("kill-switch").textContent = k.paused
    ? "PAUSED since " + time(k.since_ms) + " by " + k.by + " (" + k.why + ")"
    : "running";
  const paused = document.getElementById("paused-symbols");
  paused.replaceChildren();
  for (const p of o.paused_symbols) {
    const item = el("li", p.symbol + " on " + p.venue + " since " + time(p.since_ms) + " by " + p.by + " (" + p.why + ") ");
    if (role === "operator") {
      const resume = el("button", "Resume");
      resume.type = "button";
      resume.addEventListener("click", () => act("/api/actions/resume-symbol", { venue: p.venue, symbol: p.symbol }));
      item.append(resume);
    }
    paused.append(item);
  }
  if (!o.paused_symbols.length) paused.append(el("li", "none"));
  const legs = document.getElementById("open-legs");
  legs.replaceChildren();
  for (const [state, count] of Object.entries(o.open_legs)) legs.append(el("dt", state), el("dd", count));
}

function renderPositions(rows) {
  const body = document.querySelector("#positions tbody");
  body.replaceChildren();
  for (const r of rows) {
    const row = el("tr", undefined, r.differs ? "differs" : "");
    row.append(el("td", r.venue), el("td", r.symbol), el("td", r.position_side), el("td", r.expected),
      el("td", r.checked_ms ? r.venue_quantity : "?"), el("td", r.checked_ms ? time(r.checked_ms) : "never read"));
    const cell = el("td");
    if (r.differs && role === "operator") {
      const accept = el("button", "Accept as baseline");
      accept.type = "button";
      accept.addEventListener("click", () =>
        act("/api/actions/accept-baseline", { venue: r.venue, symbol: r.symbol, position_side: r.position_side }));
      cell.append(accept);
    }
    row.append(cell);
    body.append(row);
  }
}

async function refresh() {
  try {
    const [overview, positions] = await Promise.all([api("/api/overview"), api("/api/positions")]);
    renderOverview(overview);
    renderPositions(positions.positions);
  } catch (e) {
    document.getElementById("message").textContent = e.message;
  }
}

async function start() {
  const session = await api("/api/session");
  csrf = session.csrf;
  role = session.role;
  document.getElementById("role").textContent = role;
  document.body.classList.toggle("viewer", role !== "operator");
  document.getElementById("pause").addEventListener("click", () => act("/api/actions/pause", {}));
  document.getElementById("resume").addEventListener("click", () => act("/api/actions/resume", {}));
  document.getElementById("logout").addEventListener("click", async () => {
    await fetch("/logout", { method: "POST", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" });
    window.location.assign("/login");
  });
  await refresh();
  // A live stream replaces this poll (issue 11).
  setInterval(refresh, 5000);
}

start().catch((e) => {
  document.getElementById("message").textContent = e.message;
});
