// LLM chat with the official `openai` package, against any OpenAI-compatible provider (OpenAI,
// vLLM, Ollama, llama.cpp's server, …). The provider's key is a secret: sealed to the cluster key
// at deploy, opened only inside the worker's TEE.
//   POST / {"message": "…"} -> {"reply": "…", "model": "…", "usage": {…}}
// Secrets: OPENAI_API_KEY, OPENAI_BASE_URL (default https://api.openai.com/v1), OPENAI_MODEL
// (default gpt-4o-mini), SYSTEM_PROMPT (optional).
import OpenAI from "openai";

interface Env {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_MODEL?: string;
  SYSTEM_PROMPT?: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== "POST") {
      return Response.json({ error: 'POST {"message": "<your question>"}' }, { status: 405 });
    }
    let message: unknown;
    try {
      message = ((await request.json()) as { message?: unknown }).message;
    } catch {
      return Response.json({ error: "the body is not JSON" }, { status: 400 });
    }
    if (typeof message !== "string" || message === "") {
      return Response.json({ error: 'want {"message": "<your question>"}' }, { status: 400 });
    }
    const client = new OpenAI({ apiKey: env.OPENAI_API_KEY ?? "", baseURL: env.OPENAI_BASE_URL, maxRetries: 0, timeout: 25_000 }); // inside the sandbox's 30 s
    try {
      const out = await client.chat.completions.create({
        model: env.OPENAI_MODEL ?? "gpt-4o-mini",
        messages: [
          { role: "system", content: env.SYSTEM_PROMPT ?? "You are a helpful assistant. Answer briefly." },
          { role: "user", content: message },
        ],
      });
      return Response.json({ reply: out.choices[0]?.message?.content ?? "", model: out.model, usage: out.usage });
    } catch (e) {
      const status = e instanceof OpenAI.APIError && e.status ? e.status : 0;
      return Response.json({ error: `the provider failed: ${(e as Error).message}` }, { status: status === 401 ? 401 : 502 });
    }
  },
};
