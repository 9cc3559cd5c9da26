package node_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove/node"
)

// TestAdminListener: a node of the validator role alone serves its
// chain's metrics on the admin listener; a node whose admin address is
// taken returns from Run with an error naming it, having released its
// chain (the same home opens again at once).
func TestAdminListener(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	cfg.Roles = node.Roles{Validator: true}
	cfg.AdminAddr = freeAddr(t)
	if _, err := node.InitDev(cfg, newSigner(t).Address()); err != nil {
		t.Fatal(err)
	}
	n, err := node.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx, nil) }()
	var body string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + cfg.AdminAddr + "/metrics")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if body = string(b); strings.Contains(body, "cove_block_interval_seconds_count") && !strings.Contains(body, "cove_chain_height 0\n") {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "cove_chain_height ") || strings.Contains(body, "cove_chain_height 0\n") {
		t.Fatalf("a validator-only node's metrics:\n%.3000s", body)
	}

	// The admin address taken: Run fails and releases the node.
	ln, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	n, err = node.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Run(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "admin") {
		t.Fatalf("Run with the admin address taken: %v", err)
	}
	again, err := node.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("the home after a failed Run: %v", err)
	}
	again.Close()
}
