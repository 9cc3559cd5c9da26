package sandbox

import (
	"context"
	"testing"
)

// BenchmarkRuntime measures a call on a warm VM for handlers that do more
// and more: minimal is the runtime's own cost per request (issue 13's
// target: at most 50 µs), url adds new URL, json Response.json, hello
// both and searchParams (examples/hello.ts).
func BenchmarkRuntime(b *testing.B) {
	e := newEngine(b, Limits{})
	defer e.Close()
	for _, c := range []struct{ name, code string }{
		{"minimal", agent(`{ fetch() { return new Response("x"); } }`)},
		{"url", agent(`{ fetch(r) { new URL(r.url); return new Response("x"); } }`)},
		{"json", agent(`{ fetch(r) { return Response.json({a: 1}); } }`)},
		{"hello", agent(`{ async fetch(request, env) {
		const url = new URL(request.url);
		const name = url.searchParams.get("name") ?? "world";
		return Response.json({ greeting: (env.GREETING ?? "Hello") + " " + name, agent: "hello" });
	} }`)},
	} {
		p, _ := e.Compile([]byte(c.code))
		req := Request{Method: "GET", URL: "http://a.test/hello?name=Ada", Header: map[string][]string{"Accept": {"*/*"}, "User-Agent": {"bench"}}}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := e.Run(context.Background(), p, req, Env{Isolate: c.name}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRuntimeParallel is BenchmarkRuntime's hello on every core at
// once, each goroutine taking warm VMs from the pool of one agent: how the
// engine scales (modernc's allocator lock held two cores to ~1.2× one).
func BenchmarkRuntimeParallel(b *testing.B) {
	e := newEngine(b, Limits{})
	defer e.Close()
	p, err := e.Compile([]byte(agent(`{ async fetch(request, env) {
		const url = new URL(request.url);
		const name = url.searchParams.get("name") ?? "world";
		return Response.json({ greeting: (env.GREETING ?? "Hello") + " " + name, agent: "hello" });
	} }`)))
	if err != nil {
		b.Fatal(err)
	}
	req := Request{Method: "GET", URL: "http://a.test/hello?name=Ada", Header: map[string][]string{"Accept": {"*/*"}, "User-Agent": {"bench"}}}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.Run(context.Background(), p, req, Env{Isolate: "hello"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
