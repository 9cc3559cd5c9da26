package fanout

import (
	"context"
	"testing"

	"github.com/cove-network/cove/chain"
)

// TestFeed: subscribers get what is published after they subscribe, a
// full one misses the overflow without blocking Publish, and a channel
// closes when its context ends.
func TestFeed(t *testing.T) {
	var f Feed
	ctx, cancel := context.WithCancel(context.Background())
	a := f.Subscribe(ctx)
	b := f.Subscribe(context.Background())
	f.Publish([]chain.Event{{Type: "one"}})
	if e := <-a; e.Type != "one" {
		t.Fatalf("a got %v", e)
	}
	if e := <-b; e.Type != "one" {
		t.Fatalf("b got %v", e)
	}
	many := make([]chain.Event, Buffer+10)
	f.Publish(many) // must not block on the full channels
	if len(b) != Buffer {
		t.Fatalf("b holds %d events, want the %d that fit", len(b), Buffer)
	}
	cancel()
	for range a {
	}
}
