package faults_test

import (
	"context"
	"testing"
	"time"

	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testnet/cometrpc"
)

// TestHaltKill9 is the halt of TestValidatorsDown with real processes: four
// `cove node` validators under a load of transfers through nodes 0 and 1;
// nodes 2 and 3 get SIGKILL together, mid-consensus, with transfers in
// flight, so the chain halts; they restart on their homes and the chain
// resumes. Every transfer reported committed is in the balances, the
// supply is unchanged, and all four nodes end with the same app hash.
func TestHaltKill9(t *testing.T) {
	slow(t, "builds cove and runs four cove node processes through a halt (about 40 s)")
	const senders = 6
	bin := coveBin(t)
	ctx := ctxFor(t, 150*time.Second)
	l := newLoad(t, senders)
	start := time.Now()
	homes, procs, clients := startNet(t, ctx, bin, 4, l.addresses()...)
	t.Logf("4 cove node processes healthy in %s", time.Since(start).Round(time.Millisecond))
	maxHeight := func() int64 {
		var m int64
		for _, c := range clients[:2] {
			if st, err := c.ChainStatus(ctx); err == nil {
				m = max(m, st.Height)
			}
		}
		return m
	}

	wg := l.run(ctx, maxTransfers, func(i int) *client.Client { return clients[i%2] }, nil)
	defer func() { l.stop.Store(true); wg.Wait() }()
	if err := waitFor(ctx, "transfers to commit", func() bool { return l.committed.Load() >= 2*senders }); err != nil {
		t.Fatal(err)
	}

	// Two of four killed at once: the chain halts.
	hKill := maxHeight()
	cKill := l.committed.Load()
	procs[2].kill9()
	procs[3].kill9()
	killAt := time.Now()
	watch, cancel := context.WithTimeout(ctx, 4*time.Second)
	var hMax int64
	_ = waitFor(watch, "the halt window", func() bool { hMax = max(hMax, maxHeight()); return false })
	cancel()
	// A block whose votes were cast before the kill may still land.
	if hMax > hKill+1 {
		t.Fatalf("with two of four validators killed the chain went from height %d to %d", hKill, hMax)
	}
	inFlight := l.inFlight.Load()
	t.Logf("nodes 2 and 3 killed at height %d with %d transfers reported committed: halted at %d (watched 4 s), %d transfers in flight", hKill, cKill, hMax, inFlight)

	// Both back on their homes: the chain resumes.
	restartAt := time.Now()
	var took [4]time.Duration
	for _, i := range []int{2, 3} {
		var err error
		if procs[i], err = startNode(t, bin, homes[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, i := range []int{2, 3} {
		if err := procs[i].waitHealthy(ctx, clients[i], hMax); err != nil {
			t.Fatalf("node %d after SIGKILL: %v", i, err)
		}
		took[i] = time.Since(restartAt)
	}
	if err := waitFor(ctx, "the chain to resume", func() bool { return maxHeight() >= hMax+2 }); err != nil {
		t.Fatal(err)
	}
	t.Logf("nodes 2 and 3 restarted: healthy at height ≥ %d %s and %s after their start; chain past %d %s after the restart (no blocks for %s)",
		hMax, took[2].Round(time.Millisecond), took[3].Round(time.Millisecond), hMax+2, time.Since(restartAt).Round(time.Millisecond), time.Since(killAt).Round(time.Millisecond))

	l.stop.Store(true)
	wg.Wait()
	// The transfers in flight when the validators died waited in nodes 0
	// and 1's mempools: the halt was shorter than the gateway's 30 s wait,
	// so each was reported committed after the resume.
	var during, late int
	l.mu.Lock()
	for _, rs := range l.results {
		for _, r := range rs {
			if r.start.After(killAt) || r.end.Before(killAt) {
				continue
			}
			during++
			switch {
			case r.outcome != committed:
				t.Errorf("a transfer in flight at the kill ended %v: %v", r.outcome, r.err)
			case r.height > hMax:
				late++
			}
		}
	}
	l.mu.Unlock()
	t.Logf("%d transfers in flight at the kill: %d committed after the resume, %d in the last block before the halt", during, late, during-late)
	sent, ok, no, unk := l.tally()
	in, out := l.check(t, ctx, clients[0])
	hEnd := maxHeight()
	checkAppHashes(t, ctx, homes, clients, hEnd)
	t.Logf("%d transfers sent: %d reported committed (all in the balances), %d refused, %d unknown (%d committed, %d not); supply unchanged; app hashes agree at height %d; %s in all",
		sent, ok, no, unk, in, out, hEnd, time.Since(start).Round(time.Millisecond))
}

// checkAppHashes waits until every node has height h, then checks that
// each node's app hash at its height is the one node 0's next block
// header carries.
func checkAppHashes(t *testing.T, ctx context.Context, homes []home, clients []*client.Client, h int64) {
	t.Helper()
	rpc := cometrpc.New(homes[0].RPC)
	defer rpc.Close()
	for i, c := range clients {
		var st struct {
			height  int64
			appHash string
		}
		if err := waitFor(ctx, "node to catch up", func() bool {
			s, err := c.ChainStatus(ctx)
			st.height, st.appHash = s.Height, s.AppHash
			return err == nil && s.Height >= h
		}); err != nil {
			t.Fatalf("node %d at height %d: %v", i, st.height, err)
		}
		var want string
		if err := waitFor(ctx, "node 0's next block", func() bool {
			var err error
			want, err = rpc.AppHashAfter(ctx, st.height)
			return err == nil
		}); err != nil {
			t.Fatalf("node 0's header after block %d: %v", st.height, err)
		}
		if st.appHash != want {
			t.Errorf("node %d has app hash %s after block %d; node 0's block %d says %s", i, st.appHash, st.height, st.height+1, want)
		}
	}
}
