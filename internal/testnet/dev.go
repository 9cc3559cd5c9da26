package testnet

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testport"
	"github.com/cove-network/cove/node"
)

// Dev runs one node as `cove dev` does (node.InitDev: one validator, every
// role, the simulated TEE) with fast blocks, funding admin (the chain's
// admin) and funded, on loopback ports. The node sends its own transactions
// with an operator key of its own, so a test's sends never race it for a
// nonce. Dev returns the gateway's base URL once the node is healthy (its
// worker provisioned) and stops the node at cleanup, showing its log if the
// test failed.
func Dev(t testing.TB, admin cove.Address, funded ...cove.Address) string {
	t.Helper()
	cfg := node.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Validator.Home = filepath.Join(cfg.DataDir, "chain")
	cfg.Validator.P2PAddr = testport.Addr(t)
	cfg.Validator.RPCAddr = ""
	cfg.Validator.BlockInterval = 50 * time.Millisecond
	keys, err := account.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	op, err := keys.New("operator", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Operator = filepath.Join(keys.Dir(), "operator.json")
	if _, err := node.InitDev(cfg, admin, append([]cove.Address{op.Address}, funded...)...); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	n, err := node.New(cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("node.Run: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("node log (tail):\n%s", logs.tail(32<<10))
		}
	})
	base := "http://" + ln.Addr().String()
	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := c.WaitHealthy(wctx); err != nil {
		t.Fatal(err)
	}
	return base
}
