// The baseline of `cove bench`: the handler of examples/hello.ts, written the
// same way (new URL, searchParams, a JSON response), on plain node:http with
// no isolation and no signing. It listens on 127.0.0.1, on a port the system
// picks, and prints that port on the first line of stdout.
//
//   node testdata/bench/hello-node.mjs   # prints e.g. 40123
//   curl 'http://127.0.0.1:40123/hello?name=Ada'
import http from "node:http";

// The agent in `cove bench` is deployed without secrets, so env is empty
// there too and the greeting is "Hello".
const env = {};

const server = http.createServer((req, res) => {
  const url = new URL(req.url, `http://${req.headers.host ?? "127.0.0.1"}`);
  if (url.pathname.endsWith("/hello")) {
    const name = url.searchParams.get("name") ?? "world";
    const greeting = env.GREETING ?? "Hello";
    const body = JSON.stringify({ greeting: `${greeting} ${name}`, agent: "hello" });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body);
    return;
  }
  if (req.method === "POST" && url.pathname.endsWith("/echo")) {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      res.writeHead(201, { "content-type": req.headers["content-type"] ?? "text/plain" });
      res.end(Buffer.concat(chunks).toString());
    });
    return;
  }
  // new Response("...") defaults to this content type.
  res.writeHead(404, { "content-type": "text/plain;charset=UTF-8" });
  res.end("not found");
});

server.listen(0, "127.0.0.1", () => {
  console.log(server.address().port);
});
