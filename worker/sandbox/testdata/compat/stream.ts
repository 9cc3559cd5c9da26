// Hono's streaming helpers, unmodified: stream() writes chunks after
// timers, streamText() pipes a ReadableStream, streamSSE() writes server-sent
// events. Cove reads the stream to its end and sends (and signs) the whole
// body.
import { Hono } from "hono";
import { stream, streamSSE, streamText } from "hono/streaming";

const app = new Hono();

app.get("/stream", (c) =>
  stream(c, async (s) => {
    for (const part of ["one ", "two ", "three"]) {
      await s.sleep(5);
      await s.write(part);
    }
  }),
);

app.get("/text", (c) =>
  streamText(c, async (s) => {
    const source = new ReadableStream({
      start(ctl) {
        ctl.enqueue(new TextEncoder().encode("piped "));
        setTimeout(() => {
          ctl.enqueue(new TextEncoder().encode("later"));
          ctl.close();
        }, 5);
      },
    });
    await s.pipe(source);
  }),
);

app.get("/sse", (c) =>
  streamSSE(c, async (s) => {
    for (let id = 1; id <= 3; id++) {
      await s.writeSSE({ id: String(id), event: "tick", data: `n=${id}` });
      await s.sleep(2);
    }
  }),
);

export default app;
