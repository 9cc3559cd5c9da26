// Runs the oracle in Node against a local mock of the price API (npm test).
// `cove agent test` runs the same tests against the agent in Cove's own sandbox (test/cove.ts).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import agent from "../src/index.ts";
import { call } from "./cove.ts";

let server: Server;
let api: string;
before(async () => {
  // A mock price API, Coinbase-shaped: GET /{pair}/spot.
  server = createServer((req, res) => {
    const m = /^\/([A-Z0-9-]+)\/spot$/.exec(req.url ?? "");
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ data: { base: m[1].split("-")[0], currency: "USD", amount: m[1] === "BTC-USD" ? "97000.10" : "3012.55" } }));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

test("an EVM request's POST body names the pair", async () => {
  const res = await call(agent, new Request("http://localhost/?cove-request=1-0xabc-7", { method: "POST", body: "ETH-USD" }), { PRICE_API: api });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { pair: "ETH-USD", price: "3012.55", source: new URL(api).host });
});

test("a GET names it in the query; JSON bodies work too", async () => {
  let res = await call(agent, new Request("http://localhost/?pair=BTC-USD"), { PRICE_API: api });
  assert.equal((await res.json()).price, "97000.10");
  res = await call(agent, new Request("http://localhost/", { method: "POST", body: '{"pair":"BTC-USD"}' }), { PRICE_API: api });
  assert.equal((await res.json()).price, "97000.10");
});

test("a bad pair is a 400, an unreachable source a 502", async () => {
  let res = await call(agent, new Request("http://localhost/", { method: "POST", body: "eth/usd" }), { PRICE_API: api });
  assert.equal(res.status, 400);
  res = await call(agent, new Request("http://localhost/"), { PRICE_API: "http://127.0.0.1:1" });
  assert.equal(res.status, 502);
});
