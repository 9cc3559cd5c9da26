package faults_test

import (
	"github.com/cove-network/cove/internal/filefault"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDamagedFiles damages, one at a time, the files a node keeps sealed
// (its worker's and its gatekeeper's identities, its gatekeeper's
// master-key history) in three ways (garbage, truncated, empty) and starts
// `cove node` on the home: it must exit with an error that names the file,
// without a panic, and leave the home intact otherwise: with the file
// restored, the node starts healthy at the height it had. A worker identity
// deleted (lost without a backup) is replaced: the node registers a new
// one and is provisioned again. The chain state, damaged, is refused
// naming the file and --rebuild-state, and the flag rebuilds it. (A
// damaged bundle needs a peer to heal from: internal/testnet's
// TestDamagedBundle.)
func TestDamagedFiles(t *testing.T) {
	slow(t, "builds cove and starts it on damaged homes (about 15 s)")
	bin := coveBin(t)
	ctx := ctxFor(t, 120*time.Second)
	// Healthy means the history is written too: the gatekeeper writes it
	// when it makes epoch 0, before it provisions the worker.
	homes, procs, clients := startNet(t, ctx, bin, 1)
	h, p, c := homes[0], procs[0], clients[0]
	files := []string{
		filepath.Join("worker", "identity.sealed"),
		filepath.Join("gatekeeper", "identity.sealed"),
		filepath.Join("gatekeeper", "history.sealed"),
	}
	st, err := c.ChainStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.kill9()
	damages := []struct {
		name string
		f    func([]byte) []byte
	}{
		{"garbage", func([]byte) []byte { return []byte("not a sealed file\n") }},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"empty", func([]byte) []byte { return nil }},
	}
	for _, f := range files {
		path := filepath.Join(h.Home, "data", f)
		good, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s after a healthy start: %v", f, err)
		}
		for _, d := range damages {
			if err := os.WriteFile(path, d.f(good), 0o600); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			q := mustStart(t, bin, h)
			out, err := q.waitExit(ctx)
			switch {
			case err == nil:
				t.Errorf("%s %s: cove node exited 0", f, d.name)
			case strings.Contains(out, "panic:") || strings.Contains(out, "goroutine "):
				t.Errorf("%s %s: cove node panicked:\n%s", f, d.name, out)
			case !strings.Contains(out, path):
				t.Errorf("%s %s: the error does not name %s:\n%s", f, d.name, path, lastLines(out, 3))
			default:
				t.Logf("%s %s: exit after %s: %s", f, d.name, time.Since(start).Round(time.Millisecond), lastLines(out, 1))
			}
		}
		if err := os.WriteFile(path, good, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The failed starts left nothing behind: with the files restored the
	// node starts as before.
	p, took := restart(t, t, ctx, bin, h, c, st.Height)
	t.Logf("restored: healthy at height ≥ %d in %s", st.Height, took.Round(time.Millisecond))

	// A damaged chain state (issue 14 item 2): the node refuses to start,
	// naming the file and --rebuild-state, without a panic; with the flag
	// it replays its block store, keeps the damaged file aside and is
	// healthy at least at the height it had.
	p.kill9()
	state := filepath.Join(h.Home, "chain", "data", "cove-state.db")
	filefault.Rewrite(t, state, filefault.GarbageAfter(filefault.BboltMetaBytes))
	start := time.Now()
	out, err := mustStart(t, bin, h).waitExit(ctx)
	switch {
	case err == nil:
		t.Fatal("damaged chain state: cove node exited 0")
	case strings.Contains(out, "panic:") || strings.Contains(out, "goroutine "):
		t.Fatalf("damaged chain state: cove node panicked:\n%s", out)
	case !strings.Contains(out, state) || !strings.Contains(out, "--rebuild-state"):
		t.Fatalf("damaged chain state: the error names neither %s nor --rebuild-state:\n%s", state, lastLines(out, 3))
	}
	t.Logf("chain state damaged: exit after %s: %s", time.Since(start).Round(time.Millisecond), lastLines(out, 1))
	start = time.Now()
	p = mustStart(t, bin, h, "--rebuild-state")
	if err := p.waitHealthy(ctx, c, st.Height); err != nil {
		t.Fatalf("--rebuild-state: %v", err)
	}
	if kept, _ := filepath.Glob(state + ".damaged-*"); len(kept) != 1 {
		t.Fatalf("the damaged state was not kept aside: %v", kept)
	}
	t.Logf("chain state rebuilt from the block store: healthy at height ≥ %d in %s", st.Height, time.Since(start).Round(time.Millisecond))

	// A worker identity lost without a backup: the worker makes a new one,
	// registers it and is provisioned again (healthy means it holds a key).
	p.kill9()
	if err := os.Remove(filepath.Join(h.Home, "data", "worker", "identity.sealed")); err != nil {
		t.Fatal(err)
	}
	p, took = restart(t, t, ctx, bin, h, c, st.Height)
	if out := p.out.String(); !strings.Contains(out, `msg="worker registered"`) {
		t.Fatalf("the worker did not register a new identity:\n%s", lastLines(out, 20))
	}
	t.Logf("worker identity deleted: a new one registered and provisioned, healthy in %s", took.Round(time.Millisecond))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
