package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// agent wraps a default export the way package bundle's IIFE output does.
func agent(def string) string {
	return "var __cove_agent = (() => { const d = " + def + "; return { default: d }; })();"
}

func newEngine(t testing.TB, l Limits) *Engine {
	t.Helper()
	e, err := New(l, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func run(t testing.TB, e *Engine, code string, req Request, env Env) (*Result, error) {
	t.Helper()
	p, err := e.Compile([]byte(code))
	if err != nil {
		t.Fatal(err)
	}
	if req.Method == "" {
		req.Method = "GET"
	}
	if req.URL == "" {
		req.URL = "http://agent.test/"
	}
	return e.Run(context.Background(), p, req, env)
}

func TestFetchHandler(t *testing.T) {
	e := newEngine(t, Limits{})
	code := agent(`{ async fetch(req, env) {
		const u = new URL(req.url);
		const body = await req.text();
		return Response.json({ m: req.method, p: u.pathname, q: u.searchParams.get("name"), body, g: env.G, h: req.headers.get("x-a") }, { status: 201, headers: { "x-out": "1" } });
	} }`)
	res, err := run(t, e, code, Request{Method: "POST", URL: "http://agent.test/hello?name=Ada", Header: http.Header{"X-A": {"b"}}, Body: []byte("héllo")}, Env{Secrets: map[string]string{"G": "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 201 || res.Header.Get("X-Out") != "1" || res.Mode != "fetch" {
		t.Fatalf("status %d headers %v mode %s", res.Status, res.Header, res.Mode)
	}
	want := `{"m":"POST","p":"/hello","q":"Ada","body":"héllo","g":"hi","h":"b"}`
	if string(res.Body) != want {
		t.Fatalf("body %s, want %s", res.Body, want)
	}
}

func TestGlobals(t *testing.T) {
	e := newEngine(t, Limits{})
	code := agent(`{ async fetch() {
		const out = {};
		out.te = Array.from(new TextEncoder().encode("€a"));
		out.td = new TextDecoder().decode(new Uint8Array([0xe2, 0x82, 0xac, 0x61]));
		out.b64 = btoa("hello");
		out.atob = atob("aGVsbG8=");
		const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc"));
		out.sha = Array.from(new Uint8Array(d)).map(b => b.toString(16).padStart(2, "0")).join("");
		out.uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID());
		const r = crypto.getRandomValues(new Uint8Array(16));
		out.rand = r.some(x => x !== 0);
		out.sc = structuredClone({ a: [1, { b: new Map([[1, 2]]) }], d: new Date(0) });
		out.scMap = out.sc.a[1].b.get(1);
		out.usp = new URLSearchParams({ a: "1 2", b: "x&y" }).toString();
		const u = new URL("/p/q?x=1#h", "https://Example.com:443/base");
		out.url = [u.href, u.host, u.pathname, u.search, u.hash, u.origin];
		u.searchParams.append("y", "2");
		out.url2 = u.href;
		out.timer = await new Promise(res => setTimeout(() => res("fired"), 5));
		const ac = new AbortController(); ac.abort();
		out.aborted = ac.signal.aborted;
		out.bigint = (2n ** 64n).toString();
		const h = new Headers([["B", "2"], ["a", "1"]]); h.append("a", "3");
		out.headers = Array.from(h);
		// A body's type is the default content type, unless one is given.
		out.ctypes = [new Response("x"), new Response("x", { headers: { "Content-Type": "text/html" } }), new Response("x", { headers: { "X-A": "1" } }),
			Response.json(1), Response.json(1, { headers: [["content-type", "application/ld+json"]] }), new Response(null)].map((r) => r.headers.get("content-type"));
		const sp = new URLSearchParams("?a=1&b=2&a=3&c&d=x+y%21");
		out.sp = [sp.get("a"), sp.getAll("a"), sp.get("c"), sp.get("d"), sp.get("e"), sp.has("a", "3"), sp.has("a", "2"), sp.size];
		sp.delete("a", "1");
		out.sp2 = sp.toString();
		const k = await cove.deriveKey("x");
		out.keyLen = k.length;
		console.log("hello", { a: 1 }, [1, 2]);
		return Response.json(out);
	} }`)
	res, err := run(t, e, code, Request{}, Env{DeriveKey: func(string) ([32]byte, error) { return [32]byte{1}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	body := string(res.Body)
	for _, want := range []string{
		`"te":[226,130,172,97]`, `"td":"€a"`, `"b64":"aGVsbG8="`, `"atob":"hello"`,
		`"sha":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`,
		`"uuid":true`, `"rand":true`, `"scMap":2`, `"usp":"a=1+2&b=x%26y"`,
		`"url":["https://example.com/p/q?x=1#h","example.com","/p/q","?x=1","#h","https://example.com"]`,
		`"url2":"https://example.com/p/q?x=1&y=2#h"`,
		`"timer":"fired"`, `"aborted":true`, `"bigint":"18446744073709551616"`,
		`"headers":[["a","1, 3"],["b","2"]]`, `"keyLen":32`,
		`"ctypes":["text/plain;charset=UTF-8","text/html","text/plain;charset=UTF-8","application/json","application/ld+json",null]`,
		`"sp":["1",["1","3"],"","x y!",null,true,false,5]`, `"sp2":"b=2&a=3&c=&d=x+y%21"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s\nbody: %s", want, body)
		}
	}
	if len(res.Logs) != 1 || res.Logs[0].Message != "hello { a: 1 } [ 1, 2 ]" {
		t.Errorf("logs %+v", res.Logs)
	}
}

func TestRequestJSON(t *testing.T) {
	e := newEngine(t, Limits{})
	code := agent(`async function main(request) {
		const req = JSON.parse(request);
		return JSON.stringify({ status: 200, headers: { "Content-Type": "application/json" }, body: JSON.stringify({ q: req.queries.q, path: req.path, secret: req.secret.K, probe: req.headers["X-Probe"], method: req.method, body: req.body }) });
	}`)
	res, err := run(t, e, code, Request{Method: "POST", URL: "http://agent.test/x?q=1&q=2", Header: http.Header{"X-Probe": {"p\u00e9"}}, Body: []byte("hi")}, Env{Secrets: map[string]string{"K": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != "main" || string(res.Body) != `{"q":["1","2"],"path":"/x","secret":"v","probe":"pé","method":"POST","body":"hi"}` {
		t.Fatalf("mode %s body %s", res.Mode, res.Body)
	}
}

func TestLimits(t *testing.T) {
	fast := Limits{Timeout: 300 * time.Millisecond}
	small := Limits{Memory: 64 << 20, ResponseBytes: 1 << 20}
	cases := []struct {
		name   string
		limits Limits
		code   string
		limit  string
	}{
		{"loop", fast, agent(`{ async fetch() { for (;;) {} } }`), LimitTime},
		{"top-level loop", fast, `for (;;) {}`, LimitTime},
		{"timer never fires in time", fast, agent(`{ fetch() { return new Promise(r => setTimeout(r, 10000)); } }`), LimitTime},
		// What fills the heap is held after the throw (module state), so
		// the limit is told apart from a thrown null; TestMemoryLimitBound
		// and TestMembombHeldLocally cover the rest.
		{"membomb", small, agent(`{ async fetch() { globalThis.a = []; for (;;) a.push(new Array(1e6).fill(1)); } }`), LimitMemory},
		{"recursion", small, agent(`{ async fetch() { function f(n) { return f(n + 1) + 1; } return new Response(String(f(0))); } }`), LimitStack},
		{"huge response", Limits{ResponseBytes: 5 << 20}, agent(`{ async fetch() { return new Response("x".repeat(64 << 20)); } }`), LimitResponse},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t, c.limits)
			_, err := run(t, e, c.code, Request{}, Env{})
			var le *LimitError
			if !errors.As(err, &le) || le.Limit != c.limit {
				t.Fatalf("err = %v, want the %s limit", err, c.limit)
			}
			if !strings.Contains(err.Error(), c.limit) {
				t.Fatalf("error %q does not name the %s limit", err, c.limit)
			}
		})
	}
}

func TestNoResponse(t *testing.T) {
	e := newEngine(t, Limits{})
	_, err := run(t, e, agent(`{ fetch() { return new Promise(() => {}); } }`), Request{}, Env{})
	if !errors.Is(err, ErrNoResponse) {
		t.Fatalf("err = %v", err)
	}
	_, err = run(t, e, agent(`{ async fetch() { throw new RangeError("boom"); } }`), Request{}, Env{})
	var ae *AgentError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "RangeError: boom") {
		t.Fatalf("err = %v", err)
	}
}

func TestFetch(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.Header.Get("X-From-Agent"))
		w.WriteHeader(418)
		w.Write([]byte("teapot " + r.Method))
	}))
	defer up.Close()
	e := newEngine(t, Limits{Requests: 3})
	code := agent(`{ async fetch(req) {
		const target = new URL(req.url).searchParams.get("url");
		const out = [];
		for (let i = 0; i < 5; i++) {
			try { const r = await fetch(target, { headers: { "x-from-agent": "cove" } }); out.push([r.status, await r.text(), r.headers.get("x-echo")]); }
			catch (e) { out.push(String(e)); }
		}
		return Response.json(out);
	} }`)
	res, err := run(t, e, code, Request{URL: "http://agent.test/?url=" + up.URL}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := `[[418,"teapot GET","cove"],[418,"teapot GET","cove"],[418,"teapot GET","cove"],"TypeError: agent exceeded the outbound request limit (3 per invocation)","TypeError: agent exceeded the outbound request limit (3 per invocation)"]`
	if string(res.Body) != want {
		t.Fatalf("body %s\nwant %s", res.Body, want)
	}
}

func TestFreshVM(t *testing.T) {
	e := newEngine(t, Limits{})
	code := `globalThis.counter = (globalThis.counter || 0) + 1;` + agent(`{ async fetch() { Object.prototype.polluted = true; return Response.json({ seen: globalThis.counter, p: ({}).polluted === true }); } }`)
	p, err := e.Compile([]byte(code))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		res, err := e.Run(context.Background(), p, Request{Method: "GET", URL: "http://a.test/"}, Env{})
		if err != nil {
			t.Fatal(err)
		}
		if string(res.Body) != `{"seen":1,"p":true}` {
			t.Fatalf("run %d: %s", i, res.Body)
		}
	}
}

func TestCompileError(t *testing.T) {
	e := newEngine(t, Limits{})
	_, err := e.Compile([]byte("export default {"))
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	// Both engines say what and where, the same way.
	_, err = e.Compile([]byte("var a = 1;\nfunction (x) {"))
	if want := "compile agent: SyntaxError: function name expected at agent.js:2:10"; err == nil || err.Error() != want {
		t.Fatalf("%s: err = %v, want %q", EngineName, err, want)
	}
}

// BenchmarkHello runs the hello agent in a fresh VM per call (per-request
// isolation) and in a warm VM of its agent (the default).
func BenchmarkHello(b *testing.B) {
	e := newEngine(b, Limits{})
	defer e.Close()
	p, _ := e.Compile([]byte(agent(`{ async fetch(request, env) {
		const url = new URL(request.url);
		const name = url.searchParams.get("name") ?? "world";
		return Response.json({ greeting: (env.GREETING ?? "Hello") + " " + name, agent: "hello" });
	} }`)))
	req := Request{Method: "GET", URL: "http://a.test/hello?name=Ada"}
	for _, c := range []struct{ name, key string }{{"fresh", ""}, {"warm", "hello"}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Run(context.Background(), p, req, Env{Isolate: c.key}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestFetchErrorHidesQuery: a failed fetch's error names the URL without its
// query, which often carries the agent's API key.
func TestFetchErrorHidesQuery(t *testing.T) {
	e := newEngine(t, Limits{})
	code := agent(`{ async fetch(req, env) { await fetch("http://127.0.0.1:1/v1/data?api_key=" + env.KEY); return new Response("unreachable"); } }`)
	res, err := run(t, e, code, Request{}, Env{Secrets: map[string]string{"KEY": "sk-live-123"}})
	if err == nil {
		t.Fatalf("fetch to a closed port succeeded: %s", res.Body)
	}
	if strings.Contains(err.Error(), "sk-live-123") || !strings.Contains(err.Error(), "http://127.0.0.1:1/v1/data") {
		t.Fatalf("error %q", err)
	}
}

// TestRawTarget: the agent sees the path and query of its URL exactly as
// given (escaped, as the receipt's requestHash covers them), in both agent
// styles: an escaped "?" stays in the path, escaped slashes and dots never
// become a parent path. The plain target is the control.
func TestRawTarget(t *testing.T) {
	e := newEngine(t, Limits{})
	fetchAgent := agent(`{ fetch(req) {
		const u = new URL(req.url);
		return Response.json({ url: req.url, path: u.pathname, search: u.search, q: u.searchParams.getAll("q") });
	} }`)
	mainAgent := agent(`function main(request) {
		const req = JSON.parse(request);
		return JSON.stringify({ status: 200, body: JSON.stringify({ path: req.path, queries: req.queries }) });
	}`)
	tests := []struct {
		name, target string
		path, search string
		q            []string
		queries      string
	}{
		{"plain (control)", "/admin?q=1", "/admin", "?q=1", []string{"1"}, `{"q":["1"]}`},
		{"escaped question mark", "/admin%3Fdebug=1", "/admin%3Fdebug=1", "", []string{}, `{}`},
		{"escaped parent path", "/%2F..%2Fadmin", "/%2F..%2Fadmin", "", []string{}, `{}`},
		{"escaped dots", "/x/%2e%2e/admin", "/x/%2e%2e/admin", "", []string{}, `{}`},
		{"escapes kept", "/a%41%2fb?q=%41&q=a%20b", "/a%41%2fb", "?q=%41&q=a%20b", []string{"A", "a b"}, `{"q":["A","a b"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := "http://agent.test" + tt.target
			res, err := run(t, e, fetchAgent, Request{URL: url}, Env{})
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				URL, Path, Search string
				Q                 []string
			}
			if err := json.Unmarshal(res.Body, &got); err != nil {
				t.Fatalf("fetch body %s: %v", res.Body, err)
			}
			if got.URL != url || got.Path != tt.path || got.Search != tt.search || strings.Join(got.Q, "|") != strings.Join(tt.q, "|") {
				t.Fatalf("fetch handler saw %+v, want url %s path %s search %q q %q", got, url, tt.path, tt.search, tt.q)
			}
			res, err = run(t, e, mainAgent, Request{URL: url}, Env{})
			if err != nil {
				t.Fatal(err)
			}
			want := `{"path":"` + tt.path + `","queries":` + tt.queries + `}`
			if string(res.Body) != want {
				t.Fatalf("main saw %s, want %s", res.Body, want)
			}
		})
	}
}

// TestProcessEnv: process.env holds the agent's secrets, in every style;
// absent names are undefined and the object cannot be changed.
func TestProcessEnv(t *testing.T) {
	e := newEngine(t, Limits{})
	env := Env{Secrets: map[string]string{"NAME": "the secret", "OPENAI_API_KEY": "sk-1"}}
	code := agent(`{ async fetch(req, env) {
		let write;
		try { (() => { "use strict"; process.env.NAME = "changed"; })(); write = "no error"; } catch (e) { write = e.name; }
		process.env.NEW = "x"; // sloppy mode: ignored
		delete process.env.NAME;
		return Response.json({ name: process.env.NAME, key: process.env.OPENAI_API_KEY, absent: process.env.ABSENT === undefined && !("ABSENT" in process.env) && process.env.NEW === undefined, write, fromEnv: env.NAME });
	} }`)
	res, err := run(t, e, code, Request{}, env)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"the secret","key":"sk-1","absent":true,"write":"TypeError","fromEnv":"the secret"}`; string(res.Body) != want {
		t.Fatalf("fetch style: %s, want %s", res.Body, want)
	}
	main := agent(`async function main() { return JSON.stringify({ status: 200, body: String(process.env.NAME) + "," + typeof process.env.ABSENT }); }`)
	res, err = run(t, e, main, Request{}, env)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != "the secret,undefined" {
		t.Fatalf("main style: %s", res.Body)
	}
	// Without secrets process.env is empty, not missing.
	res, err = run(t, e, agent(`{ fetch() { return new Response(JSON.stringify(process.env)); } }`), Request{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != "{}" {
		t.Fatalf("no secrets: %s", res.Body)
	}
}

// TestStyles: a named main export and CommonJS module.exports run; an agent
// in no style gets an error naming the styles, not "never settled"; a built
// script that reads scriptArgs but never answers still gets ErrNoResponse.
func TestStyles(t *testing.T) {
	e := newEngine(t, Limits{})
	for _, c := range []struct{ name, code, mode, body string }{
		{"named main", `var __cove_agent = { main: async (r) => JSON.stringify({ status: 200, body: JSON.parse(r).path }) };`, "main", "/"},
		{"cjs fetch", `var __cove_agent = { fetch: () => new Response("cjs") };`, "fetch", "cjs"},
		{"cjs function", `var __cove_agent = async () => JSON.stringify({ status: 200, body: "fn" });`, "main", "fn"},
	} {
		res, err := run(t, e, c.code, Request{}, Env{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if res.Mode != c.mode || string(res.Body) != c.body {
			t.Errorf("%s: mode %s body %q", c.name, res.Mode, res.Body)
		}
	}
	for _, code := range []string{`var __cove_agent = { x: 1 };`, `console.log("no handler");`, `var __cove_agent = { default: undefined };`} {
		_, err := run(t, e, code, Request{}, Env{})
		var ae *AgentError
		if !errors.Is(err, ErrNoHandler) || !errors.As(err, &ae) || !strings.Contains(ae.Message, "fetch(request, env, ctx)") || !strings.Contains(ae.Message, "scriptOutput") {
			t.Errorf("%s: error %v, want ErrNoHandler naming the styles", code, err)
		}
	}
	_, err := run(t, e, agent(`42`), Request{}, Env{})
	if err == nil || !strings.Contains(err.Error(), "no handler (its default export is number)") {
		t.Errorf("default export 42: %v", err)
	}
	// The built form that never sets scriptOutput is a different failure.
	_, err = run(t, e, `const a = globalThis.scriptArgs[0]; new Promise(() => {});`, Request{}, Env{})
	if !errors.Is(err, ErrNoResponse) {
		t.Errorf("built script that never answers: %v, want ErrNoResponse", err)
	}
}

// TestThrownValues: whatever the agent throws, the error says what it was.
func TestThrownValues(t *testing.T) {
	e := newEngine(t, Limits{})
	for _, c := range []struct{ throw, want string }{
		{`null`, "the agent threw null (its code throws null, or the engine could not allocate an error object: the memory limit is 128 MiB)"},
		{`undefined`, "the agent threw undefined"},
		{`{}`, "the agent threw an object that is not an Error: {  }"},
		{`{ code: 42, detail: "x" }`, `the agent threw an object that is not an Error: { code: 42, detail: "x" }`},
		{`Object.create(null)`, "the agent threw an object that is not an Error: {  }"},
		{`"a string"`, `the agent threw a string: "a string"`},
		{`42`, "the agent threw a number: 42"},
		{`{ name: "ApiError", message: "quota" }`, "ApiError: quota"},
		{`new RangeError("r")`, "RangeError: r"},
	} {
		for _, style := range []string{"async fetch() { throw %s; }", "fetch() { throw %s; }"} {
			code := agent("{ " + strings.Replace(style, "%s", c.throw, 1) + " }")
			_, err := run(t, e, code, Request{}, Env{})
			var ae *AgentError
			if !errors.As(err, &ae) {
				t.Errorf("throw %s (%s): %v, want an AgentError", c.throw, style, err)
				continue
			}
			if first, _, _ := strings.Cut(ae.Message, "\n"); first != c.want {
				t.Errorf("throw %s (%s): %q, want %q", c.throw, style, first, c.want)
			}
		}
	}
	// At top level too.
	p, err := e.Compile([]byte(`throw null;`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Run(context.Background(), p, Request{Method: "GET", URL: "http://agent.test/"}, Env{})
	if err == nil || !strings.Contains(err.Error(), "the agent threw null (its code throws null") {
		t.Errorf("top-level throw null: %v", err)
	}
}

// TestMicrotaskFlood: an agent whose promise jobs never let the event loop
// turn ends at the time limit, named as such with the cause, also past the
// engine's bound on one drain (2^20 jobs, about 3 s); an agent that answered
// before flooding keeps its answer.
func TestMicrotaskFlood(t *testing.T) {
	const want = "agent exceeded the time limit"
	for _, c := range []struct {
		name    string
		timeout time.Duration
	}{{"short", 300 * time.Millisecond}, {"past one drain", 6 * time.Second}} {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t, Limits{Timeout: c.timeout})
			start := time.Now()
			_, err := run(t, e, agent(`{ async fetch() { for (;;) await null; } }`), Request{}, Env{})
			if !errors.Is(err, ErrLimit) || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "microtask loop") {
				t.Fatalf("error %v, want the time limit naming a microtask loop", err)
			}
			if d := time.Since(start); d > c.timeout+2*time.Second {
				t.Errorf("took %v with a %v limit", d, c.timeout)
			}
		})
	}
	// A CPU loop is a time limit without the microtask detail.
	e := newEngine(t, Limits{Timeout: 300 * time.Millisecond})
	_, err := run(t, e, agent(`{ fetch() { for (;;) {} } }`), Request{}, Env{})
	if !errors.Is(err, ErrLimit) || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "microtask") {
		t.Errorf("cpu loop: %v, want the time limit without the microtask detail", err)
	}
	// An agent that answered and then floods keeps its answer.
	e = newEngine(t, Limits{Timeout: 10 * time.Second})
	res, err := run(t, e, agent(`{ fetch() { (async () => { for (;;) await null; })(); return new Response("answered"); } }`), Request{}, Env{})
	if err != nil || string(res.Body) != "answered" {
		t.Errorf("answered then flooded: %v %q", err, res.Body)
	}
}

// TestRuntimeUnreachable: the runtime's entry points and host function are
// not on globalThis, and an agent that plants its own __cove_* globals (to
// read or spoof fetch completions, timers or its own dispatch) changes
// nothing: its fetch gets the real upstream answer and its timer fires.
func TestRuntimeUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("real upstream")) }))
	defer srv.Close()
	e := newEngine(t, Limits{})
	code := `
		const seen = Object.getOwnPropertyNames(globalThis).filter((n) => n.startsWith("__cove")); // __cove_agent is its own (var)
		const types = ["__cove_host", "__cove_run", "__cove_complete", "__cove_timer", "__cove_prepare", "__cove_lazy"].map((n) => typeof globalThis[n]);
		const calls = [];
		for (const n of ["__cove_host", "__cove_run", "__cove_complete", "__cove_timer", "__cove_prepare"]) {
			globalThis[n] = (...a) => { calls.push(n); };
		}
		Object.defineProperty(globalThis, "__cove_lazy", { get() { calls.push("lazy get"); return () => ({}); }, set() { calls.push("lazy set"); }, configurable: false });
		var __cove_agent = { default: { async fetch(req, env) {
			const p = fetch(env.UPSTREAM);
			__cove_complete(1, true, JSON.stringify({ status: 200, headers: [], body: "spoofed", enc: "text" }));
			const got = await (await p).text();
			const timer = await new Promise((r) => setTimeout(() => r("fired"), 1));
			const te = new TextEncoder().encode("é").length;
			return Response.json({ seen, types, got, timer, te, calls });
		} } };`
	res, err := run(t, e, code, Request{}, Env{Secrets: map[string]string{"UPSTREAM": srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"seen":["__cove_agent"],"types":["undefined","undefined","undefined","undefined","undefined","undefined"],"got":"real upstream","timer":"fired","te":2,"calls":["__cove_complete"]}`
	if string(res.Body) != want {
		t.Fatalf("body %s\nwant %s", res.Body, want)
	}
}

// TestNodeParity: what Node does (v20, checked by hand) for a non-object
// Response or Request init and for numeric IPv4 hosts.
func TestNodeParity(t *testing.T) {
	e := newEngine(t, Limits{})
	code := agent(`{ async fetch() {
		const out = {};
		const name = (f) => { try { f(); return "ok"; } catch (e) { return e.name; } };
		out.resString = name(() => new Response("x", "string"));
		out.resNumber = name(() => new Response("x", 5));
		out.reqString = name(() => new Request("http://a/", "string"));
		out.nullInit = [new Response("x", null).status, new Response("x", undefined).status, new Request("http://a/", null).method];
		out.urls = ["http://0x7f.1/", "http://2130706433/", "http://0177.0.0.1/", "http://127.1/", "http://0x7F000001:8080/p",
			"https://192.168.0.1./", "http://0x/", "http://0xffffffff/", "http://a.1e/", "http://example.com/",
			"http://1.2.3.4.5/", "http://256.1.1.1/", "http://1.16777216/", "http://4294967296/", "http://foo.0x/", "http://1.2.3.09/", "http://08/",
		].map((u) => { try { return new URL(u).href; } catch (e) { return e.name; } });
		return Response.json(out);
	} }`)
	res, err := run(t, e, code, Request{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"resString":"TypeError","resNumber":"TypeError","reqString":"TypeError","nullInit":[200,200,"GET"],"urls":[` +
		`"http://127.0.0.1/","http://127.0.0.1/","http://127.0.0.1/","http://127.0.0.1/","http://127.0.0.1:8080/p",` +
		`"https://192.168.0.1/","http://0.0.0.0/","http://255.255.255.255/","http://a.1e/","http://example.com/",` +
		`"TypeError","TypeError","TypeError","TypeError","TypeError","TypeError","TypeError"]}`
	if string(res.Body) != want {
		t.Fatalf("body %s\nwant %s", res.Body, want)
	}
}

// TestWapoOutput: a main() that returns nothing answers with the msgpack
// {status, headers, body} it set as scriptOutput (wapo's handle); bytes that
// are not msgpack are an agent error that says so, and a "__proto__" key is
// a plain header, not a prototype.
func TestWapoOutput(t *testing.T) {
	e := newEngine(t, Limits{})
	// msgpack {"status": 202, "headers": {"__proto__": "x", "x-a": "b"}, "body": "ok"}
	good := agent(`async function main() { globalThis.scriptOutput = new Uint8Array([0x83, 0xa6, 0x73, 0x74, 0x61, 0x74, 0x75, 0x73, 0xcc, 0xca,
		0xa7, 0x68, 0x65, 0x61, 0x64, 0x65, 0x72, 0x73, 0x82, 0xa9, 0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f, 0xa1, 0x78, 0xa3, 0x78, 0x2d, 0x61, 0xa1, 0x62,
		0xa4, 0x62, 0x6f, 0x64, 0x79, 0xa2, 0x6f, 0x6b]); }`)
	res, err := run(t, e, good, Request{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 202 || string(res.Body) != "ok" || res.Header.Get("X-A") != "b" || res.Header.Get("__proto__") != "x" {
		t.Fatalf("%d %v %q", res.Status, res.Header, res.Body)
	}
	bad := agent(`async function main() { globalThis.scriptOutput = new Uint8Array([0xc1]); }`)
	if _, err := run(t, e, bad, Request{}, Env{}); err == nil || !strings.Contains(err.Error(), "unsupported msgpack type 0xc1") {
		t.Fatalf("bad msgpack: %v", err)
	}
	trunc := agent(`async function main() { globalThis.scriptOutput = new Uint8Array([0x81, 0xa6, 0x73]); }`)
	if _, err := run(t, e, trunc, Request{}, Env{}); err == nil || !strings.Contains(err.Error(), "truncated msgpack") {
		t.Fatalf("truncated msgpack: %v", err)
	}
}

// TestMemoryLimitBound: the memory cap is near the configured limit, in
// both directions. With a 32 MiB limit an agent holding 20 MiB answers
// (the control) and one holding 64 MiB, twice the limit and past the
// engine's quarter of slack, is stopped by the memory limit: a cap several
// times too high lets it through.
func TestMemoryLimitBound(t *testing.T) {
	e := newEngine(t, Limits{Memory: 32 << 20})
	// One typed array of mb MiB; and the same in small blocks (the VM's
	// heap keeps those in lists of its own, quickjs_native.h): a chain of
	// objects of at least 64 bytes each.
	bytes := agent(`{ fetch(req) {
		const mb = Number(new URL(req.url).searchParams.get("mb"));
		const held = new Uint8Array(mb << 20).fill(1);
		return new Response(String(held.length >> 20));
	} }`)
	small := agent(`{ fetch(req) {
		const n = (Number(new URL(req.url).searchParams.get("mb")) << 20) / 64;
		let head = null;
		for (let i = 0; i < n; i++) head = { next: head, i };
		return new Response(String(head.i + 1));
	} }`)
	// One array grown without end: its storage is reallocated, large to
	// larger, each time.
	grown := agent(`{ fetch() { const a = []; for (;;) a.push(0); } }`)
	for _, c := range []struct {
		what, code string
		mb         int
		want       string // the answer, or "" for the memory limit
	}{
		{"a typed array", bytes, 20, "20"}, {"a typed array", bytes, 64, ""},
		{"small objects", small, 12, fmt.Sprint((12 << 20) / 64)}, {"small objects", small, 64, ""},
		{"an array grown without end", grown, 0, ""},
	} {
		res, err := run(t, e, c.code, Request{URL: fmt.Sprintf("http://agent.test/?mb=%d", c.mb)}, Env{})
		var le *LimitError
		// (modernc's engine may report the limit as a null thrown, whose
		// message names it, as TestMembombHeldLocally says)
		limited := errors.As(err, &le) && le.Limit == LimitMemory || strings.Contains(fmt.Sprint(err), "the memory limit is 32 MiB")
		switch {
		case c.want == "" && !limited:
			t.Errorf("%s, %d MiB under a 32 MiB limit: %v, want the memory limit", c.what, c.mb, err)
		case c.want != "" && (err != nil || string(res.Body) != c.want):
			t.Errorf("%s, %d MiB under a 32 MiB limit: %v %v, want an answer", c.what, c.mb, res, err)
		}
	}
}

// TestMembombHeldLocally: an agent that fills the heap with a local is
// stopped, and the error names the memory limit whichever way QuickJS
// reports it (its out-of-memory error, or null when the heap is too full
// to make one: what filled it is freed as the exception unwinds).
func TestMembombHeldLocally(t *testing.T) {
	e := newEngine(t, Limits{Memory: 64 << 20})
	_, err := run(t, e, agent(`{ async fetch() { const a = []; for (;;) a.push(new Array(1e6).fill(1)); } }`), Request{}, Env{})
	var le *LimitError
	if !(errors.As(err, &le) && le.Limit == LimitMemory) && !strings.Contains(fmt.Sprint(err), "the memory limit is 64 MiB") {
		t.Fatalf("err = %v, want the memory limit named", err)
	}
}

// TestStreams: WritableStream, TransformStream and the pipes, beside what
// TestHonoStreaming runs through Hono: writes reach the sink in order;
// a sink that throws errors the stream and rejects later writes; writing
// after close is refused; abort reaches the sink; TextDecoderStream keeps a
// character cut between chunks; a streamed body can be cloned (tee) and
// sent with fetch.
func TestStreams(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write([]byte("got " + string(b)))
	}))
	defer up.Close()
	e := newEngine(t, Limits{})
	code := agent(`{ async fetch(req) {
		const out = {};
		const seen = [];
		const w = new WritableStream({ write(c) { return new Promise((r) => setTimeout(() => { seen.push(c); r(); }, 3 - seen.length)); }, close() { seen.push("closed"); } });
		const writer = w.getWriter();
		writer.write("a"); writer.write("b"); writer.write("c");
		await writer.close();
		out.order = seen.join(",");
		try { await writer.write("d"); out.afterClose = "accepted"; } catch (e) { out.afterClose = e.constructor.name; }

		const bad = new WritableStream({ write(c) { if (c === 2) throw new Error("sink says no"); } }).getWriter();
		await bad.write(1);
		const r2 = await bad.write(2).then(() => "ok", (e) => e.message);
		const r3 = await bad.write(3).then(() => "ok", (e) => e.message);
		out.sinkError = [r2, r3];

		let abortedWith;
		const ab = new WritableStream({ abort(r) { abortedWith = r; } });
		await ab.getWriter().abort("stop");
		out.abort = abortedWith;

		const euro = new TextEncoder().encode("€uro");
		const parts = new ReadableStream({ start(c) { c.enqueue(euro.slice(0, 2)); c.enqueue(euro.slice(2)); c.close(); } });
		let text = "";
		for await (const s of parts.pipeThrough(new TextDecoderStream())) text += s;
		out.decoded = text;

		const piped = [];
		await new ReadableStream({ start(c) { c.enqueue("x"); c.enqueue("y"); c.close(); } })
			.pipeThrough(new TransformStream({ transform(c, ctl) { ctl.enqueue(c.toUpperCase()); }, flush(ctl) { ctl.enqueue("!"); } }))
			.pipeTo(new WritableStream({ write(c) { piped.push(c); } }));
		out.piped = piped.join("");

		const later = () => new ReadableStream({ start(c) { setTimeout(() => { c.enqueue("streamed "); c.enqueue(new TextEncoder().encode("body")); c.close(); }, 2); } });
		const res = new Response(later());
		const copy = res.clone();
		out.clone = [await res.text(), await copy.text()];
		const target = new URL(req.url).searchParams.get("up");
		const sent = await fetch(target, { method: "POST", body: later(), duplex: "half" });
		out.fetched = await sent.text();
		return Response.json(out);
	} }`)
	res, err := run(t, e, code, Request{URL: "http://agent.test/?up=" + up.URL}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"order":"a,b,c,closed","afterClose":"TypeError","sinkError":["sink says no","sink says no"],"abort":"stop","decoded":"€uro","piped":"XY!","clone":["streamed body","streamed body"],"fetched":"got streamed body"}`
	if string(res.Body) != want {
		t.Fatalf("body %s\nwant %s", res.Body, want)
	}
}

// TestIncomingRequestNormalised: the request an agent receives has its URL
// serialised as new URL does (host in lower case, no default port, a space
// encoded; the path otherwise as received) and a known method in upper
// case, as new Request makes them; Hono-style routing on method and path
// then works. A simple URL and method are the control.
func TestIncomingRequestNormalised(t *testing.T) {
	e := newEngine(t, Limits{})
	code := agent(`{ fetch(req) { return Response.json([req.method, req.url]); } }`)
	for _, c := range []struct{ method, url, want string }{
		{"GET", "http://agent.test/a?x=1", `["GET","http://agent.test/a?x=1"]`},
		{"get", "http://EXAMPLE.com:80/a b?x=1", `["GET","http://example.com/a%20b?x=1"]`},
		{"patch", "http://agent.test/%2e%2e/p", `["PATCH","http://agent.test/%2e%2e/p"]`},
		{"PROPFIND", "http://agent.test/", `["PROPFIND","http://agent.test/"]`},
	} {
		res, err := run(t, e, code, Request{Method: c.method, URL: c.url}, Env{})
		if err != nil || string(res.Body) != c.want {
			t.Errorf("%s %s: %s (%v), want %s", c.method, c.url, res.Body, err, c.want)
		}
	}
}

// TestStreamEdges: a streamed answer past the response limit stops at the
// limit (not the memory limit); a TransformStream whose start() errors it
// is errored, not a ReferenceError; pipeThrough a locked stream throws.
func TestStreamEdges(t *testing.T) {
	e := newEngine(t, Limits{ResponseBytes: 1 << 20, Memory: 64 << 20})
	big := agent(`{ fetch() {
		let n = 0;
		return new Response(new ReadableStream({ pull(c) { if (n++ < 40) c.enqueue(new Uint8Array(1 << 20)); else c.close(); } }));
	} }`)
	_, err := run(t, e, big, Request{}, Env{})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != LimitResponse {
		t.Errorf("a 40 MiB stream under a 1 MiB response limit: %v, want the response limit", err)
	}
	small := strings.Replace(big, "n++ < 40", "n++ < 1", 1)
	if res, err := run(t, e, small, Request{}, Env{}); err != nil || len(res.Body) != 1<<20 {
		t.Errorf("a 1 MiB stream (the control): %d bytes, %v", len(res.Body), err)
	}
	edges := agent(`{ async fetch() {
		const out = [];
		const ts = new TransformStream({ start(c) { c.error(new Error("no start")); } });
		out.push(await ts.writable.getWriter().write("x").then(() => "written", (e) => e.message));
		const rs = new ReadableStream({ start(c) { c.close(); } });
		rs.getReader();
		try { rs.pipeThrough(new TransformStream()); out.push("piped"); } catch (e) { out.push(e.constructor.name); }
		// An abort while the pipe waits for a chunk that never comes ends it.
		const ac = new AbortController();
		let cancelled = false;
		const never = new ReadableStream({ cancel() { cancelled = true; } });
		setTimeout(() => ac.abort("enough"), 5);
		out.push(await never.pipeTo(new WritableStream(), { signal: ac.signal }).then(() => "finished", (e) => e + (cancelled ? " (source cancelled)" : "")));
		return Response.json(out);
	} }`)
	res, err := run(t, e, edges, Request{}, Env{})
	if err != nil || string(res.Body) != `["no start","TypeError","enough (source cancelled)"]` {
		t.Errorf("stream edges: %s, %v", res.Body, err)
	}
}

// TestRespondHead: the answer's head crosses to the host as one string of
// NUL-separated fields (deliver, respond). A header whose value holds a NUL
// is left out and the others kept; a header pair that is not two strings
// and a status that is not an integer are refused with messages that say
// so. The control is the same agent answering status 201 with x-ok alone.
func TestRespondHead(t *testing.T) {
	e := newEngine(t, Limits{})
	code := agent(`async function main(request) {
		const r = JSON.parse(request);
		const headers = { "x-ok": "1" };
		if (r.path === "/nul") headers["x-nul"] = "a\u0000b";
		return JSON.stringify({ status: r.path === "/float" ? 201.5 : 201, headers, body: "b" });
	}`)
	for _, tt := range []struct {
		path, err string
	}{
		{"/", ""},
		{"/nul", ""},
		{"/float", `malformed response: status "201.5" is not an integer`},
	} {
		res, err := run(t, e, code, Request{URL: "http://agent.test" + tt.path}, Env{})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("%s: %v, want %q", tt.path, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		if res.Status != 201 || res.Header.Get("X-Ok") != "1" || len(res.Header) != 1 || string(res.Body) != "b" {
			t.Fatalf("%s: %d %v %q", tt.path, res.Status, res.Header, res.Body)
		}
	}
	// A Response-like object (not a Response) whose headers are not pairs
	// of strings; the control answers with string pairs.
	like := agent(`{ fetch(request) {
		const path = new URL(request.url).pathname;
		const pairs = path === "/bad" ? [["x-n", 1]] : path === "/three" ? [["x-n", "1", "extra"]] : [["x-n", "1"]];
		return { status: 200, headers: pairs, text: () => "t" };
	} }`)
	res, err := run(t, e, like, Request{URL: "http://agent.test/good"}, Env{})
	if err != nil || res.Header.Get("X-N") != "1" {
		t.Fatalf("the control: %v %+v", err, res)
	}
	for _, path := range []string{"/bad", "/three"} {
		_, err = run(t, e, like, Request{URL: "http://agent.test" + path}, Env{})
		if err == nil || !strings.Contains(err.Error(), "TypeError: the agent's response headers must be [name, value] pairs of strings") {
			t.Fatalf("%s: headers not pairs of strings: %v", path, err)
		}
	}

	// The status: a string, even one shaped like a head, is refused; one
	// that is not a number at all is out of range, as it was when the head
	// was JSON (NaN became 0). Each case changes the status alone.
	statuses := agent(`{ fetch(request) {
		const path = new URL(request.url).pathname;
		const r = new Response("b", { headers: { "x-ok": "1" } });
		const st = { "/": 200, "/string": "200\u0000text\u0000x-forged\u0000yes\u0000x-z", "/nan": NaN }[path];
		Object.defineProperty(r, "status", { value: st });
		return r;
	} }`)
	for _, tt := range []struct{ path, err string }{
		{"/", ""},
		{"/string", "TypeError: the agent's response status must be a number, not a string"},
		{"/nan", "the agent answered with status 0"},
	} {
		res, err := run(t, e, statuses, Request{URL: "http://agent.test" + tt.path}, Env{})
		switch {
		case tt.err == "" && (err != nil || res.Status != 200 || len(res.Header) != 2 || res.Header.Get("X-Ok") != "1"):
			t.Fatalf("%s: %v %+v", tt.path, err, res)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Fatalf("%s: %v, want %q", tt.path, err, tt.err)
		}
	}

	// A body over the response limit is that limit's error even when the
	// headers are not pairs of strings (the limit is checked first); the
	// control has a body within it.
	small := newEngine(t, Limits{ResponseBytes: 8})
	big := agent(`{ fetch(request) {
		const body = new URL(request.url).pathname === "/big" ? "x".repeat(100) : "x";
		return { status: 200, headers: ["ab"], text: () => body };
	} }`)
	if _, err := run(t, small, big, Request{URL: "http://agent.test/"}, Env{}); err == nil || !strings.Contains(err.Error(), "pairs of strings") {
		t.Fatalf("the control, a small body with a header that is not a pair: %v", err)
	}
	var le *LimitError
	if _, err := run(t, small, big, Request{URL: "http://agent.test/big"}, Env{}); !errors.As(err, &le) || le.Limit != LimitResponse {
		t.Fatalf("a body over the limit: %v, want the response limit", err)
	}

	// The host itself takes a status only as JavaScript writes an integer.
	for _, tt := range []struct {
		status string
		ok     bool
	}{{"200", true}, {"-1", true}, {"+200", false}, {"0200", false}, {" 200", false}, {"2e2", false}, {"", false}} {
		inv := newInvocation(context.Background(), e, Request{Method: "GET", URL: "http://agent.test/"}, Env{})
		iso, err := e.newIsolate("")
		if err != nil {
			t.Fatal(err)
		}
		inv.iso, iso.cur = iso, inv
		if _, err := inv.host([]any{"respond", tt.status + "\x00text", "hi"}); err != nil {
			t.Fatal(err)
		}
		var ae *AgentError
		malformed := errors.As(inv.failure, &ae) && strings.Contains(ae.Message, "is not an integer")
		if malformed == tt.ok {
			t.Errorf("status %q: failure %v", tt.status, inv.failure)
		}
		inv.close() // closes iso too
	}

	// A head over the host's argument bound is the response limit's
	// error, recorded rather than thrown: the runtime has marked the
	// answer delivered, so a thrown error would end the call as "no
	// response". The control is the same head within the bound.
	for _, n := range []int{maxHostArg - 16, maxHostArg + 1} {
		inv := newInvocation(context.Background(), e, Request{Method: "GET", URL: "http://agent.test/"}, Env{})
		iso, err := e.newIsolate("")
		if err != nil {
			t.Fatal(err)
		}
		inv.iso, iso.cur = iso, inv
		head := "200\x00text\x00x-big\x00" + strings.Repeat("a", n-len("200\x00text\x00x-big\x00"))
		if _, err := inv.host([]any{"respond", head, "hi"}); err != nil {
			t.Fatalf("a head of %d bytes: host threw %v", n, err)
		}
		var le *LimitError
		over := errors.As(inv.failure, &le) && le.Limit == LimitResponse
		if !inv.done || over != (n > maxHostArg) || !over && (inv.failure != nil || inv.result.Status != 200) {
			t.Errorf("a head of %d bytes: done %v, failure %v, status %d", n, inv.done, inv.failure, inv.result.Status)
		}
		inv.close()
	}
}

// TestInternalsHidden: the runtime's own fields (the body, whether it was
// used, the headers, ...) are never properties named by strings, so
// Object.keys, for...in and JSON never show them, before or after a body
// is used; and bodyUsed says whether it was: read through text() and
// through the body stream (the lazy runtime's reader marks it).
func TestInternalsHidden(t *testing.T) {
	e := newEngine(t, Limits{})
	code := agent(`{ async fetch(request) {
		const shown = (o) => Object.getOwnPropertyNames(o).filter((k) => k.startsWith("_"));
		const out = {};
		out.before = [request.bodyUsed, shown(request)];
		request.headers.get("x");
		await request.text();
		out.request = [request.bodyUsed, shown(request)];
		const u = new URL(request.url);
		u.searchParams.get("q");
		out.url = [shown(u), shown(u.searchParams)];
		const r = new Response("abc");
		const unread = [r.bodyUsed, shown(r)];
		await r.body.getReader().read();
		out.stream = [unread, r.bodyUsed, shown(r)];
		return Response.json(out);
	} }`)
	res, err := run(t, e, code, Request{Method: "POST", URL: "http://agent.test/?q=1", Body: []byte("hi")}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"before":[false,[]],"request":[true,[]],"url":[[],[]],"stream":[[false,[]],true,[]]}`
	if string(res.Body) != want {
		t.Fatalf("got  %s\nwant %s", res.Body, want)
	}
}

// TestPrototypeCallsStayLocal: an agent that calls the runtime's getters
// and methods on the prototypes themselves (Request.prototype.headers and
// .signal, Response.prototype.text()) changes nothing for the requests and
// responses after it in the same warm VM: their state is their own. (A
// version that kept internal defaults on the prototypes let such a call
// share one Headers, one AbortSignal or a used-up body with every later
// request.) Two warm VMs each serve three calls; they differ only in that
// one VM's first call pokes the prototypes. The third call's request
// headers, its signal (against the second call's) and a new Response's
// body must be the same on both.
func TestPrototypeCallsStayLocal(t *testing.T) {
	e := newEngine(t, Limits{})
	code := agent(`{ async fetch(request) {
		// Not Responses: on the version above, every Response's body was
		// used up once poked, the poking call's own answer among them.
		if (new URL(request.url).pathname === "/poke") {
			for (const f of [() => Request.prototype.headers, () => Request.prototype.signal, () => Response.prototype.text()]) {
				try { await f(); } catch (e) {}
			}
			return { status: 200, headers: [], text: () => "poked" };
		}
		const sameSignal = request.signal === globalThis.lastSignal;
		globalThis.lastSignal = request.signal;
		return { status: 200, headers: [], text: async () => JSON.stringify({ a: request.headers.get("x-a"), sameSignal, text: await new Response("z").text() }) };
	} }`)
	p, err := e.Compile([]byte(code))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":"1","sameSignal":false,"text":"z"}`
	for _, tt := range []struct{ iso, first string }{{"control", "/x"}, {"poked", "/poke"}} {
		var res *Result
		for i, path := range []string{tt.first, "/", "/"} {
			res, err = e.Run(context.Background(), p, Request{Method: "GET", URL: "http://agent.test" + path, Header: http.Header{"X-A": {"1"}}}, Env{Isolate: tt.iso})
			if err != nil {
				t.Fatalf("%s, call %d: %v", tt.iso, i+1, err)
			}
			if i > 0 && !res.Warm {
				t.Fatalf("%s, call %d: the VM was not reused", tt.iso, i+1)
			}
		}
		if string(res.Body) != want {
			t.Fatalf("%s: %s, want %s", tt.iso, res.Body, want)
		}
	}
}

// TestFetchStoppedAtAnswer: a fetch still in flight when the agent answers
// is cancelled as the call ends, not left running on the host. The
// upstream holds /slow until its client goes away; the agent answers once
// /arrived says /slow has reached the upstream (the control: the fetch was
// on its way).
func TestFetchStoppedAtAnswer(t *testing.T) {
	arrived, gone := make(chan struct{}), make(chan struct{}, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/arrived" {
			select {
			case <-arrived:
				w.Write([]byte("yes"))
			case <-time.After(5 * time.Second):
				w.Write([]byte("no"))
			}
			return
		}
		close(arrived)
		<-r.Context().Done()
		gone <- struct{}{}
	}))
	defer up.Close()
	e := newEngine(t, Limits{Timeout: 10 * time.Second})
	code := agent(`{ async fetch(request) {
		fetch("` + up.URL + `/slow").catch(() => {});
		const r = await fetch("` + up.URL + `/arrived");
		return new Response(await r.text());
	} }`)
	res, err := run(t, e, code, Request{Method: "GET", URL: "http://agent.test/"}, Env{})
	if err != nil || string(res.Body) != "yes" {
		t.Fatalf("the fetch to hold did not reach the upstream: %v %v", res, err)
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("the fetch was still in flight 5 s after the call ended")
	}
}
