// call runs one request through the agent: its fetch handler here in Node (npm test), or, under
// `cove agent test` (which sets COVE_AGENT_URL), the same agent in Cove's own sandbox. env becomes
// the agent's secrets either way (sent to the sandbox in the Cove-Test-Env header, which only the
// local test harness reads).
type Handler = { fetch(request: Request, env?: Record<string, string>): Response | Promise<Response> };

export async function call(agent: Handler, request: Request, env: Record<string, string> = {}): Promise<Response> {
  const base = process.env.COVE_AGENT_URL;
  if (!base) return agent.fetch(request, env);
  const url = new URL(request.url);
  const headers = new Headers(request.headers);
  headers.set("cove-test-env", JSON.stringify(env));
  const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
  return fetch(base + url.pathname + url.search, { method: request.method, headers, body });
}
