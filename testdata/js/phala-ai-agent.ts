// An agent in the style of Phala's AI-agent contract template (request-JSON
// `main`, the key in req.secret.openaiApiKey, the question in
// ?chatQuery=, the model in ?openAiModel=), left as such a template is: it
// builds its OpenAI client with only the key, so the `openai` package takes
// its base URL from process.env.OPENAI_BASE_URL, which the deployment sets
// as a secret to Cove's AI API (http://ai.cove.internal/v1) or any
// OpenAI-compatible provider (run by internal/testnet's TestAIOpenAIClient).
import OpenAI from "openai";

export default async function main(request: string): Promise<string> {
  const req = JSON.parse(request);
  const openai = new OpenAI({ apiKey: req.secret?.openaiApiKey as string });
  const model = req.queries.openAiModel ? req.queries.openAiModel[0] : "gpt-4o";
  const query = req.queries.chatQuery[0] as string;
  const completion = await openai.chat.completions.create({ messages: [{ role: "system", content: `${query}` }], model: `${model}` });
  return JSON.stringify({ status: 200, headers: { "Content-Type": "text/plain" }, body: completion.choices[0].message.content });
}
