// Cove explorer: one page that reads the gateway's JSON API and renders
// the thing its URL names. No framework, no CDN; every value is put in the
// page as text (never as HTML), since agent names, logs and messages are
// chosen by strangers.
"use strict";

const main = document.getElementById("main");
const statusLine = document.getElementById("status");
const REFRESH_MS = 2000;
let timer = null;
let rendering = false;

// el builds an element: attributes (href, class, data-*) and children
// (strings become text nodes).
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

// link is an explorer link that navigates without reloading.
function link(path, text) {
  const a = el("a", { href: path }, text);
  a.addEventListener("click", (ev) => {
    if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    go(path);
  });
  return a;
}

function go(path) {
  history.pushState(null, "", path);
  refresh();
}

async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  if (!r.ok) {
    let msg = r.status + " " + r.statusText;
    try { msg = (await r.json()).error.message; } catch (_) { /* not JSON */ }
    const err = new Error(msg);
    err.status = r.status;
    throw err;
  }
  return r.json();
}

const short = (h) => (h && h.length > 20 ? h.slice(0, 10) + "…" + h.slice(-6) : h || "");
const zeroAddr = "0x0000000000000000000000000000000000000000";
const isZero = (a) => !a || a.toLowerCase() === zeroAddr;

function when(t) {
  if (!t) return "";
  const d = new Date(t);
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  const rel = s < 60 ? s + " s ago" : s < 3600 ? Math.round(s / 60) + " min ago" : Math.round(s / 3600) + " h ago";
  return el("span", { title: d.toISOString() }, rel);
}

function table(headers, rows, empty) {
  if (!rows.length) return el("p", { class: "muted" }, empty || "None yet.");
  return el("table", {},
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => (c instanceof Node && c.tagName === "TD" ? c : el("td", {}, c)))))));
}

const mono = (x) => el("td", { class: "mono" }, x);
const section = (title, ...kids) => el("section", {}, el("h2", {}, title), ...kids);
const dl = (pairs) => el("dl", {}, pairs.filter((p) => p).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
const agentLink = (id, text) => link("/explorer/agents/" + id, text || short(id));
const blockLink = (h) => link("/explorer/blocks/" + h, String(h));
const txLink = (h) => link("/explorer/tx/" + h, short(h));
const workerLink = (id) => link("/explorer/workers/" + id, short(id));
const poolLink = (id) => link("/explorer/pools/" + id, "pool " + id);
const vaultLink = (id) => link("/explorer/vaults/" + id, "vault " + id);
// fp turns a fixed-point decimal string (10^18 is 1) into a short decimal.
const fp = (s) => (s ? (Number(BigInt(s) / 10n ** 12n) / 1e6).toString() : "0");
const accountLink = (a) => (isZero(a) ? el("span", { class: "muted" }, "none") : link("/explorer/accounts/" + a, short(a)));
const code = (c) => (c === 0 ? el("span", { class: "ok" }, "ok") : el("span", { class: "bad" }, "code " + c));
const callStatus = (s) => el("span", { class: s < 400 ? "ok" : "bad" }, String(s));

// The pages, by URL.
const routes = [
  [/^\/explorer\/?$/, home],
  [/^\/explorer\/agents\/(0x[0-9a-fA-F]{64})$/, agentPage],
  [/^\/explorer\/blocks\/(\d+)$/, blockPage],
  [/^\/explorer\/tx\/(0x[0-9a-fA-F]{64})$/, txPage],
  [/^\/explorer\/workers\/(0x[0-9a-fA-F]{64})$/, workerPage],
  [/^\/explorer\/accounts\/(0x[0-9a-fA-F]{40})$/, accountPage],
  [/^\/explorer\/pools\/(\d+)$/, poolPage],
  [/^\/explorer\/vaults\/(\d+)$/, vaultPage],
];

async function home() {
  const [status, node, blocks, agents, workers, gks, keys, evm, pools, vaults] = await Promise.all([
    api("/v1/chain/status"), api("/v1/node").catch(() => null), api("/v1/chain/blocks?limit=10"),
    api("/v1/agents"), api("/v1/chain/workers"), api("/v1/chain/gatekeepers"), api("/v1/chain/keys"),
    api("/v1/evm").catch(() => ({ chains: [] })), api("/v1/chain/pools").catch(() => ({ pools: [] })),
    api("/v1/chain/vaults").catch(() => ({ vaults: [] })),
  ]);
  const recent = await Promise.all(blocks.blocks.slice(0, 5).map((b) => api("/v1/chain/blocks/" + b.height)));
  const txs = recent.flatMap((b) => (b.txs || []).map((t) => [txLink(t.hash), t.type || el("span", { class: "bad" }, "undecodable"),
    t.from ? accountLink(t.from) : "", blockLink(b.height), code(t.code), when(b.time)]));
  const cards = el("div", { class: "grid" },
    [["chain", status.chain_id], ["height", status.height], ["agents", agents.agents.length],
      ["workers", workers.workers.length], ["key epochs", keys.epochs.length],
      ["gateway routes to", node ? (node.routing === "network" ? (node.routes || []).filter((r) => r.up).length + " worker(s) up" : "its own worker") : "?"]]
      .map(([k, v]) => el("div", { class: "card" }, el("div", { class: "k" }, k), el("div", { class: "v", "data-field": k }, v))));
  return el("div", {},
    cards,
    section("Recent blocks with transactions", table(["height", "time", "txs", "hash", "proposer"],
      blocks.blocks.map((b) => [blockLink(b.height), when(b.time), b.numTxs, mono(short(b.hash)), mono(short(b.proposer))]),
      "No block has held a transaction yet.")),
    section("Recent transactions", table(["hash", "type", "from", "block", "result", "time"], txs, "No transactions yet.")),
    section("Agents", table(["name", "id", "owner", "version", "isolation", "created"],
      agents.agents.map((a) => [a.name || el("span", { class: "muted" }, "(unnamed)"), agentLink(a.id), accountLink(a.owner), a.version, a.isolation, when(a.createdAt)]),
      "No agent deployed yet.")),
    section("Workers", table(["id", "TEE", "status", "endpoint", "measurement", "registered"],
      workers.workers.map((w) => [workerLink(w.id), w.tee, w.status, mono(w.endpoint), mono(short(w.measurement)), blockLink(w.height)]))),
    section("Stake pools" + (pools.next ? " (the first " + pools.pools.length + ")" : ""), table(["pool", "owner", "commission", "value", "free", "price", "workers (computing)", "queued withdrawals"],
      pools.pools.map((p) => [poolLink(p.id), accountLink(p.owner), (p.commission / 10000) + "%", p.value, p.free, p.price,
        p.workers.length + " (" + p.workers.filter((w) => w.state === "computing").length + ")", p.queue.length]),
      "No stake pool yet.")),
    vaults.vaults.length ? section("Vaults" + (vaults.next ? " (the first " + vaults.vaults.length + ")" : ""), table(["vault", "owner", "commission", "value", "free", "price", "pools", "queued withdrawals"],
      vaults.vaults.map((v) => [vaultLink(v.id), accountLink(v.owner), (v.commission / 10000) + "%", v.value, v.free, v.price,
        v.pools.length, v.queue.length]))) : null,
    section("Gatekeepers", table(["id", "TEE", "operator", "registered"],
      gks.gatekeepers.map((g) => [mono(short(g.id)), g.tee, accountLink(g.operator), blockLink(g.height)]))),
    section("Key epochs", table(["epoch", "published by", "block", "EVM signer"],
      keys.epochs.map((e) => [e.epoch, accountLink(e.publishedBy), blockLink(e.height), mono(e.signer || "not yet")]))),
    evm.chains.length ? section("EVM chains (coprocessor)", table(["name", "chain id", "anchor", "scanned to", "requests fulfilled", "in flight", "last error"],
      evm.chains.map((c) => [c.name, c.chainId, mono(short(c.anchor)), c.bridge ? c.bridge.scanned : "", c.bridge ? c.bridge.fulfilled : "", c.bridge ? c.bridge.inFlight : "", c.bridge ? c.bridge.lastError || "" : ""]))) : null,
    ...evm.chains.map((c) => section("EVM requests on " + c.name + " (in flight, then fulfilled since the bridge started)",
      table(["request", "agent", "stage", "EVM block", "agent status", "fulfilled in", "fulfil tx", "error"],
        ((c.bridge && c.bridge.requests) || []).map((q) => [q.id, agentLink(q.agent), q.stage, q.block, q.status || "", q.mined || "", mono(short(q.tx || "")), q.lastError || ""]),
        "No request seen since the bridge started."))),
    node && node.routing === "network" ? section("This gateway's routes", table(["worker", "endpoint", "state", "running"],
      (node.routes || []).map((r) => [workerLink(r.worker), mono(r.local ? "this node" : r.endpoint), r.up ? (r.ready ? el("span", { class: "ok" }, "up") : "up, no key yet") : el("span", { class: "bad" }, "down"), r.outstanding]))) : null,
  );
}

async function agentPage(id) {
  const [rec, view, calls] = await Promise.all([api("/v1/chain/agents/" + id), api("/v1/agents/" + id), api("/v1/agents/" + id + "/calls")]);
  return el("div", {},
    el("h1", {}, "Agent " + (rec.name || ""), el("div", { class: "mono muted" }, id)),
    el("section", {}, dl([
      ["owner", accountLink(rec.owner)],
      ["attestor (signs receipts)", isZero(rec.attestor) ? el("span", { class: "muted" }, "not published yet") : el("span", { class: "mono" }, rec.attestor)],
      ["key epoch", rec.keyEpoch || 0],
      ["version", rec.version],
      ["code hash", el("span", { class: "mono" }, rec.codeHash)],
      ["bundle", el("a", { href: "/v1/blobs/" + rec.cid }, rec.cid)],
      ["isolation", view.isolation || "agent"],
      ["call it at", el("span", { class: "mono" }, view.url)],
      ["secrets", rec.secrets && rec.secrets !== "0x" ? "sealed set present" : "none"],
      ["deployed", when(rec.createdAt)],
    ])),
    section("Code history", table(["version", "code hash", "bundle", "block", "time"],
      (rec.history || []).slice().reverse().map((v) => [v.version, mono(v.codeHash), mono(short(v.cid)), blockLink(v.height), when(v.time)]))),
    section("Recent calls through this gateway", table(["time", "method", "status", "duration", "request id", "worker"],
      calls.calls.map((c) => [when(c.time), c.method, callStatus(c.status), c.durationMs.toFixed(2) + " ms", mono(c.requestId || ""), c.worker ? workerLink(c.worker) : el("span", { class: "muted" }, "this node")]),
      "No calls through this gateway since it started.")),
  );
}

async function blockPage(h) {
  const b = await api("/v1/chain/blocks/" + h);
  const height = Number(h);
  return el("div", {},
    el("h1", {}, "Block " + b.height),
    el("section", {}, dl([
      ["time", when(b.time)], ["hash", el("span", { class: "mono" }, b.hash)], ["proposer", el("span", { class: "mono" }, b.proposer)],
      ["transactions", b.numTxs],
      ["around", el("span", {}, height > 1 ? link("/explorer/blocks/" + (height - 1), "← " + (height - 1)) : "", " ", link("/explorer/blocks/" + (height + 1), (height + 1) + " →"))],
    ])),
    section("Transactions", table(["hash", "type", "from", "nonce", "result", "message"],
      (b.txs || []).map((t) => [txLink(t.hash), t.type || el("span", { class: "bad" }, t.error), t.from ? accountLink(t.from) : "", t.nonce, code(t.code),
        el("td", {}, el("pre", {}, JSON.stringify(t.message, null, 1)))]), "An empty block.")),
  );
}

async function txPage(hash) {
  const st = await api("/v1/chain/tx/" + hash);
  let tx = null;
  if (st.state === "committed") {
    const b = await api("/v1/chain/blocks/" + st.height);
    tx = (b.txs || []).find((t) => t.hash.toLowerCase() === hash.toLowerCase()) || null;
  }
  if (st.state === "unknown") throw Object.assign(new Error("this node knows no transaction " + hash), { status: 404 });
  return el("div", {},
    el("h1", {}, "Transaction", el("div", { class: "mono muted" }, hash)),
    el("section", {}, dl([
      ["state", st.state], st.height ? ["block", blockLink(st.height)] : null,
      st.state === "committed" ? ["result", code(st.code)] : null, st.log ? ["log", st.log] : null,
      tx ? ["type", tx.type] : null, tx && tx.from ? ["from", accountLink(tx.from)] : null, tx ? ["nonce", tx.nonce] : null,
    ])),
    tx ? section("Message", el("pre", {}, JSON.stringify(tx.message, null, 2))) : null,
    st.events && st.events.length ? section("Events", table(["type", "attributes"],
      st.events.map((e) => [e.type, el("td", {}, el("pre", {}, JSON.stringify(e.attributes || e.attrs || e, null, 1)))]))) : null,
  );
}

async function workerPage(id) {
  const [ws, prov, one] = await Promise.all([api("/v1/chain/workers"), api("/v1/chain/provisions/" + id),
    api("/v1/chain/workers/" + id).catch(() => ({ pool: null }))]);
  const w = ws.workers.find((x) => x.id.toLowerCase() === id.toLowerCase());
  if (!w) throw Object.assign(new Error("no worker " + id + " is registered"), { status: 404 });
  const pw = one.pool;
  return el("div", {},
    el("h1", {}, "Worker", el("div", { class: "mono muted" }, id)),
    el("section", {}, dl([
      ["status", w.status], ["TEE", w.tee], ["measurement", el("span", { class: "mono" }, w.measurement)],
      ["endpoint", el("span", { class: "mono" }, w.endpoint)], ["operator", accountLink(w.operator)],
      ["registered", el("span", {}, blockLink(w.height), " ", when(w.registeredAt))],
      ["TCB status", w.tcbStatus ? w.tcbStatus + (w.advisories ? " (" + w.advisories.join(", ") + ")" : "") : el("span", { class: "muted" }, "none reported")],
      ["confidence", one.confidence ? fp(one.confidence) : el("span", { class: "muted" }, "unknown")],
      ["stake pool", pw ? el("span", {}, poolLink(pw.pool), ": " + pw.state + (pw.state === "idle" ? "" : ", stake " + pw.stake)) : "none"],
      ["last heartbeat", pw && pw.lastHeartbeat ? el("span", {}, blockLink(pw.lastHeartbeat), " (P " + (pw.p || 0) + ", " + (pw.iterations || 0) + " iterations)") : "none"],
      pw ? ["V, share", fp(pw.v) + ", " + fp(pw.share)] : null,
      pw ? ["earned", (pw.earned || "0") + " (wei, all sessions)"] : null,
    ])),
    section("Keys provisioned to it (sealed to its identity)", table(["epoch", "kind", "by", "block"],
      prov.provisions.map((p) => [p.epoch, p.kind, accountLink(p.by), blockLink(p.height)]), "None yet.")),
  );
}

async function accountPage(addr) {
  const [acct, agents, stakes] = await Promise.all([api("/v1/chain/accounts/" + addr), api("/v1/agents"),
    api("/v1/chain/accounts/" + addr + "/stakes").catch(() => ({ stakes: [], vaults: [] }))]);
  const owned = agents.agents.filter((a) => a.owner.toLowerCase() === addr.toLowerCase());
  const held = stakes.stakes.map((s) => [poolLink(s.pool), s.shares, s.value, s.lockedUntil ? blockLink(s.lockedUntil) : ""])
    .concat((stakes.vaults || []).map((s) => [vaultLink(s.vault), s.shares, s.value, s.lockedUntil ? blockLink(s.lockedUntil) : ""]));
  return el("div", {},
    el("h1", {}, "Account", el("div", { class: "mono muted" }, acct.address)),
    el("section", {}, dl([["balance", acct.balance + " (wei)"], ["transactions sent (nonce)", acct.nonce]])),
    section("Agents it owns", table(["name", "id", "version"], owned.map((a) => [a.name, agentLink(a.id), a.version]))),
    section("Stakes", table(["in", "shares", "worth (wei)", "locked until"], held, "No pool or vault shares.")),
  );
}

async function poolPage(id) {
  const p = await api("/v1/chain/pools/" + id);
  return el("div", {},
    el("h1", {}, "Stake pool " + p.id),
    el("section", {}, dl([
      ["owner", accountLink(p.owner)], ["commission", (p.commission / 10000) + "%"], ["cap", p.cap === "0" ? "none" : p.cap],
      ["shares", p.shares], ["value (wei)", p.value], ["free (wei)", p.free], ["price", p.price],
      ["allowlist", p.allowed ? p.allowed + " account(s)" : "none: anyone may contribute"], ["created", blockLink(p.created)],
    ])),
    section("Workers", table(["worker", "state", "stake", "since", "cooling until"],
      p.workers.map((w) => [workerLink(w.worker), w.state, w.stake, blockLink(w.since), w.coolUntil || ""]), "No worker in this pool.")),
    section("Withdrawal queue (oldest first)", table(["account", "shares", "since"],
      p.queue.map((q) => [accountLink(q.account), q.shares, when(q.since)]), "Nobody waits.")),
  );
}

async function vaultPage(id) {
  const v = await api("/v1/chain/vaults/" + id);
  return el("div", {},
    el("h1", {}, "Vault " + v.id),
    el("section", {}, dl([
      ["owner", accountLink(v.owner)], ["commission", (v.commission / 10000) + "% of the profit"], ["address", accountLink(v.address)],
      ["shares", v.shares], ["value (wei)", v.value], ["free (wei)", v.free], ["price", v.price], ["checkpoint", v.checkpoint],
      ["created", blockLink(v.created)],
    ])),
    section("Investments", table(["pool", "shares", "worth (wei)", "asked back"],
      v.pools.map((p) => [poolLink(p.pool), p.shares, p.value, p.queued === "0" ? "" : p.queued]), "Nothing invested.")),
    section("Withdrawal queue (oldest first)", table(["account", "shares", "since"],
      v.queue.map((q) => [accountLink(q.account), q.shares, when(q.since)]), "Nobody waits.")),
  );
}

// search finds what a query names: a block height, an address, or a
// 32-byte id (an agent, a transaction, a worker: tried in that order).
async function search(q) {
  q = q.trim();
  if (/^\d+$/.test(q)) return go("/explorer/blocks/" + q);
  if (/^0x[0-9a-fA-F]{40}$/.test(q)) return go("/explorer/accounts/" + q);
  if (/^0x[0-9a-fA-F]{64}$/.test(q)) {
    if (await api("/v1/chain/agents/" + q).then(() => true, () => false)) return go("/explorer/agents/" + q);
    const st = await api("/v1/chain/tx/" + q).catch(() => null);
    if (st && st.state !== "unknown") return go("/explorer/tx/" + q);
    const ws = await api("/v1/chain/workers").catch(() => ({ workers: [] }));
    if (ws.workers.some((w) => w.id.toLowerCase() === q.toLowerCase())) return go("/explorer/workers/" + q);
  }
  main.replaceChildren(el("section", {}, el("h1", {}, "Nothing found"),
    el("p", {}, "No agent, transaction, worker, account or block is named ", el("code", {}, q), ". Search for an agent or worker id or a transaction hash (0x and 64 hex digits), an address (0x and 40), or a block height.")));
  clearTimeout(timer);
}

async function render() {
  const path = location.pathname;
  const q = new URLSearchParams(location.search).get("q");
  if (q) {
    // A search sent without the page's script (or a shared link):
    // /explorer/?q=...
    history.replaceState(null, "", "/explorer/");
    document.getElementById("q").value = q;
    return search(q);
  }
  for (const [re, page] of routes) {
    const m = path.match(re);
    if (!m) continue;
    try {
      const node = await page(...m.slice(1));
      if (location.pathname === path) main.replaceChildren(node);
    } catch (e) {
      main.replaceChildren(el("section", {}, el("h1", {}, e.status === 404 ? "Not found" : "Could not load this page"), el("p", { class: "bad" }, e.message)));
    }
    return;
  }
  main.replaceChildren(el("section", {}, el("h1", {}, "Not found"), el("p", {}, "The explorer has no page at ", el("code", {}, path), ". ", link("/explorer/", "Home"))));
}

async function updateStatus() {
  try {
    const st = await api("/v1/chain/status");
    statusLine.textContent = st.chain_id + " · height " + st.height + " · " + new Date().toLocaleTimeString();
    statusLine.dataset.height = st.height;
  } catch (e) {
    statusLine.textContent = "gateway unreachable: " + e.message;
  }
}

// refresh renders now and every REFRESH_MS (live updates by polling).
async function refresh() {
  clearTimeout(timer);
  if (!rendering) {
    rendering = true;
    try { await Promise.all([render(), updateStatus()]); } finally { rendering = false; }
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

document.getElementById("search").addEventListener("submit", (ev) => {
  ev.preventDefault();
  search(document.getElementById("q").value);
});
window.addEventListener("popstate", refresh);
refresh();
