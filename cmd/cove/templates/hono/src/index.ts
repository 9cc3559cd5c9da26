// An HTTP API with Hono, as a Cove agent: Hono apps run unchanged.
//   GET  /            -> {"hello": <the GREETING secret, or "world">}
//   GET  /items/:id   -> {"id": "<id>"}
//   POST /echo (JSON) -> the same JSON, status 201
import { Hono } from "hono";

type Bindings = { GREETING?: string };

const app = new Hono<{ Bindings: Bindings }>();

app.get("/", (c) => c.json({ hello: c.env?.GREETING ?? "world" }));
app.get("/items/:id", (c) => c.json({ id: c.req.param("id") }));
app.post("/echo", async (c) => c.json(await c.req.json(), 201));

export default app;
