package sandbox

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cove-network/cove/bundle"
	"github.com/cove-network/cove/internal/jstest"
)

// compatDir holds agents that use real npm packages, unmodified (hono);
// `npm ci --prefix worker/sandbox/testdata/compat` installs them.
const compatDir = "testdata/compat"

// compatProgram bundles testdata/compat/name with package bundle, as a
// deploy does, and compiles it.
func compatProgram(t *testing.T, e *Engine, name string) *Program {
	t.Helper()
	jstest.Modules(t, compatDir, "worker/sandbox/testdata/compat")
	b, err := bundle.Build(filepath.Join(compatDir, name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Compile(b.Code)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runProgram(t *testing.T, e *Engine, p *Program, req Request, env Env) (*Result, error) {
	t.Helper()
	if req.Method == "" {
		req.Method = "GET"
	}
	if req.URL == "" {
		req.URL = "http://agent.test/"
	}
	return e.Run(context.Background(), p, req, env)
}

// TestHonoETag runs Hono's etag() middleware: a first GET gets the body and
// an ETag, a second with that ETag in If-None-Match gets 304 and no body.
func TestHonoETag(t *testing.T) {
	e := newEngine(t, Limits{})
	p := compatProgram(t, e, "etag.ts")
	res, err := runProgram(t, e, p, Request{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	tag := res.Header.Get("ETag")
	if res.Status != 200 || string(res.Body) != "Hono is hot" || tag == "" {
		t.Fatalf("first GET: %d %q etag %q", res.Status, res.Body, tag)
	}
	res, err = runProgram(t, e, p, Request{Header: http.Header{"If-None-Match": {tag}}}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 304 || len(res.Body) != 0 || res.Header.Get("ETag") != tag {
		t.Fatalf("conditional GET: %d %q etag %q, want 304, no body, etag %q", res.Status, res.Body, res.Header.Get("ETag"), tag)
	}
	res, err = runProgram(t, e, p, Request{Header: http.Header{"If-None-Match": {`"other"`}}}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || string(res.Body) != "Hono is hot" {
		t.Fatalf("non-matching If-None-Match: %d %q, want 200 and the body", res.Status, res.Body)
	}
}

// TestReadableStream covers the stream surface beyond Hono's use: cancel
// reaches the source, a locked stream refuses a second reader, tee, from,
// chunks enqueued later (a timer), and a response body read as a stream is
// used up.
func TestReadableStream(t *testing.T) {
	e := newEngine(t, Limits{})
	code := agent(`{ async fetch() {
		const out = {};
		let reason;
		const s = new ReadableStream({ pull(c) { c.enqueue("x"); }, cancel(r) { reason = r; } });
		await s.cancel("enough");
		out.cancel = reason;
		const l = new ReadableStream({ start(c) { c.close(); } });
		l.getReader();
		try { l.getReader(); out.locked = "no error"; } catch (e) { out.locked = e.name; }
		out.lockedCancel = await l.cancel().then(() => "resolved", (e) => e.name);
		const [a, b] = ReadableStream.from(["p", "q"]).tee();
		const all = async (st) => { const r = []; for await (const c of st) r.push(c); return r.join(""); };
		out.tee = [await all(a), await all(b)];
		const late = new ReadableStream({ start(c) { setTimeout(() => { c.enqueue("late"); c.close(); }, 5); } });
		out.late = await all(late);
		const res = new Response("body");
		const st = res.body;
		out.same = st === res.body;
		const rd = st.getReader();
		out.chunk = new TextDecoder().decode((await rd.read()).value);
		out.used = res.bodyUsed;
		out.done = (await rd.read()).done;
		await rd.closed;
		return Response.json(out);
	} }`)
	res, err := run(t, e, code, Request{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"cancel":"enough","locked":"TypeError","lockedCancel":"TypeError","tee":["pq","pq"],"late":"late","same":true,"chunk":"body","used":true,"done":true}`
	if string(res.Body) != want {
		t.Fatalf("body %s\nwant %s", res.Body, want)
	}
}

// TestOpenAIFromEnv runs the unchanged openai SDK configured only through
// process.env against a local OpenAI-compatible server.
func TestOpenAIFromEnv(t *testing.T) {
	var gotAuth, gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotPath = r.Header.Get("Authorization"), r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"c1","object":"chat.completion","created":1,"model":"test-model","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"hello from the provider"}}]}`)
	}))
	defer srv.Close()
	e := newEngine(t, Limits{})
	p := compatProgram(t, e, "openai.ts")
	res, err := runProgram(t, e, p, Request{}, Env{Secrets: map[string]string{"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": srv.URL + "/v1"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || string(res.Body) != `{"reply":"hello from the provider"}` {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	if gotAuth != "Bearer sk-test" || gotPath != "/v1/chat/completions" {
		t.Fatalf("provider saw Authorization %q, path %q", gotAuth, gotPath)
	}
}

// TestHonoJSX renders Hono's JSX SSR example from a .tsx file.
func TestHonoJSX(t *testing.T) {
	e := newEngine(t, Limits{})
	p := compatProgram(t, e, "jsx.tsx")
	res, err := runProgram(t, e, p, Request{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := "<html><body><h1>Hello Hono!</h1><ul><li>Good Morning!!</li><li>Good Evening!!</li><li>Good Night!!</li></ul></body></html>"
	if res.Status != 200 || string(res.Body) != want || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s %q\nwant %s", res.Status, res.Header.Get("Content-Type"), res.Body, want)
	}
}

// TestWapoHandle runs Phala's wapo style (@phala/wapo-env/guest's
// handle(app) around a Hono app) unchanged.
func TestWapoHandle(t *testing.T) {
	e := newEngine(t, Limits{})
	p := compatProgram(t, e, "wapo.ts")
	res, err := runProgram(t, e, p, Request{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || string(res.Body) != "Hello from wapo" {
		t.Fatalf("GET /: %d %q", res.Status, res.Body)
	}
	res, err = runProgram(t, e, p, Request{Method: "POST", URL: "http://agent.test/echo?q=1", Header: http.Header{"X-A": {"b"}}, Body: []byte("hi")}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 201 || string(res.Body) != `{"q":"1","body":"hi","h":"b"}` || res.Header.Get("X-Out") != "1" || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("POST /echo: %d %v %q", res.Status, res.Header, res.Body)
	}
}

// TestHonoStreaming runs Hono's streaming helpers (hono/streaming) as they
// are: the chunks a handler writes after the Response is returned (after
// timers, through a piped ReadableStream, as server-sent events) all reach
// the body, in order.
func TestHonoStreaming(t *testing.T) {
	e := newEngine(t, Limits{})
	p := compatProgram(t, e, "stream.ts")
	for _, c := range []struct{ path, want, ctype string }{
		{"/stream", "one two three", ""},
		{"/text", "piped later", "text/plain"},
		{"/sse", "event: tick\ndata: n=1\nid: 1\n\nevent: tick\ndata: n=2\nid: 2\n\nevent: tick\ndata: n=3\nid: 3\n\n", "text/event-stream"},
	} {
		res, err := runProgram(t, e, p, Request{URL: "http://agent.test" + c.path}, Env{})
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if res.Status != 200 || string(res.Body) != c.want || !strings.HasPrefix(res.Header.Get("Content-Type"), c.ctype) {
			t.Errorf("%s: %d %q (%s), want %q (%s)", c.path, res.Status, res.Body, res.Header.Get("Content-Type"), c.want, c.ctype)
		}
	}
}
