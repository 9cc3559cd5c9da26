// An agent that asks an LLM through Cove's AI API from inside its sandbox,
// with the official `openai` package: http://ai.cove.internal/v1 is served
// by the worker in process, metered to the agent's owner, so it needs no
// key of its own (run by internal/testnet's TestAIOpenAIClient).
import OpenAI from "openai";

export default {
  async fetch(request: Request): Promise<Response> {
    const { question, stream } = (await request.json()) as { question: string; stream?: boolean };
    const client = new OpenAI({ baseURL: "http://ai.cove.internal/v1", apiKey: "unused-inside-cove", maxRetries: 0 });
    if (stream) {
      let text = "";
      const s = await client.chat.completions.create({ model: "mock-chat", stream: true, messages: [{ role: "user", content: question }] });
      for await (const chunk of s) text += chunk.choices[0]?.delta?.content ?? "";
      return Response.json({ answer: text, streamed: true });
    }
    const { data, response } = await client.chat.completions
      .create({ model: "mock-chat", messages: [{ role: "user", content: question }] })
      .withResponse();
    return Response.json({ answer: data.choices[0].message.content, signer: response.headers.get("cove-signer") });
  },
};
