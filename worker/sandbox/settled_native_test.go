//go:build cgo && !cove_purego && (linux || darwin) && (amd64 || arm64)

package sandbox

import (
	"context"
	"testing"
)

// TestNativeSettled: the native engine's __cove_settled(p, none, Promise,
// Promise.prototype) (quickjs_native.h, cove_settled) gives p's value only
// for a promise already fulfilled while no job is queued, whose
// constructor is Promise as a plain data property of Promise.prototype
// (read without running a getter); for anything else, none. Each
// case runs in its own call, the jobs of the one before drained; the
// control (a fulfilled promise) sits beside each refusal, which changes
// one thing. The last case crosses values 10,000 times, each returned
// reference dropped: a count off by one frees a value still in use.
func TestNativeSettled(t *testing.T) {
	vm, err := newVM()
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	bc, err := compile("settled_test.js", `(() => {
		const settled = globalThis.__cove_settled, NONE = {}, P = Promise, proto = Promise.prototype;
		const s = (p) => settled(p, NONE, P, proto);
		let getterRan = false;
		const show = (v) => (v === NONE ? "none" : typeof v === "object" ? JSON.stringify(v) : String(v));
		const cases = {
			fulfilled: () => s(Promise.resolve(5)),
			"fulfilled, a job queued": () => { Promise.resolve().then(() => {}); return s(Promise.resolve(5)); },
			"async function, nothing awaited": () => s((async () => ({ a: 7 }))()),
			"async function, awaiting": () => s((async () => { await null; return 7; })()),
			pending: () => s(new Promise(() => {})),
			rejected: () => { const p = Promise.reject(1); const v = s(p); p.catch(() => {}); return v; },
			thenable: () => s({ then(f) { f(5); } }),
			number: () => s(5),
			"its own constructor": () => { const p = Promise.resolve(5); p.constructor = P; return s(p); },
			"Promise.prototype.constructor replaced": () => {
				proto.constructor = function () {};
				try { return s(Promise.resolve(5)); } finally { proto.constructor = P; }
			},
			"Promise.prototype.constructor a getter": () => {
				Object.defineProperty(proto, "constructor", { get() { getterRan = true; return P; }, configurable: true });
				try { const v = s(Promise.resolve(5)); return getterRan ? "the getter ran" : v; }
				finally { Object.defineProperty(proto, "constructor", { value: P, writable: true, configurable: true }); }
			},
			"many crossings": () => {
				let v;
				for (let i = 0; i < 10000; i++) { v = s(Promise.resolve({ i })); s(new Promise(() => {})); }
				return v;
			},
		};
		return (name) => show(cases[name]());
	})()`)
	if err != nil {
		t.Fatal(err)
	}
	check, err := vm.EvalBytecodeValue(bc)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Free()
	for _, c := range []struct{ name, want string }{
		{"fulfilled", "5"},
		{"fulfilled, a job queued", "none"},
		{"fulfilled", "5"},
		{"async function, nothing awaited", `{"a":7}`},
		{"async function, awaiting", "none"},
		{"fulfilled", "5"},
		{"pending", "none"},
		{"rejected", "none"},
		{"thenable", "none"},
		{"number", "none"},
		{"fulfilled", "5"},
		{"its own constructor", "none"},
		{"Promise.prototype.constructor replaced", "none"},
		{"Promise.prototype.constructor a getter", "none"},
		{"many crossings", `{"i":9999}`},
		{"fulfilled", "5"},
	} {
		got, err := check.Call(c.name)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: %v, want %s", c.name, got, c.want)
		}
		if _, err := vm.ExecutePendingJobs(); err != nil {
			t.Fatalf("%s: jobs: %v", c.name, err)
		}
	}
}

// TestSettledShortcutTaken: the runtime takes the native shortcut (no
// promise job runs for the call) for an async handler that awaits
// nothing, also when the agent has replaced the global Promise (the
// runtime passes the intrinsics it found); the control, a handler that
// awaits, runs jobs. The VM's count of jobs run tells.
func TestSettledShortcutTaken(t *testing.T) {
	e := newEngine(t, Limits{})
	for _, c := range []struct {
		name, handler string
		jobs          bool
	}{
		{"nothing awaited", `async fetch() { return new Response("x"); }`, false},
		{"the global Promise replaced", `async fetch() { globalThis.Promise = function () {}; return new Response("x"); }`, false},
		{"awaiting", `async fetch() { await null; return new Response("x"); }`, true},
	} {
		p, err := e.Compile([]byte(agent(`{ ` + c.handler + ` }`)))
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Run(context.Background(), p, Request{Method: "GET", URL: "http://a.test/"}, Env{Isolate: c.name})
		if err != nil || string(res.Body) != "x" {
			t.Fatalf("%s: %v %s", c.name, err, res.Body)
		}
		e.pool.mu.Lock()
		idle := e.pool.idle[c.name]
		e.pool.mu.Unlock()
		if len(idle) != 1 {
			t.Fatalf("%s: %d idle VMs, want the call's", c.name, len(idle))
		}
		if ran := idle[0].jobs > 0; ran != c.jobs {
			t.Errorf("%s: %d promise jobs ran; want some: %v", c.name, idle[0].jobs, c.jobs)
		}
	}
}
