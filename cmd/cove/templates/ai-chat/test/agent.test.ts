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
let seen: { auth?: string; body?: any } = {};
before(async () => {
  server = createServer(async (req, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    seen = { auth: req.headers.authorization, body: JSON.parse(raw || "{}") };
    res.setHeader("content-type", "application/json");
    if (req.headers.authorization !== "Bearer test-key") {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: { message: "bad key", type: "invalid_request_error", code: "invalid_api_key" } }));
      return;
    }
    const question = seen.body.messages?.at(-1)?.content ?? "";
    res.end(JSON.stringify({
      id: "chatcmpl-mock", object: "chat.completion", created: 1795300000, model: seen.body.model,
      choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: `mock answer to: ${question}` } }],
      usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 },
    }));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => server.close());

const ask = (message: unknown, env: Record<string, string>) =>
  call(agent, new Request("http://localhost/", { method: "POST", body: JSON.stringify({ message }) }), env);

test("a question gets the provider's answer", async () => {
  const res = await ask("what is Cove?", { OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: baseURL, OPENAI_MODEL: "mock-model" });
  assert.equal(res.status, 200);
  const out = await res.json();
  assert.equal(out.reply, "mock answer to: what is Cove?");
  assert.equal(out.model, "mock-model");
  assert.equal(out.usage.total_tokens, 14);
  assert.equal(seen.auth, "Bearer test-key");
  assert.equal(seen.body.messages[0].role, "system");
});

test("a wrong key is a 401, a bad body a 400, a GET a 405", async () => {
  assert.equal((await ask("hi", { OPENAI_API_KEY: "wrong", OPENAI_BASE_URL: baseURL })).status, 401);
  assert.equal((await ask("", { OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: baseURL })).status, 400);
  assert.equal((await call(agent, new Request("http://localhost/"), {})).status, 405);
});
