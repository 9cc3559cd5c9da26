// Runs the agent in Node (npm test) against a MOCK OpenAI-compatible provider (no LLM involved).
// `cove agent test` runs the same tests against the agent in Cove's own sandbox (test/cove.ts).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import agent from "../src/index.ts";
import { call } from "./cove.ts";

let server: Server;
let baseURL: string;
let format: unknown;
before(async () => {
  server = createServer(async (req, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw || "{}");
    format = body.response_format;
    const ad: string = body.messages?.at(-1)?.content ?? "";
    const answer = ad.includes("guaranteed")
      ? { label: "scam", reason: "promises guaranteed returns" }
      : ad.includes("weird")
        ? { label: "something else", reason: 42 }
        : { label: "ok", reason: "a plain offer" };
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({
      id: "chatcmpl-mock", object: "chat.completion", created: 1795300000, model: body.model,
      choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: ad.includes("nojson") ? "sure!" : JSON.stringify(answer) } }],
    }));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => server.close());

const label = async (text: unknown) => {
  const res = await call(agent, new Request("http://localhost/", { method: "POST", body: JSON.stringify({ text }) }), { OPENAI_API_KEY: "k", OPENAI_BASE_URL: baseURL });
  return { status: res.status, body: await res.json() };
};

test("ads are labelled, asking for JSON", async () => {
  assert.deepEqual(await label("Fresh bread, 2 for 1"), { status: 200, body: { label: "ok", reason: "a plain offer" } });
  assert.deepEqual(format, { type: "json_object" });
  assert.equal((await label("guaranteed 300% returns")).body.label, "scam");
});

test("the model's answer is checked: an unknown label is 'other', no JSON is a 502", async () => {
  assert.deepEqual((await label("weird ad")).body, { label: "other", reason: "" });
  assert.equal((await label("nojson")).status, 502);
  assert.equal((await label("")).status, 400);
});
