package testnet

import (
	"log/slog"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/internal/testport"
)

// TestHeartbeatsOnDev (issue 10): a dev node's worker, put to compute by
// its operator's stake pool, answers the heartbeat challenges the chain
// gives it (node.DevStaking: one about every 20 blocks) with heartbeats
// signed by its TEE identity key; the chain records them and a benchmark
// score P from the iterations between two of them, and each settles a
// reward that raises the pool's share price.
func TestHeartbeatsOnDev(t *testing.T) {
	opPath, opAddr := NewOperator(t)
	logs := &syncbuf.Buffer{}
	d, err := StartDev(t.Context(), DevConfig{
		DataDir: t.TempDir(), Operator: opPath, Admin: opAddr, Funded: []cove.Address{opAddr},
		P2PAddr: testport.Addr(t), BlockInterval: 50 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.Tail(8<<10))
	}
	defer d.Stop()
	defer func() {
		if t.Failed() {
			t.Logf("node log:\n%s", logs.Tail(16<<10))
		}
	}()
	store, err := account.Open(filepath.Dir(opPath))
	if err != nil {
		t.Fatal(err)
	}
	op, err := store.Signer("operator", "")
	if err != nil {
		t.Fatal(err)
	}
	c := d.Client
	ctx := t.Context()
	var w cove.Hash
	deadline := time.Now().Add(20 * time.Second)
	for w.IsZero() && time.Now().Before(deadline) {
		if ws, err := c.Workers(ctx); err == nil && len(ws) > 0 {
			w = ws[0].ID
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if w.IsZero() {
		t.Fatal("the worker did not register")
	}
	cove1 := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	for i, m := range []func(n uint64) chain.Msg{
		func(n uint64) chain.Msg { return chain.CreatePool{Cap: new(big.Int), Nonce: n} },
		func(n uint64) chain.Msg { return chain.AddPoolWorker{Pool: 1, Worker: w, Nonce: n} },
		func(n uint64) chain.Msg {
			return chain.Contribute{Pool: 1, Amount: new(big.Int).Mul(big.NewInt(1000), cove1), Nonce: n}
		},
		func(n uint64) chain.Msg {
			return chain.StartComputing{Worker: w, Stake: new(big.Int).Mul(big.NewInt(800), cove1), Nonce: n}
		},
	} {
		if _, err := c.Send(ctx, op, m); err != nil {
			t.Fatalf("setup tx %d: %v", i, err)
		}
	}
	started := time.Now()
	var beats []int64
	for time.Since(started) < 60*time.Second {
		p, err := c.Pool(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		ws, err := c.Worker(ctx, w)
		if err != nil || ws.Pool == nil || ws.Confidence != "1000000000000000000" {
			t.Fatalf("worker %s: %+v, %v", w, ws, err) // a sim worker's confidence is 1
		}
		pw := *ws.Pool
		if n := len(beats); pw.LastHeartbeat > 0 && (n == 0 || beats[n-1] != pw.LastHeartbeat) {
			beats = append(beats, pw.LastHeartbeat)
		}
		if len(beats) >= 3 && pw.P > 0 && pw.State == chain.PoolWorkerComputing {
			// Each heartbeat settled a reward: minted, and the pool's
			// share price above 1.
			sup, err := c.Supply(ctx)
			if err != nil || sup.Minted == "0" || p.Price == "1" || p.Value == "1000000000000000000000" {
				t.Fatalf("after %d heartbeats: supply %+v (%v), pool value %s price %s", len(beats), sup, err, p.Value, p.Price)
			}
			t.Logf("heartbeats at heights %v, P %d, %s after starting; minted %s, pool value %s (price %s)", beats, pw.P, time.Since(started).Round(time.Millisecond), sup.Minted, p.Value, p.Price)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("heartbeats recorded at %v in 60 s; want three and a P", beats)
}
