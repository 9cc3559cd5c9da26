//go:build cgo && !cove_purego && (linux || darwin) && (amd64 || arm64)

package sandbox

import "testing"

// TestNativeSettled: the native engine's __cove_settled(p, none)
// (quickjs_native.h, cove_settled) gives p's value only for a promise
// already fulfilled while no job is queued; for anything else, none. Each
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
		const s = globalThis.__cove_settled, NONE = {};
		const show = (v) => (v === NONE ? "none" : typeof v === "object" ? JSON.stringify(v) : String(v));
		const cases = {
			fulfilled: () => s(Promise.resolve(5), NONE),
			"fulfilled, a job queued": () => { Promise.resolve().then(() => {}); return s(Promise.resolve(5), NONE); },
			"async function, nothing awaited": () => s((async () => ({ a: 7 }))(), NONE),
			"async function, awaiting": () => s((async () => { await null; return 7; })(), NONE),
			pending: () => s(new Promise(() => {}), NONE),
			rejected: () => { const p = Promise.reject(1); const v = s(p, NONE); p.catch(() => {}); return v; },
			thenable: () => s({ then(f) { f(5); } }, NONE),
			number: () => s(5, NONE),
			"many crossings": () => {
				let v;
				for (let i = 0; i < 10000; i++) { v = s(Promise.resolve({ i }), NONE); s(new Promise(() => {}), NONE); }
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
