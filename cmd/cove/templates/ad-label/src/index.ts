// Labels an ad's text with an LLM for an on-chain ad market: the market's contract (or its
// off-chain backend) asks, and keeps the label only with a receipt signed in Cove's TEE.
//   POST / {"text": "…"} -> {"label": "ok" | "misleading" | "scam" | "adult" | "other", "reason": "…"}
// Secrets: OPENAI_API_KEY, OPENAI_BASE_URL (default https://api.openai.com/v1), OPENAI_MODEL
// (default gpt-4o-mini).
import OpenAI from "openai";

interface Env {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_MODEL?: string;
}

export const LABELS = ["ok", "misleading", "scam", "adult", "other"] as const;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== "POST") return Response.json({ error: 'POST {"text": "<the ad>"}' }, { status: 405 });
    let ad: unknown;
    try {
      ad = ((await request.json()) as { text?: unknown }).text;
    } catch {
      return Response.json({ error: "the body is not JSON" }, { status: 400 });
    }
    if (typeof ad !== "string" || ad.trim() === "" || ad.length > 5000) {
      return Response.json({ error: 'want {"text": "<the ad, up to 5000 characters>"}' }, { status: 400 });
    }
    const client = new OpenAI({ apiKey: env.OPENAI_API_KEY ?? "", baseURL: env.OPENAI_BASE_URL, maxRetries: 0, timeout: 25_000 }); // inside the sandbox's 30 s
    let content: string;
    try {
      const out = await client.chat.completions.create({
        model: env.OPENAI_MODEL ?? "gpt-4o-mini",
        temperature: 0,
        response_format: { type: "json_object" },
        messages: [
          {
            role: "system",
            content: `Label the ad. Answer only JSON {"label": one of ${JSON.stringify(LABELS)}, "reason": "<one sentence>"}.`,
          },
          { role: "user", content: ad },
        ],
      });
      content = out.choices[0]?.message?.content ?? "";
    } catch (e) {
      return Response.json({ error: `the provider failed: ${(e as Error).message}` }, { status: 502 });
    }
    // The model's word is checked, never passed on as is.
    let parsed: { label?: unknown; reason?: unknown };
    try {
      parsed = JSON.parse(content);
    } catch {
      return Response.json({ error: "the model did not answer JSON" }, { status: 502 });
    }
    const label = LABELS.includes(parsed.label as (typeof LABELS)[number]) ? (parsed.label as string) : "other";
    return Response.json({ label, reason: typeof parsed.reason === "string" ? parsed.reason.slice(0, 300) : "" });
  },
};
