package bridge

import (
	"bytes"
	"math/big"
	"testing"
	"time"

	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/core/types"
)

// request makes one request of path "/price" with body, through the
// consumer (which stores the answer in its callback) or directly from the
// owner's account (whose "callback" runs no code), and returns its id and
// the receipt of the request's transaction.
func (e *chainEnv) request(viaConsumer bool, body []byte, cbGas uint32) (*big.Int, *types.Receipt) {
	e.t.Helper()
	opts := *e.owner
	opts.Nonce = new(big.Int).SetUint64(e.ownerNonce())
	opts.Value = big.NewInt(testFee)
	var tx *types.Transaction
	var err error
	if viaConsumer {
		tx, err = e.consumer.Ask(&opts, "/price", body, cbGas)
	} else {
		tx, err = e.anchor.Request(&opts, e.agent, "/price", body, cbGas)
	}
	e.mine(tx, err)
	r := e.receipt(tx.Hash())
	for _, l := range r.Logs {
		if ev, err := e.anchor.ParseCoveRequest(*l); err == nil {
			return ev.RequestId, r
		}
	}
	e.t.Fatal("no CoveRequest")
	return nil, nil
}

// fulfilledSince counts the CoveFulfilled events from block from on.
func (e *chainEnv) fulfilledSince(from uint64) (n int, last uint64) {
	e.t.Helper()
	it, err := e.anchor.FilterCoveFulfilled(&bind.FilterOpts{Start: from}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for it.Next() {
		n, last = n+1, max(last, it.Event.Raw.BlockNumber)
	}
	return n, last
}

// BenchmarkFulfil200: 200 requests in one block (the consumer's ask), the
// bridge (0 confirmations, polling every 20 ms) fulfils them all while a
// block is committed every 100 ms. It reports fulfilments per second (from
// the requests' block to the block with the last fulfilment) and the
// blocks that took.
func BenchmarkFulfil200(b *testing.B) {
	const n, every = 200, 100 * time.Millisecond
	e := newChainEnv(b)
	var logs syncbuf.Buffer
	br, stop := e.start(b.TempDir(), &logs)
	defer stop()
	warm := e.ask(1, "warm") // the attestor's registration, out of the way
	e.mineUntil("the first request", func() bool { return e.fulfilled(warm) && br.Status()[0].Fulfilled == 1 })
	var secs, blocks float64
	b.ResetTimer()
	for range b.N {
		ids := e.ask(n, "bench")
		asked, start := e.head().Number.Uint64(), time.Now()
		if len(ids) != n {
			b.Fatalf("%d requests", len(ids))
		}
		for {
			time.Sleep(every)
			e.sim.Commit()
			if got, last := e.fulfilledSince(asked); got == n {
				secs += time.Since(start).Seconds()
				blocks += float64(last - asked)
				break
			}
			if time.Since(start) > time.Minute {
				b.Fatalf("not all fulfilled in a minute\n%s", logs.String())
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n*b.N)/secs, "fulfilments/s")
	b.ReportMetric(blocks/float64(b.N), "blocks")
}

// BenchmarkLatency: one request at a time, 0 confirmations, a block
// committed every 100 ms or 1 s; it reports the blocks from the request's
// block to its fulfilment's (the goal: 1, the next block) and the time
// between those blocks.
func BenchmarkLatency(b *testing.B) {
	for _, c := range []struct {
		name  string
		every time.Duration
	}{{"block=100ms", 100 * time.Millisecond}, {"block=1s", time.Second}} {
		b.Run(c.name, func(b *testing.B) {
			e := newChainEnv(b)
			var logs syncbuf.Buffer
			br, stop := e.start(b.TempDir(), &logs)
			defer stop()
			warm := e.ask(1, "warm")
			e.mineUntil("the first request", func() bool { return e.fulfilled(warm) && br.Status()[0].Fulfilled == 1 })
			var blocks, ms float64
			b.ResetTimer()
			for range b.N {
				opts := *e.owner
				opts.Nonce = new(big.Int).SetUint64(e.ownerNonce())
				opts.Value = big.NewInt(testFee)
				opts.GasLimit = 400_000
				tx, err := e.consumer.Ask(&opts, "/price", []byte("latency"), 300_000)
				if err != nil {
					b.Fatal(err)
				}
				var asked uint64
				var askedAt time.Time
				for {
					time.Sleep(c.every)
					e.sim.Commit()
					if asked == 0 {
						if r, err := e.sim.Client().TransactionReceipt(b.Context(), tx.Hash()); err == nil {
							asked, askedAt = r.BlockNumber.Uint64(), time.Now()
						}
						continue
					}
					if got, last := e.fulfilledSince(asked); got == 1 {
						blocks += float64(last - asked)
						ms += float64(time.Since(askedAt).Milliseconds())
						break
					}
					if time.Since(askedAt) > time.Minute {
						b.Fatalf("not fulfilled in a minute\n%s", logs.String())
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(blocks/float64(b.N), "blocks")
			b.ReportMetric(ms/float64(b.N), "ms")
		})
	}
}

// BenchmarkGas reports the gas of request (through PriceConsumer.ask and
// the anchor's request directly, 32-byte body) and of fulfil with 32-byte
// and 4 KB answers, to PriceConsumer (which stores the answer) and to an
// account (the anchor's own cost). Receipts are version 2 (97-byte
// signature), as the bridge sends them.
func BenchmarkGas(b *testing.B) {
	e := newChainEnv(b)
	body32, body4k := bytes.Repeat([]byte("a"), 32), bytes.Repeat([]byte("b"), 4096)
	gas := map[string]float64{}
	b.ResetTimer()
	for range b.N {
		for _, c := range []struct {
			name        string
			viaConsumer bool
			body        []byte
			cbGas       uint32
		}{
			{"consumer-32B", true, body32, 300_000},
			{"consumer-4KB", true, body4k, 3_000_000},
			{"direct-32B", false, body32, 50_000},
			{"direct-4KB", false, body4k, 50_000},
		} {
			id, rq := e.request(c.viaConsumer, c.body, c.cbGas)
			if len(c.body) == 32 {
				gas["request-"+c.name+"-gas"] = float64(rq.GasUsed)
			}
			rf := e.fulfilByHand(id, "/price", c.body)
			gas["fulfil-"+c.name+"-gas"] = float64(rf.GasUsed)
			if c.viaConsumer {
				if got, _ := e.consumer.LastResponse(nil); len(got) != len(c.body) {
					b.Fatalf("%s: the consumer stored %d bytes", c.name, len(got))
				}
			}
		}
	}
	b.StopTimer()
	for k, v := range gas {
		b.ReportMetric(v, k)
	}
}
