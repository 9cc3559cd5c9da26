package testnet_test

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/bench"
	"github.com/cove-network/cove/internal/testnet"
)

// newKeys returns n new keys and their addresses, to fund at genesis.
func newKeys(b *testing.B, n int) ([]*testnet.Key, []cove.Address) {
	keys := make([]*testnet.Key, n)
	addrs := make([]cove.Address, n)
	for i := range keys {
		keys[i] = testnet.NewKey(b)
		addrs[i] = keys[i].Address()
	}
	return keys, addrs
}

// BenchmarkTransfers commits b.N transfers on one validator (block interval
// 200 ms, as cove dev) from 32 accounts submitting concurrently through
// CometBFT's broadcast_tx_sync, and reports committed tx/s. `cove bench
// chain` measures the same with deploys and block intervals.
func BenchmarkTransfers(b *testing.B) {
	const accounts = 32
	keys, addrs := newKeys(b, accounts)
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

// BenchmarkBlockInterval watches b.N consecutive blocks of a network of one
// and of four validators at cove dev's 200 ms block interval, idle (empty
// blocks) and, with four, under a steady load of transfers (loadRate a
// second, spread over the nodes). It reports the p50, p99 and maximum
// interval between their header times, how many of them took more than one
// consensus round (a round that timed out), the CPU time of the whole
// network per block (every node runs in this process) and, under load, the
// transactions committed. Run it with a fixed count: -benchtime 50x. ns/op
// is the mean interval.
func BenchmarkBlockInterval(b *testing.B) {
	const loadRate = 100
	for _, c := range []struct {
		validators int
		load       bool
	}{{1, false}, {4, false}, {4, true}} {
		name := fmt.Sprintf("validators=%d", c.validators)
		if c.load {
			name += fmt.Sprintf(",load=%dtx/s", loadRate)
		}
		b.Run(name, func(b *testing.B) {
			keys, addrs := newKeys(b, 32)
			net := testnet.Start(b, c.validators, testnet.BlockInterval(200*time.Millisecond), testnet.Fund(addrs...))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			// The first blocks include the nodes' own registrations.
			if err := net.WaitHeight(ctx, 5); err != nil {
				b.Fatal(err)
			}
			rpc := net.Node(0).RPC()
			h0, err := rpc.LatestHeight(ctx)
			if err != nil {
				b.Fatal(err)
			}
			stop := func() {}
			if c.load {
				stop = offerLoad(b, ctx, net, keys, loadRate)
			}
			cpu0, _ := bench.ProcessCPU()
			b.ResetTimer()
			if err := net.Node(0).WaitHeight(ctx, h0+int64(b.N)); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			stop()
			if cpu1, ok := bench.ProcessCPU(); ok {
				// All n nodes run in this process: this is the network's CPU.
				b.ReportMetric(float64((cpu1-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/block")
			}
			var ms []float64
			rounds, txs := 0, 0
			prev, err := rpc.Header(ctx, h0)
			if err != nil {
				b.Fatal(err)
			}
			hs, err := rpc.Headers(ctx, h0+1, h0+int64(b.N))
			if err != nil {
				b.Fatal(err)
			}
			for _, h := range hs {
				txs += h.NumTxs
				hd, err := rpc.Header(ctx, h.Height)
				if err != nil {
					b.Fatal(err)
				}
				ms = append(ms, float64(hd.Time.Sub(prev.Time).Microseconds())/1000)
				if hd.Round > 0 {
					rounds++
				}
				prev = hd
			}
			sort.Float64s(ms)
			b.ReportMetric(ms[len(ms)/2], "p50-ms")
			b.ReportMetric(ms[(len(ms)*99)/100], "p99-ms")
			b.ReportMetric(ms[len(ms)-1], "max-ms")
			b.ReportMetric(float64(rounds), "rounds>0")
			b.ReportMetric(float64(txs), "txs")
		})
	}
}

// offerLoad sends transfers from keys at rate a second in all, each
// account in nonce order, through the nodes' CometBFT RPCs in turn, until
// the returned stop is called (which waits for the senders).
func offerLoad(b *testing.B, ctx context.Context, net *testnet.Net, keys []*testnet.Key, rate int) (stop func()) {
	b.Helper()
	st, err := net.Node(0).Status(ctx)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	sink := testnet.NewKey(b).Address()
	every := time.Duration(len(keys)) * time.Second / time.Duration(rate)
	for i, k := range keys {
		rpc := net.Node(i % net.Len()).RPC()
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(every)
			defer tick.Stop()
			for nonce := uint64(0); ; nonce++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				tx, err := chain.SignTx(st.NumericChainID, chain.Transfer{To: sink, Amount: big.NewInt(1), Nonce: nonce}, k.Sign)
				if err != nil {
					b.Error(err)
					return
				}
				// A broadcast that failed (a full mempool, a timeout) is
				// sent again: the next nonce would be refused without it.
				for {
					res, err := rpc.BroadcastSync(ctx, tx)
					if ctx.Err() != nil {
						return
					}
					if err == nil && res.Code != 0 {
						b.Errorf("CheckTx refused a transfer: %s (code %d)", res.Log, res.Code)
						return
					}
					if err == nil {
						break
					}
					time.Sleep(10 * time.Millisecond) // pacing a retry, not synchronising
				}
			}
		}()
	}
	return func() { cancel(); wg.Wait() }
}
