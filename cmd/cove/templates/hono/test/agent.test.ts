// Runs the agent's fetch handler in Node (npm test). `cove agent run .` runs
// it in Cove's own sandbox.
import { test } from "node:test";
import assert from "node:assert/strict";
import app from "../src/index.ts";

test("GET / greets with the GREETING secret", async () => {
  const res = await app.fetch(new Request("http://localhost/"), { GREETING: "Ahoy" });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { hello: "Ahoy" });
});

test("GET /items/:id", async () => {
  const res = await app.fetch(new Request("http://localhost/items/42"), {});
  assert.deepEqual(await res.json(), { id: "42" });
});

test("POST /echo answers the JSON it got", async () => {
  const res = await app.fetch(
    new Request("http://localhost/echo", { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' }),
    {},
  );
  assert.equal(res.status, 201);
  assert.deepEqual(await res.json(), { a: 1 });
});
