package gateway

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
)

// TestLinkCache: a DAO agent's workers' vouchers are gathered by one
// request at a time (the others wait for its answer), reused for
// linkVouchersTTL, gathered again after; a gathering that missed a worker
// for linkPartialTTL; one that panicked leaves nobody waiting; the cache
// holds at most maxLinkCache agents.
func TestLinkCache(t *testing.T) {
	var c linkCache
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	good := []api.Redeemable{{Channel: 1, Amount: "5"}}
	var gathered atomic.Int32
	release := make(chan struct{})
	gather := func() ([]api.Redeemable, bool) {
		gathered.Add(1)
		<-release
		return good, true
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got := c.fetch(cove.AgentID{1}, now, gather); len(got) != 1 {
				t.Errorf("a waiting request got %v", got)
			}
		})
	}
	time.Sleep(50 * time.Millisecond) // let the eight meet the one gathering
	close(release)
	wg.Wait()
	if n := gathered.Load(); n != 1 {
		t.Fatalf("8 requests at once gathered %d times, want 1", n)
	}
	again := func() ([]api.Redeemable, bool) { gathered.Add(1); return good, true }
	c.fetch(cove.AgentID{1}, now.Add(linkVouchersTTL-time.Millisecond), again)
	if n := gathered.Load(); n != 1 {
		t.Fatalf("within the TTL, gathered again (%d)", n)
	}
	c.fetch(cove.AgentID{1}, now.Add(linkVouchersTTL), again)
	if n := gathered.Load(); n != 2 {
		t.Fatalf("past the TTL, not gathered again (%d)", n)
	}
	// A gathering a worker missed is reused for linkPartialTTL only.
	partial := func() ([]api.Redeemable, bool) { gathered.Add(1); return nil, false }
	c.fetch(cove.AgentID{2}, now, partial)
	c.fetch(cove.AgentID{2}, now.Add(linkPartialTTL-time.Millisecond), partial)
	if n := gathered.Load(); n != 3 {
		t.Fatalf("a partial gathering was not reused within its TTL (%d gatherings)", n)
	}
	c.fetch(cove.AgentID{2}, now.Add(linkPartialTTL), partial)
	if n := gathered.Load(); n != 4 {
		t.Fatalf("a partial gathering was reused past its TTL (%d gatherings)", n)
	}
	// A gathering that panics leaves no request waiting for it.
	func() {
		defer func() { recover() }()
		c.fetch(cove.AgentID{3}, now, func() ([]api.Redeemable, bool) { panic("a bug") })
	}()
	done := make(chan struct{})
	go func() { c.fetch(cove.AgentID{3}, now.Add(time.Hour), again); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a request waits for a gathering that panicked")
	}
	for i := range maxLinkCache + 1 {
		c.fetch(cove.AgentID{byte(i), byte(i >> 8), 2}, now, again)
	}
	if len(c.m) > maxLinkCache {
		t.Fatalf("%d agents cached, the bound is %d", len(c.m), maxLinkCache)
	}
}
