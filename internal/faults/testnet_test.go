package faults_test

import (
	"context"
	"testing"
	"time"

	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testnet"
)

// TestValidatorsDown runs four validators of equal power (internal/testnet,
// in-process) under a steady load of transfers through nodes 0 and 1, and
// takes validators down while transfers are in flight: with one down
// (three of four hold more than two thirds of the power) the chain goes
// on; with two down it halts, the transfers in flight waiting; with one of
// them back it resumes, and the transfers sent during the halt are then
// reported committed (the halt is shorter than the gateway's 30 s wait) or
// found in the state exactly as reported. At the end every node agrees on
// the app hash.
func TestValidatorsDown(t *testing.T) {
	slow(t, "runs four validators through a halt (about 40 s)")
	const senders = 6
	ctx := ctxFor(t, 150*time.Second)
	l := newLoad(t, senders)
	start := time.Now()
	net := testnet.Start(t, 4, testnet.Fund(l.addresses()...))
	if err := net.WaitHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	t.Logf("4 validators up in %s", time.Since(start).Round(time.Millisecond))
	// Senders use nodes 0 and 1, which stay up; the load stops when told.
	pick := func(i int) *client.Client { return net.Node(i % 2).Client() }
	wg := l.run(ctx, maxTransfers, pick, nil)
	defer func() { l.stop.Store(true); wg.Wait() }()
	committedAtLeast := func(what string, n int64) {
		t.Helper()
		if err := waitFor(ctx, what, func() bool { return l.committed.Load() >= n }); err != nil {
			t.Fatal(err)
		}
	}
	committedAtLeast("transfers with four validators", 2*senders)

	// One down: the chain goes on.
	h0, err := net.MaxHeight(ctx)
	if err != nil {
		t.Fatal(err)
	}
	net.Node(3).Stop()
	phase := time.Now()
	c0 := l.committed.Load()
	committedAtLeast("transfers with node 3 down", c0+2*senders)
	h1, err := net.MaxHeight(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("node 3 down: %d more transfers committed in %s, height %d → %d", l.committed.Load()-c0, time.Since(phase).Round(time.Millisecond), h0, h1)

	// Two down, transfers in flight: the chain halts.
	net.Node(2).Stop()
	haltAt := time.Now()
	hHalt, err := net.MaxHeight(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cHalt := l.committed.Load()
	// A block whose votes were already cast may still land; then nothing.
	// Watch for several seconds (many block intervals) that no more does.
	watch, cancel := context.WithTimeout(ctx, 4*time.Second)
	var hMax int64
	_ = waitFor(watch, "the halt window", func() bool {
		h, err := net.MaxHeight(ctx)
		if err == nil {
			hMax = max(hMax, h)
		}
		return false
	})
	cancel()
	if hMax > hHalt+1 {
		t.Fatalf("with two of four validators down the chain went from height %d to %d", hHalt, hMax)
	}
	inFlight := l.inFlight.Load()
	if inFlight == 0 {
		t.Fatalf("no transfer in flight during the halt")
	}
	halted := l.committed.Load() - cHalt
	t.Logf("nodes 2 and 3 down: halted at height %d (watched %s, max %d); %d transfers committed in that window, %d in flight", hHalt, time.Since(haltAt).Round(time.Millisecond), hMax, halted, inFlight)

	// One back: the chain resumes and the transfers in flight commit.
	restartAt := time.Now()
	net.Node(2).Restart()
	up := time.Since(restartAt)
	if err := net.WaitHeight(ctx, hMax+2); err != nil {
		t.Fatal(err)
	}
	resumed := time.Since(restartAt)
	t.Logf("node 2 restarted in %s; chain past height %d %s after the restart (no blocks for %s)", up.Round(time.Millisecond), hMax+2, resumed.Round(time.Millisecond), (restartAt.Sub(haltAt) + resumed).Round(time.Millisecond))

	// Node 3 back; the senders finish what they have in flight.
	net.Node(3).Restart()
	l.stop.Store(true)
	wg.Wait()
	hEnd, err := net.MaxHeight(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := net.WaitHeight(ctx, hEnd); err != nil {
		t.Fatal(err)
	}
	if err := net.CheckAppHash(ctx); err != nil {
		t.Fatal(err)
	}

	// Every transfer sent during the halt was reported committed after it.
	var duringHalt, lateCommits, notReported int
	l.mu.Lock()
	for _, rs := range l.results {
		for _, r := range rs {
			if r.start.After(restartAt) || r.end.Before(haltAt) {
				continue
			}
			duringHalt++
			switch {
			case r.outcome == committed && r.height > hMax:
				lateCommits++
			case r.outcome != committed:
				notReported++
				t.Errorf("a transfer in flight during the halt ended %v: %v", r.outcome, r.err)
			}
		}
	}
	l.mu.Unlock()
	sent, ok, no, unk := l.tally()
	in, out := l.check(t, ctx, net.Node(0).Client())
	t.Logf("%d transfers in flight during the halt: %d reported committed after the resume, %d not; in all %d sent, %d committed (all in the balances), %d refused, %d unknown (%d committed, %d not); supply unchanged; app hashes agree at height %d; %s in all",
		duringHalt, lateCommits, notReported, sent, ok, no, unk, in, out, hEnd, time.Since(start).Round(time.Millisecond))
}
