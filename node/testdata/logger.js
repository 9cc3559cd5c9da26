// Logs two console lines and answers "logged". GET /logme -> 200 "logged", with the log lines
// "hello from /logme" (log) and "careful" (warn) in `cove agent logs`.
export default {
  async fetch(request) {
    console.log("hello from", new URL(request.url).pathname);
    console.warn("careful");
    return new Response("logged");
  },
};
