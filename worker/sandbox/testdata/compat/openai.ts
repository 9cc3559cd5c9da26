// The openai SDK, unchanged, configured only by process.env (OPENAI_API_KEY,
// OPENAI_BASE_URL): the way Phala's OpenAI templates are written.
import OpenAI from "openai";

export default {
  async fetch(): Promise<Response> {
    const client = new OpenAI();
    const r = await client.chat.completions.create({ model: "test-model", messages: [{ role: "user", content: "hi" }] });
    return Response.json({ reply: r.choices[0].message.content });
  },
};
