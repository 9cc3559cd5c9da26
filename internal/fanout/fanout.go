// Package fanout hands committed chain events to subscribers: the
// validator's and the test chain's Subscribe. A subscriber that does not
// keep up misses events rather than holding up the chain, so every
// subscriber also re-reads state on a timer.
package fanout

import (
	"context"
	"sync"

	"github.com/cove-network/cove/chain"
)

// Buffer is how many events a subscriber may fall behind before it misses
// some.
const Buffer = 256

// Feed is a set of subscribers. The zero Feed is ready to use.
type Feed struct {
	mu   sync.Mutex
	subs map[chan chain.Event]struct{}
}

// Subscribe returns a channel of the events published from now on. It is
// closed when ctx ends.
func (f *Feed) Subscribe(ctx context.Context) <-chan chain.Event {
	ch := make(chan chain.Event, Buffer)
	f.mu.Lock()
	if f.subs == nil {
		f.subs = map[chan chain.Event]struct{}{}
	}
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	context.AfterFunc(ctx, func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
		close(ch)
	})
	return ch
}

// Publish sends events to every subscriber, dropping what a full one
// cannot take.
func (f *Feed) Publish(events []chain.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		for _, e := range events {
			select {
			case ch <- e:
			default:
			}
		}
	}
}
