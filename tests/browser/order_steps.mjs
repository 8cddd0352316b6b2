// The browser test's order flows (issue 11): a webhook signal appearing live with its event chain,
// the kill switch blocking the next one, and the manual order ticket (typed confirmation on a live
// venue; sent twice, one order at the venue). Steps as in admin_page.test.mjs: { name, run(t) }.
import assert from "node:assert/strict";

const CHAIN = ["signal_received", "order_submitted", "order_ack", "order_fill"];

// The signals view's row of `id` shows `state` (and the page was not reloaded for it).
async function waitSignalRow(t, id, state) {
  await t.waitFor(
    `the signal ${id} in table#signals, ${state}`,
    (signalId, want) => {
      const row = [...document.querySelectorAll("table#signals tbody tr")].find((r) => r.dataset.signalId === signalId);
      return row?.querySelector("td.state")?.textContent === want;
    },
    id,
    state,
  );
}

// Opens the signal's detail and waits for these event kinds, in this order, in ol#signal-chain.
async function openChain(t, id, kinds) {
  // By selector at the click (the table is drawn again on every event: a handle would go stale).
  assert.match(id, /^[\w.:-]+$/, "openChain takes plain ids");
  await t.page.click(`table#signals tbody tr[data-signal-id="${id}"]`);
  await t.waitFor(
    `the event chain of ${id}: ${kinds.join(" → ")}`,
    (signalId, want) => {
      if (document.getElementById("signal-detail-id")?.textContent !== signalId) return false;
      const seen = [...document.querySelectorAll("ol#signal-chain li")].map((li) => li.dataset.kind);
      let at = -1;
      return want.every((k) => (at = seen.indexOf(k, at + 1)) >= 0);
    },
    id,
    kinds,
  );
}

async function sameDocument(t, what) {
  assert.equal(await t.page.evaluate(() => window.__sameDocument), true, `the page reloaded to show ${what}`);
}

export const orderSteps = [
  {
    name: "signal-live",
    run: async (t) => {
      await t.view("signals");
      await t.page.evaluate(() => (window.__sameDocument = true)); // gone if the page reloads
      const sent = await t.sendSignal({ signal_id: "browser-live-1", symbol: "BTCUSDT", side: "sell", quantity: "0.002" });
      assert.equal(sent.status, 202, `the webhook answered ${sent.status} ${sent.text}`);
      await waitSignalRow(t, "browser-live-1", "ACCEPTED");
      await openChain(t, "browser-live-1", CHAIN);
      await sameDocument(t, "the new signal and its chain");
    },
  },
  {
    name: "paused-blocked",
    run: async (t) => {
      await t.view("overview");
      await t.action("#pause", { why: "browser test: blocking the next signal" });
      await t.waitText("#kill-switch", /^PAUSED/, "the kill switch after pausing");
      const sent = await t.sendSignal({ signal_id: "browser-blocked-1", symbol: "BTCUSDT", side: "buy", quantity: "0.002" });
      assert.equal(sent.status, 202, `the webhook answered ${sent.status} ${sent.text} while paused`);
      await t.view("signals");
      await waitSignalRow(t, "browser-blocked-1", "BLOCKED");
      await openChain(t, "browser-blocked-1", ["signal_received", "order_blocked"]);
      await t.waitText("#signal-legs tbody", /BLOCKED.*paused/i, "the blocked leg's reason");
      await t.shot("paused-blocked");
      await t.view("overview");
      await t.action("#resume", { why: "browser test: trading again" });
      await t.waitText("#kill-switch", /^running/, "the kill switch after resuming");
      await sameDocument(t, "the blocked signal");
    },
  },
  {
    name: "ticket",
    run: async (t) => {
      await t.view("ticket");
      const ticketId = await t.page.$eval("#ticket-id", (e) => e.textContent);
      assert.match(ticketId, /^ticket-/, `the ticket's signal id is "${ticketId}"`);
      await t.page.select("#ticket-venue", "bn");
      await t.fill("#ticket-symbol", "BTCUSDT");
      await t.page.select("#ticket-side", "BUY");
      await t.fill("#ticket-quantity", "0.002");
      await t.page.select("#ticket-type", "MARKET");
      await t.fill("#ticket-why", "browser test: a manual order");
      // bn is a live venue (not paper): the order needs its name typed.
      await t.waitFor("the typed confirmation asked for bn", () => !document.getElementById("ticket-confirm-row").hidden);
      await t.page.click("#ticket-submit");
      await t.waitFor("a refusal without the typed confirmation", () => document.getElementById("ticket-result").dataset.outcome === "error");
      const refused = await t.page.$eval("#ticket-result", (e) => e.textContent);
      assert.match(refused, /confirm/i, `without the venue's name typed the ticket said "${refused}"`);
      await t.fill("#ticket-confirm", "bn");
      await t.shot("ticket-filled");
      // A double click: the same ticket sent twice at once.
      await t.page.$eval("#ticket-result", (e) => (e.dataset.outcome = ""));
      await Promise.all([t.page.click("#ticket-submit"), t.page.click("#ticket-submit")]);
      await t.waitFor("the ticket's answer", () => /accepted|duplicate/.test(document.getElementById("ticket-result").dataset.outcome));
      // And once more, later: a resend of the same ticket.
      await t.page.click("#ticket-submit");
      await t.waitFor("the resend told it is a duplicate", () => document.getElementById("ticket-result").dataset.outcome === "duplicate");
      const said = await t.page.$eval("#ticket-result", (e) => e.textContent);
      assert.match(said, /duplicate/i, `a resent ticket said "${said}"`);

      // The order went the webhook's way: its signal, filled, with who and why on signal_received.
      await t.view("signals");
      await waitSignalRow(t, ticketId, "ACCEPTED");
      await openChain(t, ticketId, CHAIN);
      const detail = (await t.api("/api/signal?id=" + encodeURIComponent(ticketId))).json;
      const received = JSON.parse(detail.events.find((e) => e.event === "signal_received").data);
      assert.equal(received.source, "admin", `signal_received says source ${received.source}`);
      assert.match(received.by, /admin session \(operator\)/, `signal_received says by "${received.by}"`);
      assert.equal(received.why, "browser test: a manual order");
      // Exactly one order at the emulator under the leg's client order id.
      const clientId = detail.orders[0].client_order_id;
      assert.ok(clientId, "the ticket's leg has no client order id");
      const ledger = await t.emulator("GET", "/control/ledger?clientOrderId=" + encodeURIComponent(clientId));
      assert.equal(ledger.count, 1, `the emulator holds ${ledger.count} orders for ${clientId}`);
      console.log(`  ticket ${ticketId}: one order ${clientId} at the emulator; resend: "${said}"`);
      // A new ticket gets a new signal id.
      await t.view("ticket");
      await t.page.click("#ticket-new");
      const next = await t.page.$eval("#ticket-id", (e) => e.textContent);
      assert.notEqual(next, ticketId, "a new ticket kept the old signal id");
      await t.view("signals");
    },
  },
];
