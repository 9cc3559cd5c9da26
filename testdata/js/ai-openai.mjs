// ai-openai.mjs drives Cove's AI API with the official `openai` package,
// unmodified, as an application would (run by internal/testnet's
// TestAIOpenAIClient against a cove dev node with a MOCK upstream).
//
// Usage: node ai-openai.mjs BASE_URL API_KEY
//
// It lists models, makes a chat completion, streams one, makes an embedding,
// and checks that a wrong key is refused as OpenAI's AuthenticationError. A
// fetch wrapper copies every response's exact bytes and headers as they
// pass (the client still streams); it prints them as JSON, one exchange
// per entry, for the Go test to check the receipts over them.
import OpenAI from "openai";

const [baseURL, apiKey] = process.argv.slice(2);
const exchanges = [];
async function recordingFetch(url, init) {
  const resp = await fetch(url, init);
  const [mine, theirs] = resp.body ? resp.body.tee() : [null, null];
  const entry = { url: String(url), method: init?.method ?? "GET", requestBody: typeof init?.body === "string" ? init.body : "", status: resp.status, headers: Object.fromEntries(resp.headers) };
  exchanges.push(entry);
  entry.done = mine ? new Response(mine).arrayBuffer().then((b) => { entry.body = Buffer.from(b).toString("base64"); }) : Promise.resolve();
  return new Response(theirs, { status: resp.status, statusText: resp.statusText, headers: resp.headers });
}

const client = new OpenAI({ baseURL, apiKey, fetch: recordingFetch, maxRetries: 0 });
const out = {};

const models = await client.models.list();
out.models = models.data.map((m) => m.id);

const chat = await client.chat.completions.create({ model: "mock-chat", messages: [{ role: "user", content: "hello from openai" }] });
out.chat = chat.choices[0].message.content;
out.chatId = chat.id;

const stream = await client.chat.completions.create({ model: "mock-chat", stream: true, messages: [{ role: "user", content: "stream these words please" }] });
let streamed = "";
let pieces = 0;
for await (const chunk of stream) {
  streamed += chunk.choices[0]?.delta?.content ?? "";
  pieces++;
}
out.streamed = streamed;
out.pieces = pieces;

const emb = await client.embeddings.create({ model: "mock-embed", input: "vectors" });
out.embeddingLength = emb.data[0].embedding.length;

const tools = await client.chat.completions.create({
  model: "mock-chat",
  messages: [{ role: "user", content: "weather in Lisbon?" }],
  tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { query: { type: "string" } } } } }],
});
out.toolCall = tools.choices[0].message.tool_calls?.[0]?.function?.name;

try {
  await new OpenAI({ baseURL, apiKey: "sk-cove-wrong", maxRetries: 0 }).chat.completions.create({ model: "mock-chat", messages: [{ role: "user", content: "x" }] });
  out.wrongKey = "accepted";
} catch (e) {
  out.wrongKey = `${e.constructor.name} ${e.status} ${e.code}`;
}

await Promise.all(exchanges.map((e) => e.done));
out.exchanges = exchanges.map(({ done, ...e }) => e);
console.log(JSON.stringify(out));
