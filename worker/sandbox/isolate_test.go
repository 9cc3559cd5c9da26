package sandbox

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// counter is an agent whose module state counts its calls in this VM; the
// query's k makes a call end in one of the ways that must retire its VM.
var counter = agent(`{ async fetch(req) {
	globalThis.n = (globalThis.n || 0) + 1;
	const k = new URL(req.url).searchParams.get("k");
	if (k === "throw") throw new Error("asked to throw");
	if (k === "reject") return Promise.reject({ code: 1 });
	if (k === "loop") for (;;) {}
	if (k === "memory") { const a = []; for (;;) a.push("x".repeat(1 << 20) + a.length); }
	if (k === "flood") for (;;) await null;
	if (k === "timer") setTimeout(() => {}, 60000);
	if (k === "fetch") fetch("http://127.0.0.1:1/never").catch(() => {});
	if (k === "after") { (async () => { await null; for (;;) await null; })(); }
	if (k === "big") return new Response("x".repeat(4096));
	if (k === "wait") await new Promise((r) => setTimeout(r, 10000));
	return new Response(String(globalThis.n));
} }`)

// call runs one call of p with key and query k and returns the body, or
// the error's text.
func call(t *testing.T, ctx context.Context, e *Engine, p *Program, key, k string) (string, bool) {
	t.Helper()
	res, err := e.Run(ctx, p, Request{Method: "GET", URL: "http://agent.test/?k=" + k}, Env{Isolate: key})
	if err != nil {
		return "error: " + err.Error(), res.Warm
	}
	return string(res.Body), res.Warm
}

func TestWarmIsolate(t *testing.T) {
	e := newEngine(t, Limits{})
	defer e.Close()
	p, err := e.Compile([]byte(counter))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, want := range []string{"1", "2", "3"} {
		got, warm := call(t, ctx, e, p, "agent-a", "")
		if got != want || warm != (i > 0) {
			t.Fatalf("call %d of agent a: %q warm=%v, want %q warm=%v: module state does not persist in its warm VM", i+1, got, warm, want, i > 0)
		}
	}
	// Another agent with the same code never sees a's VM.
	if got, warm := call(t, ctx, e, p, "agent-b", ""); got != "1" || warm {
		t.Fatalf("agent b's first call: %q warm=%v, want 1 in a VM of its own", got, warm)
	}
	// Per-request isolation: a fresh VM every time.
	for range 2 {
		if got, warm := call(t, ctx, e, p, "", ""); got != "1" || warm {
			t.Fatalf("a call without an isolate key: %q warm=%v, want 1 in a fresh VM", got, warm)
		}
	}
	// An upgrade (another program) under the same key: a fresh VM.
	p2, err := e.Compile([]byte(counter))
	if err != nil {
		t.Fatal(err)
	}
	if got, warm := call(t, ctx, e, p2, "agent-a", ""); got != "1" || warm {
		t.Fatalf("agent a's first call after an upgrade: %q warm=%v, want 1 in a fresh VM", got, warm)
	}
	st := e.PoolStats()
	if st.Warm != 2 || st.Cold != 5 || st.Retired != 2 || st.Idle != 2 {
		t.Errorf("pool stats %+v, want 2 warm, 5 cold (a, b, two without a key, a upgraded), 2 retired (those without a key), 2 idle", st)
	}
}

// TestIsolateRetired: a VM whose call threw, hit a limit, was cancelled,
// left a timer or a fetch pending, or answered beyond a limit is never
// used again. Each case runs on a key whose VM was warm just before (the
// control: the same call without k is served warm), and only k differs.
func TestIsolateRetired(t *testing.T) {
	e := newEngine(t, Limits{Timeout: 500 * time.Millisecond, Memory: 16 << 20, ResponseBytes: 1024})
	defer e.Close()
	p, err := e.Compile([]byte(counter))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ k, failure string }{
		{"throw", "asked to throw"},
		{"reject", "not an Error"},
		{"loop", "time"},
		{"memory", "memory"},
		{"flood", "microtask"},
		{"big", "response"},
		{"wait", "canceled"},
		{"timer", ""},          // answers, but leaves a timer
		{"fetch", ""},          // answers, but leaves a fetch in flight
		{"after", "microtask"}, // floods microtasks beside its answer
	} {
		t.Run(tc.k, func(t *testing.T) {
			key := "agent-" + tc.k
			ctx := context.Background()
			call(t, ctx, e, p, key, "")
			if got, warm := call(t, ctx, e, p, key, ""); got != "2" || !warm {
				t.Fatalf("control: the second clean call got %q warm=%v, want 2 from the warm VM", got, warm)
			}
			cctx := ctx
			if tc.k == "wait" {
				var cancel context.CancelFunc
				cctx, cancel = context.WithCancel(ctx)
				defer time.AfterFunc(100*time.Millisecond, cancel).Stop()
			}
			got, warm := call(t, cctx, e, p, key, tc.k)
			if !warm {
				t.Fatalf("the %s call did not run in the warm VM", tc.k)
			}
			if tc.failure == "" && got != "3" || tc.failure != "" && !strings.Contains(got, tc.failure) {
				t.Fatalf("the %s call: %q, want %q", tc.k, got, tc.failure)
			}
			if got, warm := call(t, ctx, e, p, key, ""); got != "1" || warm {
				t.Fatalf("after a %s call the next one got %q warm=%v, want 1 in a fresh VM", tc.k, got, warm)
			}
		})
	}
}

// TestIsolateScriptNotReused: a built script's top-level code is its
// handler, so its VM serves one call.
func TestIsolateScriptNotReused(t *testing.T) {
	e := newEngine(t, Limits{})
	defer e.Close()
	p, err := e.Compile([]byte(`globalThis.n = (globalThis.n || 0) + 1; const r = JSON.parse(scriptArgs[0]); scriptOutput = JSON.stringify({ status: 200, body: String(globalThis.n) });`))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got, warm := call(t, context.Background(), e, p, "script", ""); got != "1" || warm {
			t.Fatalf("a built script: %q warm=%v, want 1 in a fresh VM each call", got, warm)
		}
	}
}

func TestIsolateBounds(t *testing.T) {
	e := newEngine(t, Limits{})
	defer e.Close()
	e.SetIsolates(Isolates{MaxUses: 2, MaxIdle: 1})
	p, err := e.Compile([]byte(counter))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var got []string
	for range 5 {
		b, _ := call(t, ctx, e, p, "a", "")
		got = append(got, b)
	}
	if strings.Join(got, ",") != "1,2,1,2,1" {
		t.Fatalf("with max_uses 2: %v, want each VM to serve two calls", got)
	}
	// MaxIdle 1: b's idle VM pushes out a's.
	call(t, ctx, e, p, "b", "")
	if b, warm := call(t, ctx, e, p, "a", ""); b != "1" || warm {
		t.Fatalf("with max_idle 1, a's VM outlived b's release: %q warm=%v", b, warm)
	}
	if st := e.PoolStats(); st.Idle != 1 {
		t.Fatalf("%d idle VMs with max_idle 1", st.Idle)
	}
	e.Close()
	if st := e.PoolStats(); st.Idle != 0 {
		t.Fatalf("%d idle VMs after Close", st.Idle)
	}
}

// TestIsolateTaintedByTopLevelArgs: an agent whose top-level code reads
// scriptArgs holds its first call's request in module state, so its VM
// serves that call only (else the next caller would see it). The control
// reads the request in the handler and keeps its warm VM.
func TestIsolateTaintedByTopLevelArgs(t *testing.T) {
	e := newEngine(t, Limits{})
	defer e.Close()
	for _, c := range []struct {
		name, code, second string
		warm               bool
	}{
		{"reads scriptArgs at top level", `var __cove_agent = (() => { const first = JSON.parse(scriptArgs[0]).url; return { default: { fetch(req) { return new Response(first + "|" + req.url); } } }; })();`,
			"http://agent.test/b|http://agent.test/b", false},
		{"reads the request in its handler (control)", `var __cove_agent = (() => { let first = null; return { default: { fetch(req) { first = first || req.url; return new Response(first + "|" + req.url); } } }; })();`,
			"http://agent.test/a|http://agent.test/b", true},
	} {
		p, err := e.Compile([]byte(c.code))
		if err != nil {
			t.Fatal(err)
		}
		run := func(path string) (*Result, error) {
			return e.Run(context.Background(), p, Request{Method: "GET", URL: "http://agent.test" + path}, Env{Isolate: c.name})
		}
		if _, err := run("/a"); err != nil {
			t.Fatal(err)
		}
		res, err := run("/b")
		if err != nil || string(res.Body) != c.second || res.Warm != c.warm {
			t.Errorf("%s: second call %q warm=%v (%v), want %q warm=%v", c.name, res.Body, res.Warm, err, c.second, c.warm)
		}
	}
}

// TestIsolateIdleSweep: idle VMs are closed after IdleTimeout with no
// call to trigger it, and after Close a VM released by a call that was
// running is closed, not pooled.
func TestIsolateIdleSweep(t *testing.T) {
	e := newEngine(t, Limits{})
	e.SetIsolates(Isolates{IdleTimeout: 100 * time.Millisecond})
	p, err := e.Compile([]byte(counter))
	if err != nil {
		t.Fatal(err)
	}
	call(t, context.Background(), e, p, "a", "")
	if st := e.PoolStats(); st.Idle != 1 {
		t.Fatalf("%d idle VMs after a call, want 1", st.Idle)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.PoolStats().Idle != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the idle VM was not closed within 5 s of a 100 ms idle timeout")
		}
		time.Sleep(20 * time.Millisecond)
	}

	done := make(chan struct{})
	go func() { defer close(done); call(t, context.Background(), e, p, "b", "timer-free-wait") }()
	e.Close()
	<-done
	call(t, context.Background(), e, p, "b", "")
	if st := e.PoolStats(); st.Idle != 0 {
		t.Fatalf("%d idle VMs after Close, want 0", st.Idle)
	}
}

// TestIsolatesUnderCancellation runs one agent's calls from 8 goroutines
// at once, a third of them cancelled while their handler spins, so warm
// VMs are interrupted, retired and remade while others serve calls and the
// pool sweeps. Nothing may crash (the native engine aborts the process on
// a value left alive at Close), every call ends as it should, and the
// engine answers normally afterwards. CI runs it on both engines; it
// passes under -race too.
func TestIsolatesUnderCancellation(t *testing.T) {
	e := newEngine(t, Limits{Timeout: 5 * time.Second})
	defer e.Close()
	p, err := e.Compile([]byte(agent(`{ fetch(r) {
		const spin = new URL(r.url).searchParams.get("spin") === "1";
		if (spin) for (;;) {}
		globalThis.n = (globalThis.n || 0) + 1;
		return new Response("ok " + (typeof globalThis.n));
	} }`)))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				spin := (g+i)%3 == 0
				url := "http://a.test/?spin=0"
				ctx, cancel := context.WithCancel(context.Background())
				if spin {
					url = "http://a.test/?spin=1"
					time.AfterFunc(time.Duration(1+i%5)*time.Millisecond, cancel)
				}
				res, err := e.Run(ctx, p, Request{Method: "GET", URL: url}, Env{Isolate: "agent"})
				cancel()
				switch {
				case spin && !errors.Is(err, context.Canceled):
					t.Errorf("a cancelled call ended with %v", err)
				case !spin && (err != nil || string(res.Body) != "ok number"):
					t.Errorf("a call: %v, %v", res, err)
				}
			}
		}()
	}
	wg.Wait()
	res, err := e.Run(context.Background(), p, Request{Method: "GET", URL: "http://a.test/"}, Env{Isolate: "agent"})
	if err != nil || string(res.Body) != "ok number" {
		t.Fatalf("after: %v, %v", res, err)
	}
	if s := e.PoolStats(); s.Retired == 0 || s.Warm == 0 {
		t.Fatalf("pool stats %+v: want warm calls and retired VMs", s)
	}
}
