package sandbox

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests hold the engine seam (engine.go) to one behaviour. CI runs
// them against both engines: the native one by default, modernc under
// -tags cove_purego.

// seamVM makes a VM whose host function is host and evaluates script,
// whose value (a function) it returns.
func seamVM(t *testing.T, host func(args []any) (any, error), script string) (jsVM, jsValue) {
	t.Helper()
	vm, err := newVM()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vm.Close)
	vm.SetMemoryLimit(64 << 20)
	vm.SetEvalDeadline(time.Now().Add(10 * time.Second))
	if err := vm.RegisterHostFunc("__host", host); err != nil {
		t.Fatal(err)
	}
	bc, err := compile("seam.js", script)
	if err != nil {
		t.Fatal(err)
	}
	fn, err := vm.EvalBytecodeValue(bc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fn.Free)
	return vm, fn
}

func TestEngineName(t *testing.T) {
	if EngineName != "quickjs-native" && EngineName != "quickjs-modernc" {
		t.Fatalf("EngineName %q", EngineName)
	}
	t.Logf("engine: %s", EngineName)
}

// TestEngineValues sends every kind of value the sandbox passes both ways
// through the seam: strings (with NUL, non-ASCII, lone surrogates, and the
// engine's rope strings), numbers, booleans, null and undefined.
func TestEngineValues(t *testing.T) {
	var got []any
	_, fn := seamVM(t, func(args []any) (any, error) {
		got = append(got[:0], args...)
		return args[len(args)-1], nil
	}, `(function (op, ...a) {
		switch (op) {
		case "toHost": {
			const rope = "r".repeat(300) + String(a.length) + "s".repeat(300);
			return __host("x", "", "a\u0000b", "héllo ☃ 😀", "\ud800|\udfff", rope, 42, -7, 1.5, 2 ** 40, true, false, null, undefined);
		}
		case "fromGo":
			return a.map((v) => v === null ? "null" : typeof v + ":" + (typeof v === "string" ? v.length + ":" + [...v].map((c) => c.codePointAt(0)).join(",") : String(v))).join(" ");
		case "echo":
			return __host("echo", a[0]);
		}
	})`)
	r, err := fn.Call("toHost", 1)
	if err != nil {
		t.Fatal(err)
	}
	rope := strings.Repeat("r", 300) + "1" + strings.Repeat("s", 300)
	want := []any{"x", "", "a\x00b", "héllo ☃ 😀", "\uFFFD|\uFFFD", rope, 42, -7, 1.5, float64(1 << 40), true, false, nil, jsUndefined}
	if len(got) != len(want) {
		t.Fatalf("host got %d args, want %d: %#v", len(got), len(want), got)
	}
	for i := range want {
		if fmt.Sprintf("%T %#v", got[i], got[i]) != fmt.Sprintf("%T %#v", want[i], want[i]) {
			t.Errorf("arg %d: host got %T %#v, want %T %#v", i, got[i], got[i], want[i], want[i])
		}
	}
	if r != jsUndefined {
		t.Errorf("the host's undefined came back as %T %#v", r, r)
	}

	r, err = fn.Call("fromGo", "a\x00b", "é😀", "", 7, 1<<40, 2.5, true, nil, jsUndefined)
	if err != nil {
		t.Fatal(err)
	}
	if want := "string:3:97,0,98 string:3:233,128512 string:0: number:7 number:1099511627776 number:2.5 boolean:true null undefined:undefined"; r != want {
		t.Errorf("JavaScript got\n%v\nwant\n%v", r, want)
	}

	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	if r, err := fn.Call("echo", big); err != nil || r != big {
		t.Errorf("a 1 MiB string did not cross both ways intact (err %v)", err)
	}
}

// TestEngineErrors: a host function's error is thrown as a TypeError the
// script can catch; an uncaught exception comes back as its string form; a
// thrown null as "null".
func TestEngineErrors(t *testing.T) {
	_, fn := seamVM(t, func(args []any) (any, error) {
		return nil, errors.New("host says no")
	}, `(function (op) {
		switch (op) {
		case "catch": try { __host("x"); return "no throw"; } catch (e) { return e.name + ": " + e.message; }
		case "throw": throw new RangeError("out of range");
		case "null": throw null;
		case "ok": return "fine";
		}
	})`)
	for _, c := range []struct {
		op, want string
		err      bool
	}{
		{"ok", "fine", false},
		{"catch", "TypeError: host says no", false},
		{"throw", "RangeError: out of range", true},
		{"null", "null", true},
	} {
		r, err := fn.Call(c.op)
		if c.err {
			if err == nil || err.Error() != c.want {
				t.Errorf("%s: err %v, want %q", c.op, err, c.want)
			}
			continue
		}
		if err != nil || r != c.want {
			t.Errorf("%s: %v, %v; want %q", c.op, r, err, c.want)
		}
	}
}

// TestEngineHostPanic: a host function's panic goes on in the Go code that
// called into JavaScript, with its value; the error thrown in its place is
// uncatchable, so no catch or finally block of the script runs (or calls
// the host again); and the VM closes cleanly after, also when the panic
// came during a script's evaluation (the native engine's JS_FreeRuntime
// aborts the process on a value left alive).
func TestEngineHostPanic(t *testing.T) {
	var after []any
	host := func(args []any) (any, error) {
		if args[0] == "panic" {
			panic("host bug")
		}
		after = append(after, args[0])
		return jsUndefined, nil
	}
	script := `try { __host("panic"); } catch (e) { __host("caught"); } finally { __host("finally"); }`
	_, fn := seamVM(t, host, `(function () { `+script+` return "swallowed"; })`)
	wantHostPanic(t, "Call", func() (any, error) { return fn.Call() })
	if after != nil {
		t.Errorf("the script went on after the panic: it called the host with %v", after)
	}

	vm, err := newVM()
	if err != nil {
		t.Fatal(err)
	}
	vm.SetEvalDeadline(time.Now().Add(10 * time.Second))
	if err := vm.RegisterHostFunc("__host", host); err != nil {
		t.Fatal(err)
	}
	// The catch block calls nothing: were the error catchable, the script
	// would end normally, with a value the engine must still free.
	bc, err := compile("top.js", `try { __host("panic"); } catch (e) {} var kept = { big: "x".repeat(1000) }; kept;`)
	if err != nil {
		t.Fatal(err)
	}
	wantHostPanic(t, "top level: EvalBytecode", func() (any, error) { return nil, vm.EvalBytecode(bc) })
	vm.Close()
}

// wantHostPanic runs call, which must panic with the host function's
// "host bug" rather than return.
func wantHostPanic(t *testing.T, what string, call func() (any, error)) {
	t.Helper()
	defer func() {
		if p := recover(); p != "host bug" {
			t.Errorf("%s: recovered %v, want the host's panic", what, p)
		}
	}()
	r, err := call()
	t.Errorf("%s returned %v, %v after the host panicked", what, r, err)
}

// TestEngineStackAcrossThreads calls one VM from goroutines locked to
// different OS threads, as warm VMs are called from whatever goroutine
// serves a request. On each, recursion to half the depth the first thread
// reached works, and unbounded recursion is a stack overflow, not a crash:
// the native engine records the stack of the thread it runs on.
func TestEngineStackAcrossThreads(t *testing.T) {
	_, fn := seamVM(t, func(args []any) (any, error) { return jsUndefined, nil },
		`(function (depth) {
			let d = 0;
			function f(n) { d = n; return n >= depth ? n : f(n + 1) + 0; }
			try { return "ok " + f(0); } catch (e) { return "overflow " + d + " " + e.message; }
		})`)
	r, err := fn.Call(1e9)
	if err != nil {
		t.Fatal(err)
	}
	var max int
	if _, err := fmt.Sscanf(r.(string), "overflow %d stack overflow", &max); err != nil || max < 100 {
		t.Fatalf("unbounded recursion: %v, want a stack overflow past 100 calls (macOS threads allow ~170)", r)
	}
	t.Logf("maximum depth: %d calls", max)
	half := max / 2
	var mu sync.Mutex
	for i := 0; i < 8; i++ {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // a new thread for each goroutine: it exits locked
			mu.Lock()
			defer mu.Unlock()
			if r, err := fn.Call(half); err != nil || r != fmt.Sprintf("ok %d", half) {
				t.Errorf("thread %d: recursion to %d: %v, %v", i, half, r, err)
			}
			if r, err := fn.Call(1e9); err != nil || !strings.HasPrefix(r.(string), "overflow ") {
				t.Errorf("thread %d: unbounded recursion: %v, %v", i, r, err)
			}
		}()
		wg.Wait()
	}
}

// TestEngineInterrupt: Interrupt from another goroutine stops a busy loop.
// (The sandbox closes a VM once interrupted: invocation.run.)
func TestEngineInterrupt(t *testing.T) {
	vm, fn := seamVM(t, func(args []any) (any, error) { return jsUndefined, nil },
		`(function (op) { if (op === "spin") for (;;) {} return "ran"; })`)
	if r, err := fn.Call("ok"); err != nil || r != "ran" {
		t.Fatalf("before: %v, %v", r, err)
	}
	time.AfterFunc(50*time.Millisecond, vm.Interrupt)
	start := time.Now()
	_, err := fn.Call("spin")
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("spin: %v, want interrupted", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the interrupt took %v", d)
	}
}

// TestEngineTimeout: the eval timeout stops a busy loop, and a call made
// after SetEvalDeadline sets a new deadline runs.
func TestEngineTimeout(t *testing.T) {
	vm, fn := seamVM(t, func(args []any) (any, error) { return jsUndefined, nil },
		`(function (op) { if (op === "spin") for (;;) {} return "ran"; })`)
	vm.SetEvalDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := fn.Call("spin"); err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("spin: %v, want interrupted", err)
	}
	vm.SetEvalDeadline(time.Now().Add(time.Second))
	if r, err := fn.Call("ok"); err != nil || r != "ran" {
		t.Fatalf("after re-arming: %v, %v", r, err)
	}
}

// TestEngineDeadlinePast: a deadline already past, or the zero time,
// stops the next call at once, on a VM that never had a deadline (the
// control: the same call runs before it is set). Neither engine may take
// it for "no deadline" (modernc's timeout of 0; the native engine's cached
// deadline, zero until set).
func TestEngineDeadlinePast(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   time.Time
	}{{"zero", time.Time{}}, {"past", time.Now().Add(-time.Millisecond)}} {
		t.Run(tc.name, func(t *testing.T) {
			vm, err := newVM()
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Close()
			bc, err := compile("deadline.js", `(function (op) { if (op === "spin") for (;;) {} return "ran"; })`)
			if err != nil {
				t.Fatal(err)
			}
			fn, err := vm.EvalBytecodeValue(bc)
			if err != nil {
				t.Fatal(err)
			}
			defer fn.Free()
			if r, err := fn.Call("ok"); err != nil || r != "ran" {
				t.Fatalf("control, no deadline set: %v, %v", r, err)
			}
			vm.SetEvalDeadline(tc.at)
			watchdog := time.AfterFunc(3*time.Second, vm.Interrupt) // so a failure ends
			defer watchdog.Stop()
			start := time.Now()
			_, err = fn.Call("spin")
			if err == nil || !strings.Contains(err.Error(), "interrupted") || time.Since(start) > time.Second {
				t.Fatalf("spin after SetEvalDeadline(%v): %v after %v, want interrupted at once", tc.at, err, time.Since(start))
			}
		})
	}
}

// TestEnginePendingJobs: ExecutePendingJobs runs every queued job and
// counts them; a host function's panic in a job stops the jobs after it
// and comes out of the drain; a job queue that feeds itself stops at the
// deadline or at the cap, with an error.
func TestEnginePendingJobs(t *testing.T) {
	var calls []string
	host := func(args []any) (any, error) {
		op, _ := args[0].(string)
		if op == "panic" {
			panic("host bug")
		}
		calls = append(calls, op)
		return jsUndefined, nil
	}
	script := `(function (op) {
		switch (op) {
		case "jobs":
			for (let i = 0; i < 1000; i++) Promise.resolve().then(() => {});
			return;
		case "panic":
			Promise.resolve().then(() => __host("panic")).then(() => __host("after"), () => __host("after"));
			Promise.resolve().then(() => __host("other"));
			return;
		case "flood":
			const f = () => Promise.resolve().then(f);
			f();
			return;
		}
	})`
	t.Run("count", func(t *testing.T) {
		vm, fn := seamVM(t, host, script)
		if _, err := fn.Call("jobs"); err != nil {
			t.Fatal(err)
		}
		if n, err := vm.ExecutePendingJobs(); n != 1000 || err != nil {
			t.Fatalf("ExecutePendingJobs: %d, %v, want 1000 jobs and no error", n, err)
		}
		if n, err := vm.ExecutePendingJobs(); n != 0 || err != nil {
			t.Fatalf("again: %d, %v, want nothing left", n, err)
		}
	})
	t.Run("panic", func(t *testing.T) {
		vm, fn := seamVM(t, host, script)
		calls = nil
		if _, err := fn.Call("panic"); err != nil {
			t.Fatal(err)
		}
		wantHostPanic(t, "ExecutePendingJobs", func() (any, error) { return vm.ExecutePendingJobs() })
		if calls != nil {
			t.Errorf("jobs ran after the panic: the host saw %q", calls)
		}
	})
	t.Run("flood", func(t *testing.T) {
		vm, fn := seamVM(t, host, script)
		vm.SetEvalDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err := fn.Call("flood"); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		n, err := vm.ExecutePendingJobs()
		interrupted := err != nil && strings.Contains(err.Error(), "interrupted")
		if !interrupted && !errors.Is(err, errDrainCapped) {
			t.Fatalf("a self-feeding queue: %d jobs, %v; want interrupted or capped", n, err)
		}
		if errors.Is(err, errDrainCapped) && n != 1<<20 {
			t.Errorf("capped after %d jobs, want 2^20", n)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the drain took %v", d)
		}
		t.Logf("%d jobs, %v", n, err)
	})
}

// TestAgentReachesNoEngineHost: an agent cannot import the engine's own
// modules (QuickJS's std and os read files and start processes; the native
// engine's library carries them, and a context made by that package's Go
// API would load them), and Atomics.wait cannot block the VM's thread past
// the interrupt handler. The same agent's answer shows it ran in full.
func TestAgentReachesNoEngineHost(t *testing.T) {
	e := newEngine(t, Limits{Timeout: 10 * time.Second})
	code := agent(`{ async fetch() {
		const out = [];
		for (const m of ["os", "std", "qjs:os", "qjs:std", "./os"]) {
			try { const x = await import(m); out.push(m + " imported: " + Object.keys(x).join(",")); }
			catch (e) { out.push(m + " refused"); }
		}
		const t0 = Date.now();
		try { out.push("wait " + Atomics.wait(new Int32Array(new SharedArrayBuffer(16)), 0, 0, 3000)); }
		catch (e) { out.push("wait refused: " + e.message); }
		out.push("waited " + (Date.now() - t0 < 1000 ? "<1s" : (Date.now() - t0) + "ms"));
		out.push(["std", "os", "print", "Worker", "__loadScript", "bjson"].filter((g) => typeof globalThis[g] !== "undefined").join(",") || "no engine globals");
		return new Response(out.join("\n"));
	} }`)
	res, err := run(t, e, code, Request{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := "os refused\nstd refused\nqjs:os refused\nqjs:std refused\n./os refused\nwait refused: cannot block in this thread\nwaited <1s\nno engine globals"
	if string(res.Body) != want {
		t.Fatalf("%s agent saw\n%q\nwant\n%q", EngineName, res.Body, want)
	}
}

// TestCallArgumentsFreed: the strings a call passes are freed after it,
// and, in the native engine, also on the error path (an argument it cannot
// take after ones it made; modernc's takes any value). Leaked, 400 calls
// of 256 KiB would pass the VM's 64 MiB.
func TestCallArgumentsFreed(t *testing.T) {
	_, fn := seamVM(t, func(args []any) (any, error) { return jsUndefined, nil }, `(function (a, b, c) { return a.length + b.length; })`)
	big := strings.Repeat("x", 128<<10)
	for i := range 400 {
		if v, err := fn.Call(big, big, i); err != nil || v != 256<<10 {
			t.Fatalf("call %d: %v %v", i, v, err)
		}
	}
	for i := range 400 {
		if EngineName != "quickjs-native" {
			break
		}
		if _, err := fn.Call(big, big, struct{}{}); err == nil || !strings.Contains(err.Error(), "cannot pass") {
			t.Fatalf("call %d with an argument the engine cannot take: %v", i, err)
		}
	}
	if v, err := fn.Call(big, big, 0); err != nil || v != 256<<10 {
		t.Fatalf("after the refused calls: %v %v", v, err)
	}
}
