package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// syncWriter is a bytes.Buffer safe to write from the command and read from
// the test.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// startDev runs `cove dev args...` in this process until the test ends and
// returns its output so far (as it grows) and its result.
func startDev(t *testing.T, args ...string) (*syncWriter, *devResult) {
	t.Helper()
	root := newRoot()
	out := &syncWriter{}
	root.SetOut(out)
	root.SetErr(out)
	root.SetArgs(append([]string{"--log-level", "error", "dev"}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	res := &devResult{done: make(chan struct{})}
	go func() { res.err = root.ExecuteContext(ctx); close(res.done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-res.done:
		case <-time.After(30 * time.Second):
			t.Error("cove dev did not stop")
		}
	})
	return out, res
}

// devResult is how a cove dev run ended: err once done is closed.
type devResult struct {
	done chan struct{}
	err  error
}

// TestDev: `cove dev` prints "ready" only once its gateway answers healthy;
// a second one on the same data dir, or on a port in use, fails at once
// saying which and never prints "ready".
func TestDev(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cove dev")
	}
	t.Setenv("COVE_HOME", t.TempDir())
	dir := filepath.Join(t.TempDir(), "dev")
	httpAddr, rpc, p2p, admin := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	out, done := startDev(t, "--data-dir", dir, "--http", httpAddr, "--rpc", rpc, "--p2p", p2p, "--admin", admin, "--no-evm")
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "ready") {
		select {
		case <-done.done:
			t.Fatalf("cove dev stopped: %v\n%s", done.err, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ready within 60 s:\n%s", out)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// "ready" was printed: every role is up by then.
	resp, err := http.Get("http://" + httpAddr + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("ready printed, but /healthz: %v %v\n%s", resp, err, out)
	}
	resp.Body.Close()
	if i, j := strings.Index(out.String(), "trust root"), strings.Index(out.String(), "ready"); i < 0 || j < i {
		t.Fatalf("ready before the trust root:\n%s", out)
	}
	// The admin listener serves the node's metrics; the gateway does not.
	resp, err = http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(metrics), "cove_chain_height ") || !strings.Contains(string(metrics), "go_goroutines ") {
		t.Fatalf("admin /metrics: %d\n%.2000s", resp.StatusCode, metrics)
	}
	if resp, err := http.Get("http://" + httpAddr + "/metrics"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the gateway serves /metrics: %v %v", resp, err)
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"the same data dir", []string{"--data-dir", dir, "--http", freeAddr(t), "--rpc", freeAddr(t), "--p2p", freeAddr(t), "--admin", "", "--no-evm"}, "is used by another running cove"},
		{"the same RPC port", []string{"--data-dir", filepath.Join(t.TempDir(), "dev"), "--http", freeAddr(t), "--rpc", rpc, "--p2p", freeAddr(t), "--admin", "", "--no-evm"}, "change it with --rpc"},
		{"the same HTTP port", []string{"--data-dir", filepath.Join(t.TempDir(), "dev"), "--http", httpAddr, "--rpc", freeAddr(t), "--p2p", freeAddr(t), "--admin", "", "--no-evm"}, "use --http"},
		{"the same admin port", []string{"--data-dir", filepath.Join(t.TempDir(), "dev"), "--http", freeAddr(t), "--rpc", freeAddr(t), "--p2p", freeAddr(t), "--admin", admin, "--no-evm"}, "change it with --admin"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			out, done := startDev(t, tt.args...)
			select {
			case <-done.done:
			case <-time.After(30 * time.Second):
				t.Fatalf("a second cove dev on %s did not fail:\n%s", tt.name, out)
			}
			if err := done.err; err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(out.String(), "ready") {
				t.Fatalf("err %v, want one saying %q, and no ready:\n%s", done.err, tt.want, out)
			}
			if took := time.Since(start); took > 1500*time.Millisecond {
				t.Fatalf("refused after %v: it waited (a store's timeout?)", took)
			}
		})
	}
}

// TestDevDeriveFromHTTP: --http alone gives a second cove dev its own data
// dir and ports; the default --http and explicit flags keep theirs.
func TestDevDeriveFromHTTP(t *testing.T) {
	for _, tt := range []struct {
		args                      []string
		dir, rpc, p2p, evm, admin string
	}{
		{nil, ".cove/dev", "127.0.0.1:26657", "127.0.0.1:26656", "127.0.0.1:8545", "127.0.0.1:8701"},
		{[]string{"--http", "127.0.0.1:8700"}, ".cove/dev", "127.0.0.1:26657", "127.0.0.1:26656", "127.0.0.1:8545", "127.0.0.1:8701"},
		{[]string{"--http", "127.0.0.1:8800"}, ".cove/dev-8800", "127.0.0.1:8801", "127.0.0.1:8802", "127.0.0.1:8803", "127.0.0.1:8804"},
		{[]string{"--http", "127.0.0.1:8800", "--rpc", "", "--data-dir", "x"}, "x", "", "127.0.0.1:8802", "127.0.0.1:8803", "127.0.0.1:8804"},
		{[]string{"--http", "127.0.0.1:8800", "--p2p", "127.0.0.1:9999", "--admin", ""}, ".cove/dev-8800", "127.0.0.1:8801", "127.0.0.1:9999", "127.0.0.1:8803", ""},
	} {
		f := pflag.NewFlagSet("dev", pflag.ContinueOnError)
		httpAddr, dir, rpc, p2p, evm, admin := "127.0.0.1:8700", ".cove/dev", "127.0.0.1:26657", "127.0.0.1:26656", "127.0.0.1:8545", devAdminAddr
		f.StringVar(&httpAddr, "http", httpAddr, "")
		f.StringVar(&dir, "data-dir", dir, "")
		f.StringVar(&rpc, "rpc", rpc, "")
		f.StringVar(&p2p, "p2p", p2p, "")
		f.StringVar(&evm, "evm-rpc", evm, "")
		f.StringVar(&admin, "admin", admin, "")
		if err := f.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		if err := deriveFromHTTP(f, httpAddr, &dir, &rpc, &p2p, &evm, &admin); err != nil {
			t.Fatal(err)
		}
		if dir != filepath.FromSlash(tt.dir) || rpc != tt.rpc || p2p != tt.p2p || evm != tt.evm || admin != tt.admin {
			t.Errorf("%v: %s %s %s %s %s, want %s %s %s %s %s", tt.args, dir, rpc, p2p, evm, admin, tt.dir, tt.rpc, tt.p2p, tt.evm, tt.admin)
		}
	}
}
