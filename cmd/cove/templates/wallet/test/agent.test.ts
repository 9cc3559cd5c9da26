// Runs the wallet in Node (npm test), with a stand-in for Cove's cove.deriveKey.
// `cove agent test` runs the same tests against the agent in Cove's own sandbox (test/cove.ts).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { verifyMessage } from "viem";
import agent from "../src/index.ts";
import { call } from "./cove.ts";

before(() => {
  // In Cove the worker derives this from the agent's key inside the TEE.
  globalThis.cove = { deriveKey: async (path: string) => new Uint8Array(createHash("sha256").update("test seed/" + path).digest()) };
});

test("the address is stable", async () => {
  const a = await (await call(agent, new Request("http://localhost/address"))).json();
  const b = await (await call(agent, new Request("http://localhost/address"))).json();
  assert.match(a.address, /^0x[0-9a-fA-F]{40}$/);
  assert.equal(a.address, b.address);
});

test("a signature verifies for the wallet's address", async () => {
  const res = await call(agent, new Request("http://localhost/sign", { method: "POST", body: '{"message":"pay 1 COVE to bob"}' }));
  assert.equal(res.status, 200);
  const { address, message, signature } = await res.json();
  assert.equal(message, "pay 1 COVE to bob");
  assert.ok(await verifyMessage({ address, message, signature }));
});

test("a bad body is a 400", async () => {
  const res = await call(agent, new Request("http://localhost/sign", { method: "POST", body: "{}" }));
  assert.equal(res.status, 400);
});
