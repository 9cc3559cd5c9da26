//go:build cgo && !cove_purego && (linux || darwin) && (amd64 || arm64)

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestHeapReused: the native engine's per-VM heap (quickjs_native.h)
// gives freed small blocks to later allocations of their size. A script
// makes and drops ~200,000 small objects ten times over: the heap's
// footprint after the tenth round is about what it was after the first
// (a heap that lost its freed blocks would hold ten times as much), and
// the control is that one round made the heap grow by megabytes.
func TestHeapReused(t *testing.T) {
	vm, fn := seamVM(t, func(args []any) (any, error) { return jsUndefined, nil }, `(function () {
		let head = null;
		for (let i = 0; i < 200000; i++) head = { next: null, i, s: "x" + (i % 100) };
		for (let i = 0; i < 200000; i++) head = { next: head, i };
		head = null;
		return "ok";
	})`)
	vm.SetMemoryLimit(1 << 30) // a heap that lost its freed blocks must fail the check below, not run out
	nv := vm.(*nativeVM)
	before := nv.heapFootprint()
	var first uintptr
	for round := 1; round <= 10; round++ {
		if v, err := fn.Call(); err != nil || v != "ok" {
			t.Fatalf("round %d: %v %v", round, v, err)
		}
		now := nv.heapFootprint()
		if round == 1 {
			first = now
			t.Logf("footprint: %d KiB before, %d KiB after one round", before>>10, first>>10)
			if first < before+(4<<20) {
				t.Fatalf("one round grew the heap from %d to %d bytes: the script no longer allocates enough to tell", before, first)
			}
		} else if now > first+first/4 {
			t.Fatalf("the heap held %d bytes after one round and %d after %d: freed blocks are not reused", first, now, round)
		}
	}
}

// TestHeapChurn: values whose storage grows and shrinks across the heap's
// small and large blocks (arrays pushed and popped, strings built, joined
// and cut, JSON written and read, typed arrays and objects of random
// sizes) keep their contents: a
// script makes and checks them in a seeded random order, and each check
// compares a value with what it must hold.
func TestHeapChurn(t *testing.T) {
	_, fn := seamVM(t, func(args []any) (any, error) { return jsUndefined, nil }, `(function () {
		let seed = 7;
		const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
		const live = [];
		for (let step = 0; step < 8000; step++) {
			const n = rnd(3000);
			switch (rnd(7)) {
			case 0: { const a = []; for (let i = 0; i < n; i++) a.push(i); while (a.length > n >> 1) a.pop(); live.push(["array", a, n >> 1]); break; }
			case 1: { let s = ""; for (let i = 0; i < n; i++) s += String.fromCharCode(97 + i % 26); live.push(["string", s.slice(0, n >> 1), n >> 1]); break; }
			case 2: { const u = new Uint8Array(n); for (let i = 0; i < n; i++) u[i] = i & 255; live.push(["bytes", u, n]); break; }
			case 3: { const o = {}; for (let i = 0; i < n % 64; i++) o["k" + i] = i; live.push(["object", o, n % 64]); break; }
			case 4: if (live.length) live.splice(rnd(live.length), 1); break;
			case 5: { const a = []; for (let i = 0; i < n; i++) a.push(String.fromCharCode(97 + i % 26)); live.push(["string", a.join(""), n]); break; }
			case 6: { const a = []; for (let i = 0; i < n % 300; i++) a.push(i); live.push(["array", JSON.parse(JSON.stringify(a)), n % 300]); break; }
			}
			if (live.length > 200) live.splice(0, 100);
			for (const [kind, v, m] of live.length && step % 97 === 0 ? live : []) {
				let ok = true;
				if (kind === "array") { ok = v.length === m; for (let i = 0; ok && i < m; i++) ok = v[i] === i; }
				if (kind === "string") { ok = v.length === m; for (let i = 0; ok && i < m; i++) ok = v.charCodeAt(i) === 97 + i % 26; }
				if (kind === "bytes") { ok = v.length === m; for (let i = 0; ok && i < m; i++) ok = v[i] === (i & 255); }
				if (kind === "object") { const ks = Object.keys(v); ok = ks.length === m; for (let i = 0; ok && i < m; i++) ok = v["k" + i] === i; }
				if (!ok) return "step " + step + ": a " + kind + " of " + m + " lost its contents";
			}
		}
		return "ok";
	})`)
	if v, err := fn.Call(); err != nil || v != "ok" {
		t.Fatalf("%v %v", v, err)
	}
}

// TestHeapSelfTest runs the heap's own randomized test (quickjs_native.h,
// cove_heap_selftest) from several seeds: every malloc, realloc (small to
// small, small to large, large to small, large to large, either way) and
// free keeps what live blocks hold, their alignment, and the counts and
// sizes QuickJS reads, under a limit small enough to be reached often.
func TestHeapSelfTest(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		if bad := heapSelfTest(seed, 300_000, 160<<10); bad != 0 {
			t.Errorf("seed %d: step %d failed (negative: the accounting)", seed, bad)
		}
	}
}

// TestHeapWarmSizeShift: a warm VM whose calls keep memory in blocks of
// one size class, then of others, is not refused by the memory limit
// while what it holds stays under it (the limit counts live blocks; what
// the heap keeps on its free lists is bounded apart, by twice the limit).
// Each call holds ~20 MiB under a 32 MiB limit, in arrays of k items; the
// control is the same calls each in a fresh VM.
func TestHeapWarmSizeShift(t *testing.T) {
	e := newEngine(t, Limits{Memory: 32 << 20})
	p, err := e.Compile([]byte(agent(`{ fetch(req) {
		const k = Number(new URL(req.url).searchParams.get("k"));
		const n = Math.floor((20 << 20) / (16 * k + 80));
		const held = [];
		for (let i = 0; i < n; i++) held.push(new Array(k).fill(i));
		return new Response(String(held.length));
	} }`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, iso := range []string{"", "warm"} {
		for _, k := range []int{2, 8, 20, 2, 5} {
			res, err := e.Run(context.Background(), p, Request{URL: fmt.Sprintf("http://agent.test/?k=%d", k)}, Env{Isolate: iso})
			if err != nil {
				t.Fatalf("isolate %q, arrays of %d: %v", iso, k, err)
			}
			if iso == "warm" && k != 2 && !res.Warm {
				t.Fatalf("arrays of %d: the VM was not reused", k)
			}
		}
	}
}

// TestHeapCorruptionAborts: the heap's checks stop a corrupted heap
// (quickjs_native.h, cove_heap_corrupt): a live block's header overwritten,
// a freed block's link overwritten, a block freed twice. Each runs in a
// child process (this test binary again), which must die of SIGABRT in
// heapCorrupt (Go's runtime reports the signal and exits 2); the control,
// the same allocations uncorrupted, exits cleanly.
func TestHeapCorruptionAborts(t *testing.T) {
	if w := os.Getenv("COVE_HEAP_CORRUPT"); w != "" {
		n, _ := strconv.Atoi(w)
		heapCorrupt(n)
		os.Exit(0)
	}
	for which, name := range []string{"control", "a header overwritten", "a link overwritten", "a double free"} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestHeapCorruptionAborts$")
		cmd.Env = append(os.Environ(), "COVE_HEAP_CORRUPT="+strconv.Itoa(which))
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		aborted := errors.As(err, &ee) && strings.Contains(string(out), "SIGABRT") && strings.Contains(string(out), "heapCorrupt")
		if which == 0 && err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		if which > 0 && !aborted {
			t.Errorf("%s: the child ended with %v, want SIGABRT\n%s", name, err, out)
		}
	}
}
