// Package backoff retries a background attempt until it is done: soon while
// it is merely not ready yet (the chain has made no block), and backing off
// exponentially while it fails, since what refuses it (governance, a
// nonce another sender took) may change at any time.
package backoff

import (
	"context"
	"time"
)

// Retry calls attempt until it reports done or ctx ends. After an attempt
// that is neither done nor failed it waits first; after a failure it calls
// onErr with the error and the wait, and waits, the wait doubling with each
// failure up to max.
func Retry(ctx context.Context, first, max time.Duration, attempt func() (done bool, err error), onErr func(err error, wait time.Duration)) {
	wait := first
	for {
		done, err := attempt()
		if done || ctx.Err() != nil {
			return
		}
		if err != nil && onErr != nil {
			onErr(err, wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err != nil {
			wait = min(2*wait, max)
		}
	}
}
