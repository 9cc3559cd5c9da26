package node_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/internal/filefault"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/node"
	"github.com/cove-network/cove/validator"
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
	// The bundle store: a stale temp file of an interrupted Put goes, a
	// fresh one (another process's write in progress) stays.
	shard := filepath.Join(cfg.DataDir, "blobs", "ab")
	if err := os.MkdirAll(shard, 0o755); err != nil {
		t.Fatal(err)
	}
	staleBlob, freshBlob := filepath.Join(shard, ".put-271828"), filepath.Join(shard, ".put-314159")
	for _, p := range []string{staleBlob, freshBlob} {
		if err := os.WriteFile(p, []byte("half a bundle"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(staleBlob, old, old); err != nil {
		t.Fatal(err)
	}
	temps = append(temps, staleBlob)
	kept = append(kept, freshBlob)
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

// TestRebuildState: a node whose chain state file is damaged does not
// start and names the file and --rebuild-state; with RebuildState it
// replays its block store and serves the same head, agents and balances as
// an undamaged copy of its home (the control), and its agent answers.
func TestRebuildState(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node and rebuilds its chain (-short)")
	}
	t.Parallel()
	cfg := newConfig(t)
	dev := newSigner(t)
	n := startNode(t, cfg, dev)
	a := n.deploy(t, filepath.Join("testdata", "hello-v2.js"), map[string]string{"GREETING": "Hi"})
	wantResponse(t, n.get(t, a, "/?name=Ada"), 200, `{"greeting":"Hi Ada","version":2}`)
	var funded []cove.Address
	for i := range 3 {
		addr := cove.Address{0xfe, byte(i)}
		n.fund(t, addr, big.NewInt(int64(1000+i)))
		funded = append(funded, addr)
	}
	n.stop()

	type snapshot struct {
		Head     string
		Agents   string
		Balances []string
	}
	snap := func(nd *node.Node) snapshot {
		v := nd.View()
		agents, _ := json.Marshal(v.Agents())
		s := snapshot{Head: fmt.Sprintf("%d %X", v.Head().Height, v.Head().AppHash), Agents: string(agents)}
		for _, addr := range append(funded, dev.Address()) {
			s.Balances = append(s.Balances, v.Account(addr).Balance.String())
		}
		return s
	}
	control := copyHome(t, cfg)
	cn := newNode(t, control, &syncbuf.Buffer{})
	want := snap(cn)
	if err := cn.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(want.Agents, a.ID.String()) || want.Balances[0] != "1000" {
		t.Fatalf("control: %+v", want)
	}

	path := filepath.Join(cfg.Validator.Home, "data", validator.StateFile)
	filefault.Rewrite(t, path, filefault.GarbageAfter(filefault.BboltMetaBytes))
	_, err := node.New(cfg, slog.New(slog.DiscardHandler))
	var de *validator.DamagedStateError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "--rebuild-state") {
		t.Fatalf("node.New on a damaged state: %v; want an error naming %s and --rebuild-state", err, path)
	}

	cfg.Validator.RebuildState = true
	logs := &syncbuf.Buffer{}
	begin := time.Now()
	rn := newNode(t, cfg, logs)
	t.Logf("rebuilt to %s in %s", want.Head, time.Since(begin).Round(time.Millisecond))
	if got := snap(rn); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rebuilt node: %+v\ncontrol: %+v", got, want)
	}
	if !strings.Contains(logs.String(), "chain state rebuilt") {
		t.Errorf("no rebuild in the log:\n%s", quiet(logs.String()))
	}
	r := runNode(t, cfg, rn, dev, logs)
	wantResponse(t, r.get(t, a, "/?name=Ada"), 200, `{"greeting":"Hi Ada","version":2}`)
}
