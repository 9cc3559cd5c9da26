package testnet_test

import (
	"context"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/testnet"
)

// BenchmarkTransfers commits b.N transfers on one validator (block interval
// 200 ms, as cove dev) from 32 accounts submitting concurrently through
// CometBFT's broadcast_tx_sync, and reports committed tx/s. `cove bench
// chain` measures the same with deploys and block intervals.
func BenchmarkTransfers(b *testing.B) {
	const accounts = 32
	keys := make([]*testnet.Key, accounts)
	addrs := make([]cove.Address, accounts)
	for i := range keys {
		keys[i] = testnet.NewKey(b)
		addrs[i] = keys[i].Address()
	}
	net := testnet.Start(b, 1, testnet.Fund(addrs...), testnet.BlockInterval(200*time.Millisecond))
	nd := net.Node(0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := nd.WaitHeight(ctx, 1); err != nil {
		b.Fatal(err)
	}
	st, err := nd.Status(ctx)
	if err != nil {
		b.Fatal(err)
	}
	sink := testnet.NewKey(b).Address()
	txs := make([][][]byte, accounts)
	for i := range b.N {
		k := i % accounts
		tx, err := chain.SignTx(st.NumericChainID, chain.Transfer{To: sink, Amount: big.NewInt(1), Nonce: uint64(len(txs[k]))}, keys[k].Sign)
		if err != nil {
			b.Fatal(err)
		}
		txs[k] = append(txs[k], tx)
	}
	rpc := nd.RPC()
	h0, err := rpc.LatestHeight(ctx)
	if err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	var wg sync.WaitGroup
	errs := make(chan error, accounts)
	for _, l := range txs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, tx := range l {
				res, err := rpc.BroadcastSync(ctx, tx)
				if err == nil && res.Code != 0 {
					err = fmt.Errorf("CheckTx refused a transfer: %s (code %d)", res.Log, res.Code)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	committed, next := 0, h0+1
	for committed < b.N {
		top, err := rpc.LatestHeight(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if top >= next {
			hs, err := rpc.Headers(ctx, next, top)
			if err != nil {
				b.Fatal(err)
			}
			for _, h := range hs {
				committed += h.NumTxs
			}
			next = top + 1
			continue
		}
		select {
		case <-ctx.Done():
			b.Fatalf("%d of %d committed: %v", committed, b.N, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}
