package node_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cove-network/cove/node"
)

// TestNewReportsDamagedIdentity: a sealed identity that does not open is an
// error naming the role, not a crash, and New releases what it opened: the
// same home starts once the damage is gone (CometBFT's handshake in the
// failed New already gave the chain its genesis; the second New replays it).
func TestNewReportsDamagedIdentity(t *testing.T) {
	t.Parallel()
	for _, role := range []string{"worker", "gatekeeper"} {
		t.Run(role, func(t *testing.T) {
			cfg := newConfig(t)
			dev := newSigner(t)
			if _, err := node.InitDev(cfg, dev.Address()); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(cfg.DataDir, role, "identity.sealed")
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte("not a sealed identity"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := node.New(cfg, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), role) {
				t.Fatalf("node.New with a damaged %s identity: %v", role, err)
			}
			// The validator was closed: its databases open again.
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			n, err := node.New(cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatalf("node.New after the damage is gone: %v", err)
			}
			if err := n.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
