package node_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/node"
)

// TestNewRemovesInterruptedWrites: the temp files a kill -9 leaves between
// an atomic write's temp file and its rename are removed when the node
// starts, and logged; the files they were to replace and files that only
// look alike stay.
func TestNewRemovesInterruptedWrites(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	if _, err := node.InitDev(cfg, newSigner(t).Address()); err != nil {
		t.Fatal(err)
	}
	n, err := node.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	var temps, kept []string
	for _, d := range []string{"tee-sim", "gatekeeper", "worker"} {
		dir := filepath.Join(cfg.DataDir, d)
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) == 0 {
			t.Fatalf("%s: %d files, %v: want the role's sealed files", dir, len(entries), err)
		}
		for _, e := range entries {
			kept = append(kept, filepath.Join(dir, e.Name()))
		}
		temp := filepath.Join(dir, ".tmp-3141592653")
		temps = append(temps, temp)
		kept = append(kept, filepath.Join(dir, ".tmp-sealed"), filepath.Join(dir, "key.tmp-1"))
		for _, p := range []string{temp, filepath.Join(dir, ".tmp-sealed"), filepath.Join(dir, "key.tmp-1")} {
			if err := os.WriteFile(p, []byte("half a write"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := map[string]string{}
	for _, p := range kept {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		before[p] = string(b)
	}
	logs := &syncbuf.Buffer{}
	n = newNode(t, cfg, logs)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range temps {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s not removed: %v", p, err)
		}
		if !strings.Contains(logs.String(), p) {
			t.Errorf("the log does not name %s:\n%s", p, quiet(logs.String()))
		}
	}
	for p, want := range before {
		if b, err := os.ReadFile(p); err != nil || string(b) != want {
			t.Errorf("%s changed: %q, %v", p, b, err)
		}
	}
}
