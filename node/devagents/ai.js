// The agent behind cove dev's AIConsumer example (issue 8): it answers the
// prompt in the POST body with the text of an OpenAI-compatible chat
// completion, from the provider in its secrets: AI_BASE_URL (e.g.
// https://api.openai.com/v1), AI_API_KEY and AI_MODEL. Without them it
// answers 503 saying so (Cove's own AI API is issue 9); the EVM consumer
// stores whatever text and status come back, of any length.
export default {
  async fetch(request, env) {
    const prompt = await request.text();
    if (!env.AI_BASE_URL || !env.AI_MODEL) {
      return new Response(
        "no AI provider configured: upgrade this agent with the secrets AI_BASE_URL, AI_API_KEY and AI_MODEL",
        { status: 503 },
      );
    }
    let res;
    try {
      res = await fetch(env.AI_BASE_URL.replace(/\/$/, "") + "/chat/completions", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${env.AI_API_KEY || ""}` },
        body: JSON.stringify({ model: env.AI_MODEL, messages: [{ role: "user", content: prompt }] }),
      });
    } catch (e) {
      return new Response(`AI provider unreachable: ${e.message}`, { status: 502 });
    }
    if (!res.ok) {
      return new Response(`AI provider answered ${res.status}: ${await res.text()}`, { status: 502 });
    }
    const out = await res.json();
    return new Response(out.choices?.[0]?.message?.content ?? "", { headers: { "Content-Type": "text/plain; charset=utf-8" } });
  },
};
