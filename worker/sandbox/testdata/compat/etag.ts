// Hono's etag() middleware: a GET answers with an ETag, and the same GET with
// a matching If-None-Match answers 304 (the middleware cancels the body's
// stream, which needs ReadableStream.prototype.cancel).
import { Hono } from "hono";
import { etag } from "hono/etag";

const app = new Hono();
app.use("*", etag());
app.get("/", (c) => c.text("Hono is hot"));

export default app;
