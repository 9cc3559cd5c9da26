// Phala's wapo style, unchanged: a Hono app wrapped by @phala/wapo-env's
// handle(app), which reads globalThis.scriptArgs[0] ({url, method, headers,
// body}) and sets globalThis.scriptOutput to a msgpack {status, headers, body}.
import { Hono } from "hono";
import { handle } from "@phala/wapo-env/guest";

export const app = new Hono();
app.get("/", (c) => c.text("Hello from wapo"));
app.post("/echo", async (c) => c.json({ q: c.req.query("q"), body: await c.req.text(), h: c.req.header("x-a") }, 201, { "x-out": "1" }));

export default handle(app);
