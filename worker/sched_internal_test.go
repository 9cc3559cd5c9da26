package worker

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/worker/sandbox"
)

// granted reports whether acquire's result arrived on ch within a short
// wait (a grant is immediate once dispatched).
func granted(ch <-chan error) (error, bool) {
	select {
	case err := <-ch:
		return err, true
	case <-time.After(50 * time.Millisecond):
		return nil, false
	}
}

// TestSlotsFair: an agent holds at most perAgent slots, freed slots go to
// waiting agents in turn (not to the oldest waiter), a full queue refuses
// at once, and a waiter whose ctx ends leaves its queue.
func TestSlotsFair(t *testing.T) {
	busy, b, c := cove.AgentID{1}, cove.AgentID{2}, cove.AgentID{3}
	s := newSlots(3, 2, 3)
	ctx := context.Background()
	for range 2 {
		if err := s.acquire(ctx, busy); err != nil {
			t.Fatal(err)
		}
	}
	// busy is at its bound: its next calls queue although a slot is free.
	var busyWaits []chan error
	for i := range 3 {
		ch := make(chan error, 1)
		go func() { ch <- s.acquire(ctx, busy) }()
		busyWaits = append(busyWaits, ch)
		// One at a time, so busyWaits is the queue's order.
		waitFor(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return len(s.agents[busy].waiters) == i+1 })
	}
	for _, ch := range busyWaits {
		if _, ok := granted(ch); ok {
			t.Fatal("a call past the agent's bound got a slot")
		}
	}
	// The queue is full: refused at once.
	tctx, stop := context.WithTimeout(ctx, 2*time.Second) // a wait is a failure, not a hang
	defer stop()
	if err := s.acquire(tctx, busy); !errors.Is(err, errAgentBusy) {
		t.Fatalf("full queue: %v, want errAgentBusy", err)
	}
	// Another agent takes the free slot at once (control: the same
	// scheduler, not full for it).
	if err := s.acquire(ctx, b); err != nil {
		t.Fatal(err)
	}
	// Now every slot is taken: b and c queue behind busy's three waiters.
	bWait, cWait := make(chan error, 1), make(chan error, 1)
	go func() { bWait <- s.acquire(ctx, b) }()
	waitFor(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return len(s.agents[b].waiters) == 1 })
	go func() { cWait <- s.acquire(ctx, c) }()
	waitFor(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.agents[c] != nil && len(s.agents[c].waiters) == 1
	})
	// busy frees a slot: busy's waiters came first, but the ring goes
	// busy, b, c; busy is under its bound again, so it gets this one, and
	// the next two freed slots go to b and c, not to busy's older waiters.
	s.release(busy)
	if _, ok := granted(busyWaits[0]); !ok {
		t.Fatal("the first freed slot: busy's first waiter should have it")
	}
	s.release(b)
	if _, ok := granted(bWait); !ok {
		t.Fatal("the second freed slot should go to b")
	}
	s.release(b)
	if _, ok := granted(cWait); !ok {
		t.Fatal("the third freed slot should go to c, not to busy's older waiters")
	}
	if _, ok := granted(busyWaits[1]); ok {
		t.Fatal("busy's second waiter got a slot none freed")
	}
	// A waiter whose ctx ends leaves the queue, and the queue has room again.
	cctx, cancel := context.WithCancel(ctx)
	gone := make(chan error, 1)
	go func() { gone <- s.acquire(cctx, busy) }()
	waitFor(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return len(s.agents[busy].waiters) == 3 })
	cancel()
	if err, ok := granted(gone); !ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v, %v", err, ok)
	}
	s.mu.Lock()
	n := len(s.agents[busy].waiters)
	s.mu.Unlock()
	if n != 2 {
		t.Fatalf("busy has %d waiters after one left, want 2", n)
	}
	// Everything released: the map forgets idle agents.
	s.release(busy) // busy's second waiter runs
	if _, ok := granted(busyWaits[1]); !ok {
		t.Fatal("busy's second waiter")
	}
	s.release(busy)
	if _, ok := granted(busyWaits[2]); !ok {
		t.Fatal("busy's third waiter")
	}
	s.release(c)
	for range 2 {
		s.release(busy)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.free != 3 || len(s.agents) != 0 || len(s.ring) != 0 {
		t.Fatalf("after every release: free %d, agents %d, ring %d", s.free, len(s.agents), len(s.ring))
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestIsolatesDefaults: unset, the warm-VM bounds follow the agent's bound
// on running calls, at least the sandbox's defaults; set, they are kept.
func TestIsolatesDefaults(t *testing.T) {
	for _, tt := range []struct {
		maxConcurrent, maxPerAgent int
		wantPerAgent, wantAll      int
	}{
		{16, 0, 8, 16},  // 2 cores: max_per_agent 8
		{64, 0, 32, 32}, // 8 cores: 32
		{4, 0, 4, 16},   // at least the sandbox's defaults
		{64, 2, 4, 16},  // an explicit max_per_agent
		{256, 0, 128, 128},
	} {
		c := DefaultConfig()
		c.MaxConcurrent, c.MaxPerAgent = tt.maxConcurrent, tt.maxPerAgent
		if got := c.isolates(); got.MaxIdlePerAgent != tt.wantPerAgent || got.MaxIdle != tt.wantAll || got.MaxUses != 0 {
			t.Errorf("max_concurrent %d, max_per_agent %d: %+v, want %d per agent, %d in all (others the sandbox's defaults)",
				tt.maxConcurrent, tt.maxPerAgent, got, tt.wantPerAgent, tt.wantAll)
		}
	}
	c := DefaultConfig()
	c.Isolates = sandbox.Isolates{MaxIdlePerAgent: 1, MaxIdle: 2}
	if got := c.isolates(); got.MaxIdlePerAgent != 1 || got.MaxIdle != 2 {
		t.Errorf("configured bounds changed: %+v", got)
	}
}

// TestIsolateKey: an agent version's warm-VM key is "<id>/<version>",
// each version its own.
func TestIsolateKey(t *testing.T) {
	var a cove.Agent
	a.ID[0], a.ID[31] = 0xab, 0x01
	for _, v := range []uint64{0, 1, 10, math.MaxUint64} {
		a.Version = v
		if got, want := isolateKey(a), fmt.Sprintf("%s/%d", a.ID, v); got != want {
			t.Errorf("version %d: key %q, want %q", v, got, want)
		}
	}
}
