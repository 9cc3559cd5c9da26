// Runs the agent's fetch handler in Node (npm test); `cove agent test` runs the same tests against
// the agent in Cove's own sandbox (test/cove.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import app from "../src/index.ts";
import { call } from "./cove.ts";

test("GET / greets with the GREETING secret", async () => {
  const res = await call(app, new Request("http://localhost/"), { GREETING: "Ahoy" });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { hello: "Ahoy" });
});

test("GET /items/:id", async () => {
  const res = await call(app, new Request("http://localhost/items/42"), {});
  assert.deepEqual(await res.json(), { id: "42" });
});

test("POST /echo answers the JSON it got", async () => {
  const res = await call(app, 
    new Request("http://localhost/echo", { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' }),
    {},
  );
  assert.equal(res.status, 201);
  assert.deepEqual(await res.json(), { a: 1 });
});
