package faults_test

import (
	"context"
	"testing"
	"time"

	"github.com/cove-network/cove/client"
)

// TestKillUnderLoad kills a one-validator `cove node` with SIGKILL while
// concurrent senders push transfers through its gateway, restarts it on
// the same home, and checks, exactly, that every transfer the client
// reported committed is in the balances, none reported refused is, the
// supply is unchanged, and the restarted node is healthy at the height it
// had reached.
func TestKillUnderLoad(t *testing.T) {
	slow(t, "builds cove and kills a node under load (about 30 s)")
	const (
		senders   = 8
		transfers = 32 // per sender
		kills     = 3
	)
	bin := coveBin(t)
	ctx := ctxFor(t, 150*time.Second)
	l := newLoad(t, senders)
	start := time.Now()
	homes, procs, clients := startNet(t, ctx, bin, 1, l.addresses()...)
	h, p, c := homes[0], procs[0], clients[0]
	t.Logf("first start: healthy in %s", time.Since(start).Round(time.Millisecond))

	// After an unknown outcome a sender waits for the gateway to answer
	// again: while the node is down every attempt would fail at once.
	wait := func(ctx context.Context, c *client.Client) error { return c.WaitHealthy(ctx) }
	wg := l.run(ctx, transfers, func(int) *client.Client { return c }, wait)

	for kill := 1; kill <= kills; kill++ {
		target := int64(kill * senders * transfers / (kills + 1))
		if err := waitFor(ctx, "transfers to commit", func() bool { return l.committed.Load() >= target }); err != nil {
			t.Fatal(err)
		}
		st, err := c.ChainStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		when := "with the senders' next transfers in the mempool"
		if kill%2 == 0 {
			// The other moment: as a block commits, while the gateway
			// answers the transfers in it. Some die committed but
			// unanswered, which the accounting must find.
			when = "as a block committed"
			for st0 := st.Height; st.Height == st0; {
				if st, err = c.ChainStatus(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		inFlight := l.inFlight.Load()
		p.kill9()
		// No transfer is reported committed once the node is dead: the
		// height it had is at least the last one seen or reported.
		before, hBefore := l.committed.Load(), max(st.Height, l.maxHeight())
		var took time.Duration
		p, took = restart(t, t, ctx, bin, h, c, hBefore)
		t.Logf("kill %d, %s: SIGKILL at height ≥ %d with %d transfers reported committed and %d in flight; restarted healthy at height ≥ %d in %s",
			kill, when, hBefore, before, inFlight, hBefore, took.Round(time.Millisecond))
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("load did not finish: %v", ctx.Err())
	}
	sent, ok, no, unk := l.tally()
	if ok == 0 || unk == 0 {
		// Not a failure of Cove, but the scenario did not exercise what it
		// names: say so rather than pass quietly.
		t.Logf("note: %d committed, %d unknown: the kills hit no request in flight", ok, unk)
	}
	in, out := l.check(t, ctx, c)
	st, err := c.ChainStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d senders, %d transfers: %d reported committed (all in the balances), %d refused, %d unknown (%d committed, %d not); supply unchanged; final height %d; %s in all",
		senders, sent, ok, no, unk, in, out, st.Height, time.Since(start).Round(time.Millisecond))
	if ok < sent/2 {
		t.Errorf("only %d of %d transfers were reported committed", ok, sent)
	}
}
