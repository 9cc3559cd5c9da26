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
before(async () => {
  server = createServer(async (req, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw || "{}");
    res.setHeader("content-type", "application/json");
    const q = body.messages?.at(-1)?.content ?? "";
    res.end(JSON.stringify({
      id: "chatcmpl-mock", object: "chat.completion", created: 1795300000, model: body.model,
      choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: q.includes("France") ? "Paris." : "x".repeat(5000) } }],
    }));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => server.close());

const ask = (q: string, env: Record<string, string>) =>
  call(agent, new Request("http://localhost/?cove-request=1-0xabc-7", { method: "POST", body: q }), env);

test("a question gets the model's text", async () => {
  const res = await ask("What is the capital of France?", { OPENAI_API_KEY: "k", OPENAI_BASE_URL: baseURL });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "Paris.");
});

test("a long answer is cut to MAX_ANSWER_CHARS; an unreachable provider is a 502", async () => {
  const res = await ask("tell me everything", { OPENAI_API_KEY: "k", OPENAI_BASE_URL: baseURL, MAX_ANSWER_CHARS: "100" });
  assert.equal((await res.text()).length, 100);
  assert.equal((await ask("hi", { OPENAI_API_KEY: "k", OPENAI_BASE_URL: "http://127.0.0.1:1/v1" })).status, 502);
  assert.equal((await ask("", {})).status, 400);
});
