// An EVM request answered by an LLM. A consumer contract asks through Cove's anchor (a POST of
// its body, here the question as text); the agent answers with the model's text, and the anchor
// hands it, with the receipt signed in the TEE, to the contract. Plain HTTP calls work the same.
//   POST / "What is the capital of France?" -> "Paris." (text/plain)
// Secrets: OPENAI_API_KEY, OPENAI_BASE_URL (default https://api.openai.com/v1), OPENAI_MODEL
// (default gpt-4o-mini), MAX_ANSWER_CHARS (default 1000: the contract stores what it gets).
import OpenAI from "openai";

interface Env {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_MODEL?: string;
  MAX_ANSWER_CHARS?: string;
}

const text = (body: string, status = 200) =>
  new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== "POST") return text("POST the question as the body", 405);
    const question = (await request.text()).trim();
    if (!question) return text("empty question", 400);
    const max = Number(env.MAX_ANSWER_CHARS ?? 1000);
    const client = new OpenAI({ apiKey: env.OPENAI_API_KEY ?? "", baseURL: env.OPENAI_BASE_URL, maxRetries: 0, timeout: 25_000 }); // inside the sandbox's 30 s
    try {
      const out = await client.chat.completions.create({
        model: env.OPENAI_MODEL ?? "gpt-4o-mini",
        temperature: 0,
        messages: [
          { role: "system", content: "Answer in one short sentence, for a smart contract to store." },
          { role: "user", content: question },
        ],
      });
      // Cut by characters (code points), never inside one.
      return text(Array.from(out.choices[0]?.message?.content ?? "").slice(0, max).join(""));
    } catch (e) {
      // The contract gets the status too: 502 says the provider failed.
      return text(`the provider failed: ${(e as Error).message}`, 502);
    }
  },
};
