// Version 2 of examples/hello.ts, for the upgrade tests.
// GET /anything?name=Ada -> {"greeting":"<GREETING> Ada","version":2}; without the secret GREETING
// the greeting is "Hello".
export default {
  async fetch(request, env) {
    const name = new URL(request.url).searchParams.get("name") ?? "world";
    return Response.json({ greeting: `${env.GREETING ?? "Hello"} ${name}`, version: 2 });
  },
};
