package faults_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testnet"
	"github.com/cove-network/cove/node"
)

// A load is concurrent senders of transfers with exact accounting. Sender
// i sends its k-th transfer, of 2^k base units, to its own recipient, so
// the recipient's balance is the set of sender i's transfers that
// committed, bit by bit: every transfer the client reported committed
// must be a set bit, every one it reported refused a clear bit, and a
// transfer whose outcome the client does not know (the request died with
// the node) is found in the balance either way. A sender and its
// recipient together keep the genesis funds less the fees of the sender's
// committed transfers (node.DevFees, recomputed from the transfers the
// balance shows), which went to the treasury.
type load struct {
	senders []*testnet.Key
	to      []cove.Address

	mu      sync.Mutex
	results [][]result // by sender, by k

	committed atomic.Int64 // transfers reported committed
	inFlight  atomic.Int64
	stop      atomic.Bool
}

// maxTransfers bounds a sender's transfers: 2^0 + ... + 2^(maxTransfers-1)
// must stay below node.DevFunds (about 2^79.7).
const maxTransfers = 64

type outcome int

const (
	unknown   outcome = iota // the client got no answer: it may have committed
	committed                // the client reported it committed
	refused                  // the client reported the chain refused it
)

type result struct {
	outcome    outcome
	height     int64 // for committed
	start, end time.Time
	err        error
}

func newLoad(t *testing.T, senders int) *load {
	l := &load{results: make([][]result, senders)}
	for range senders {
		l.senders = append(l.senders, testnet.NewKey(t))
		l.to = append(l.to, testnet.NewKey(t).Address())
	}
	return l
}

// addresses are the senders' addresses, to fund in genesis.
func (l *load) addresses() []cove.Address {
	var out []cove.Address
	for _, s := range l.senders {
		out = append(out, s.Address())
	}
	return out
}

// run sends n transfers (at most maxTransfers) from every sender, each
// sender one at a time through the client that pick gives it, until
// every sender is done, stop is set or ctx ends. After a transfer whose
// outcome is unknown, a sender calls wait (nil: carry on) before the next.
func (l *load) run(ctx context.Context, n int, pick func(sender int) *client.Client, wait func(context.Context, *client.Client) error) *sync.WaitGroup {
	n = min(n, maxTransfers)
	var wg sync.WaitGroup
	for i, s := range l.senders {
		wg.Go(func() {
			for k := 0; k < n && !l.stop.Load() && ctx.Err() == nil; k++ {
				c := pick(i)
				r := result{start: time.Now()}
				l.inFlight.Add(1)
				out, err := c.Transfer(ctx, s, l.to[i], new(big.Int).Lsh(big.NewInt(1), uint(k)))
				l.inFlight.Add(-1)
				r.end, r.err = time.Now(), err
				var txErr *client.TxError
				switch {
				case err == nil:
					r.outcome, r.height = committed, out.Height
					l.committed.Add(1)
				case errors.As(err, &txErr):
					r.outcome = refused
				default:
					r.outcome = unknown
				}
				l.mu.Lock()
				l.results[i] = append(l.results[i], r)
				l.mu.Unlock()
				if r.outcome == unknown && wait != nil {
					if wait(ctx, c) != nil {
						return
					}
				}
			}
		})
	}
	return &wg
}

// maxHeight returns the highest height at which a transfer was reported
// committed.
func (l *load) maxHeight() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var m int64
	for _, rs := range l.results {
		for _, r := range rs {
			m = max(m, r.height)
		}
	}
	return m
}

// tally counts the results by outcome.
func (l *load) tally() (sent, ok, no, unk int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, rs := range l.results {
		for _, r := range rs {
			sent++
			switch r.outcome {
			case committed:
				ok++
			case refused:
				no++
			default:
				unk++
			}
		}
	}
	return
}

// check compares the chain's balances and nonces, read through c, with
// what the client reported, exactly. It returns how many transfers of
// unknown outcome the chain holds (committed) and does not (lost before
// they committed, which is allowed: nobody was told they committed).
// It first waits for c's node to reach the highest height a transfer was
// reported committed at: a transfer sent through another node may be
// reported before c's node has applied that block.
func (l *load) check(t *testing.T, ctx context.Context, c *client.Client) (unknownIn, unknownOut int) {
	t.Helper()
	h := l.maxHeight()
	var at int64
	if err := waitFor(ctx, "the reading node to apply every reported block", func() bool {
		st, err := c.ChainStatus(ctx)
		at = st.Height
		return err == nil && st.Height >= h
	}); err != nil {
		t.Fatalf("the node balances are read from is at height %d, transfers were reported committed at %d: %v", at, h, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	supply := new(big.Int)
	for i, s := range l.senders {
		sa, err := c.Account(ctx, s.Address())
		if err != nil {
			t.Fatalf("sender %d: %v", i, err)
		}
		ra, err := c.Account(ctx, l.to[i])
		if err != nil {
			t.Fatalf("recipient %d: %v", i, err)
		}
		fees := l.fees(t, i, ra.Balance)
		supply.Add(supply, sa.Balance).Add(supply, ra.Balance).Add(supply, fees)
		if pair := new(big.Int).Add(sa.Balance, ra.Balance); new(big.Int).Add(pair, fees).Cmp(node.DevFunds) != 0 {
			t.Errorf("sender %d and its recipient hold %s and paid %s in fees, want the genesis funds %s", i, pair, fees, node.DevFunds)
		}
		problems, in, out := audit(l.results[i], ra.Balance, sa.Nonce)
		for _, p := range problems {
			t.Errorf("sender %d: %s", i, p)
		}
		unknownIn += in
		unknownOut += out
	}
	want := new(big.Int).Mul(node.DevFunds, big.NewInt(int64(len(l.senders))))
	if supply.Cmp(want) != 0 {
		t.Errorf("senders and recipients hold %s with the fees they paid, want %s: the supply changed", supply, want)
	}
	return unknownIn, unknownOut
}

// fees returns what sender i paid in fees for the transfers in its
// recipient's balance: they committed in the order of their bits, with
// nonces 0, 1, ..., and each paid node.DevFees for its size, which the
// same transfer signed again has (the testnet's chain id, the same
// fields; a signature's length is fixed).
func (l *load) fees(t *testing.T, i int, balance *big.Int) *big.Int {
	t.Helper()
	total := new(big.Int)
	var nonce uint64
	for k := range balance.BitLen() {
		if balance.Bit(k) == 0 {
			continue
		}
		tx, err := chain.SignTx(node.TestnetNumericChainID, chain.Transfer{To: l.to[i], Amount: new(big.Int).Lsh(big.NewInt(1), uint(k)), Nonce: nonce}, l.senders[i].Sign)
		if err != nil {
			t.Fatal(err)
		}
		total.Add(total, node.DevFees().Fee("Transfer", len(tx)))
		nonce++
	}
	return total
}

// audit compares one sender's reported results with its recipient's
// balance and its nonce: bit k of the balance is transfer k. It returns
// what does not match, and how many transfers of unknown outcome are in the
// balance and how many are not.
func audit(results []result, balance *big.Int, nonce uint64) (problems []string, unknownIn, unknownOut int) {
	if balance.BitLen() > len(results) {
		problems = append(problems, fmt.Sprintf("recipient balance %s has bit %d set, but only %d transfers were sent", balance, balance.BitLen()-1, len(results)))
	}
	bits := 0
	for k := range balance.BitLen() {
		bits += int(balance.Bit(k))
	}
	for k, r := range results {
		in := balance.Bit(k) == 1
		switch {
		case r.outcome == committed && !in:
			problems = append(problems, fmt.Sprintf("transfer %d (2^%d) was reported committed at height %d but is not in the recipient's balance", k, k, r.height))
		case r.outcome == refused && in:
			problems = append(problems, fmt.Sprintf("transfer %d was reported refused (%v) but is in the recipient's balance", k, r.err))
		case r.outcome == unknown && in:
			unknownIn++
		case r.outcome == unknown:
			unknownOut++
		}
	}
	// Each committed transfer used one nonce: a transfer applied twice, or
	// one the balance hides, shows here.
	if nonce != uint64(bits) {
		problems = append(problems, fmt.Sprintf("nonce %d, but %d transfers are in the recipient's balance", nonce, bits))
	}
	return problems, unknownIn, unknownOut
}

// waitFor polls cond every 20 ms until it holds or ctx ends.
func waitFor(ctx context.Context, what string, cond func() bool) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}
