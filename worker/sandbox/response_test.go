package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestResponseLazyHeaders: a Response made without init headers makes its
// Headers object only when read (prelude.js, Response's headers getter),
// and deliverResponse sends the body's type without making it. Each case
// must answer with the same headers whether or not the agent read them
// first, and what the agent sets after reading them is sent.
func TestResponseLazyHeaders(t *testing.T) {
	e := newEngine(t, Limits{})
	for _, c := range []struct {
		name, handler string
		want          http.Header
	}{
		{"text, headers never read", `return new Response("x")`, http.Header{"Content-Type": {"text/plain;charset=UTF-8"}}},
		{"text, headers read", `const r = new Response("x"); r.headers.get("content-type"); return r`, http.Header{"Content-Type": {"text/plain;charset=UTF-8"}}},
		{"json, headers never read", `return Response.json({a: 1})`, http.Header{"Content-Type": {"application/json"}}},
		{"no body: no type", `return new Response(null, {status: 204})`, http.Header{}},
		{"bytes: no type", `return new Response(new Uint8Array([1]))`, http.Header{}},
		{"set after the constructor", `const r = new Response("x"); r.headers.set("x-a", "1"); return r`, http.Header{"Content-Type": {"text/plain;charset=UTF-8"}, "X-A": {"1"}}},
		{"type replaced after the constructor", `const r = Response.json(1); r.headers.set("content-type", "text/x"); return r`, http.Header{"Content-Type": {"text/x"}}},
		{"init headers keep their type", `return new Response("x", {headers: {"content-type": "text/y"}})`, http.Header{"Content-Type": {"text/y"}}},
		{"init headers without a type get the body's", `return new Response("x", {headers: {"x-b": "2"}})`, http.Header{"Content-Type": {"text/plain;charset=UTF-8"}, "X-B": {"2"}}},
		// Whatever reading the headers gives is what goes out: a subclass's
		// getter, a property of the response's own, a getter put on
		// Response.prototype.
		{"a subclass's headers", `class R extends Response { get headers() { return new Headers({"x-sub": "1"}); } } return new R("x")`, http.Header{"X-Sub": {"1"}}},
		{"its own headers", `const r = new Response("x"); Object.defineProperty(r, "headers", {value: new Headers({"x-own": "1"})}); return r`, http.Header{"X-Own": {"1"}}},
		{"a Proxy's headers", `const t = new Response("x");
			return new Proxy(t, { get(o, k) {
				if (k === "headers") return new Headers({"x-proxy": "1"});
				const v = Reflect.get(o, k, o);
				return typeof v === "function" ? v.bind(o) : v;
			} })`, http.Header{"X-Proxy": {"1"}}},
		{"Response.prototype's headers replaced", `Object.defineProperty(Response.prototype, "headers", {get() { return new Headers({"x-proto": "1"}); }}); return new Response("x")`, http.Header{"X-Proto": {"1"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := run(t, e, agent(`{ fetch() { `+c.handler+` } }`), Request{}, Env{})
			if err != nil {
				t.Fatal(err)
			}
			delete(res.Header, "Content-Length")
			if got, want := jsonOf(res.Header), jsonOf(c.want); got != want {
				t.Errorf("headers %s, want %s", got, want)
			}
		})
	}
}

// TestResponseAccessors: statusText, type, url, redirected and headers are
// accessors of Response.prototype, as in the Fetch standard and Node: a
// new Response has no own enumerable string keys, and each has its value
// for a new, a cloned and an error Response, and a clone of that (status
// 0, which the constructor refuses).
func TestResponseAccessors(t *testing.T) {
	e := newEngine(t, Limits{})
	res, err := run(t, e, agent(`{ fetch() {
		const show = (r) => [r.status, r.statusText, r.type, r.url, r.redirected, r.headers.get("content-type")];
		const r = new Response("x", {status: 201, statusText: "Made"});
		const proto = ["headers", "statusText", "type", "url", "redirected"].map((k) => typeof Object.getOwnPropertyDescriptor(Response.prototype, k).get);
		return Response.json({
			keys: Object.keys(r), proto,
			plain: show(new Response("x")), given: show(r), clone: show(r.clone()), error: show(Response.error()),
			errorClone: show(Response.error().clone()),
		});
	} }`), Request{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"keys":[],"proto":["function","function","function","function","function"],` +
		`"plain":[200,"","default","",false,"text/plain;charset=UTF-8"],` +
		`"given":[201,"Made","default","",false,"text/plain;charset=UTF-8"],` +
		`"clone":[201,"Made","default","",false,"text/plain;charset=UTF-8"],` +
		`"error":[0,"","error","",false,null],"errorClone":[0,"","error","",false,null]}`
	if string(res.Body) != want {
		t.Errorf("got  %s\nwant %s", res.Body, want)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestHandlerPromiseAnswer: a fetch handler's promise is answered with as
// awaiting it would, on both engines: after the jobs queued before it (the
// native engine answers an already-fulfilled promise at once only when
// that is what the await would do next: prelude.js, run, and
// quickjs_native.h, cove_settled), through a Promise subclass's own then
// and constructor, and reading the promise's constructor once (what an
// agent's getter sees, logged). The controls are the same handlers without
// the job, the subclass or the getter.
func TestHandlerPromiseAnswer(t *testing.T) {
	e := newEngine(t, Limits{})
	for _, c := range []struct{ name, handler, want string }{
		{"fulfilled", `async fetch() { return new Response("x"); }`, "x"},
		{"fulfilled, a job queued", `async fetch() { const r = new Response("x"); Promise.resolve().then(() => r.headers.set("x-late", "1")); return r; }`, "x late=1"},
		{"awaiting", `async fetch() { await null; return new Response("x"); }`, "x"},
		{"a Promise subclass's then", `fetch() {
			class P extends Promise { then(f, r) { return super.then(() => f(new Response("sub")), r); } }
			return P.resolve(new Response("x"));
		}`, "sub"},
		{"a Promise subclass", `fetch() { class P extends Promise {} return P.resolve(new Response("x")); }`, "x"},
		{"a Promise subclass whose constructor throws after", `fetch() {
			let armed = false;
			class P extends Promise { constructor(ex) { if (armed) throw new Error("species"); super(ex); } }
			const p = P.resolve(new Response("x"));
			armed = true;
			return p;
		}`, "Error: species"},
		{"its own constructor, a getter", `fetch() {
			const p = (async () => new Response("x"))();
			Object.defineProperty(p, "constructor", { get() { console.log("read"); return Promise; } });
			return p;
		}`, "x logs=read"},
		{"Promise.prototype.constructor, a getter", `fetch() {
			const p = (async () => new Response("x"))();
			const P = Promise;
			Object.defineProperty(Promise.prototype, "constructor", { get() { console.log("read"); return P; }, configurable: true });
			return p;
		}`, "x logs=read"},
		{"Promise.prototype.constructor, a getter, and the global Promise replaced", `fetch() {
			const p = (async () => new Response("x"))();
			const P = Promise;
			Object.defineProperty(P.prototype, "constructor", { get() { console.log("read"); return P; }, configurable: true });
			globalThis.Promise = function () {};
			return p;
		}`, "x logs=read"},
		{"Promise.resolve replaced", `fetch() { Promise.resolve = () => { throw new Error("used"); }; return (async () => new Response("x"))(); }`, "x"},
		{"rejected", `async fetch() { throw new Error("no"); }`, "Error: no"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := run(t, e, agent(`{ `+c.handler+` }`), Request{}, Env{})
			var got string
			if err != nil {
				got = err.Error()
				if i := strings.Index(got, "\n"); i >= 0 {
					got = got[:i]
				}
			} else {
				got = string(res.Body)
				if v := res.Header.Get("X-Late"); v != "" {
					got += " late=" + v
				}
				var logs []string
				for _, l := range res.Logs {
					logs = append(logs, l.Message)
				}
				if len(logs) > 0 {
					got += " logs=" + strings.Join(logs, ",")
				}
			}
			if !strings.Contains(got, c.want) || (err == nil && got != c.want) {
				t.Errorf("%s, want %s", got, c.want)
			}
		})
	}
}

// TestInspectWebClasses: console.log shows a Response, a Request, a URL,
// Headers and URLSearchParams by their fields (accessors, which Object.keys
// does not list), like Node's inspect.
func TestInspectWebClasses(t *testing.T) {
	e := newEngine(t, Limits{})
	res, err := run(t, e, agent(`{ fetch(request) {
		console.log(new Response("x", {status: 201, statusText: "Made"}));
		console.log(new Request("http://a.test/p", {method: "POST", headers: {"x-a": "1"}}));
		console.log(new URL("http://a.test:8080/p?q=1#h"));
		console.log(new Headers({"b": "2", "a": "1"}), new URLSearchParams("q=1&r=2"));
		class T { get [Symbol.toStringTag]() { return "Response"; } constructor() { this.mine = 1; } }
		console.log(new T());
		return new Response("ok");
	} }`), Request{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`Response { status: 201, statusText: "Made", headers: Headers { "content-type": "text/plain;charset=UTF-8" }, ok: true, redirected: false, type: "default", url: "", bodyUsed: false }`,
		`Request { method: "POST", url: "http://a.test/p", headers: Headers { "x-a": "1" }, bodyUsed: false }`,
		`URL { href: "http://a.test:8080/p?q=1#h", origin: "http://a.test:8080", protocol: "http:", username: "", password: "", host: "a.test:8080", hostname: "a.test", port: "8080", pathname: "/p", search: "?q=1", hash: "#h" }`,
		`Headers { "a": "1", "b": "2" } URLSearchParams { "q": "1", "r": "2" }`,
		// An object of the agent's tagged "Response" is shown by its own keys.
		`T { mine: 1 }`,
	}
	if len(res.Logs) != len(want) {
		t.Fatalf("logs %+v", res.Logs)
	}
	for i, w := range want {
		if res.Logs[i].Message != w {
			t.Errorf("log %d:\n got  %s\n want %s", i, res.Logs[i].Message, w)
		}
	}
}
