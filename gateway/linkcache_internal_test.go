package gateway

import (
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
)

// TestLinkCache: a DAO agent's workers' vouchers are reused for
// linkVouchersTTL, then asked again; the cache holds at most maxLinkCache
// agents.
func TestLinkCache(t *testing.T) {
	var c linkCache
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	lists := [][]api.Redeemable{{{Channel: 1, Amount: "5"}}}
	if _, ok := c.get(cove.AgentID{1}, now); ok {
		t.Fatal("an empty cache answered")
	}
	c.put(cove.AgentID{1}, lists, now)
	if got, ok := c.get(cove.AgentID{1}, now.Add(linkVouchersTTL-time.Millisecond)); !ok || len(got) != 1 {
		t.Fatalf("within the TTL: %v %v", got, ok)
	}
	if _, ok := c.get(cove.AgentID{1}, now.Add(linkVouchersTTL)); ok {
		t.Fatal("past the TTL, the cached vouchers were reused")
	}
	for i := range maxLinkCache + 1 {
		c.put(cove.AgentID{byte(i), byte(i >> 8), 2}, lists, now)
	}
	if len(c.m) > maxLinkCache {
		t.Fatalf("%d agents cached, the bound is %d", len(c.m), maxLinkCache)
	}
}
