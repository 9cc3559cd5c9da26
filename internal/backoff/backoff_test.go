package backoff

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRetry: not-ready attempts come at the first interval, failures back
// off doubling up to max, and a done attempt ends it.
func TestRetry(t *testing.T) {
	var waits []time.Duration
	results := []error{nil, errors.New("a"), errors.New("b"), errors.New("c"), errors.New("d")}
	n := 0
	Retry(context.Background(), time.Millisecond, 3*time.Millisecond, func() (bool, error) {
		if n == len(results) {
			return true, nil
		}
		n++
		return false, results[n-1]
	}, func(err error, wait time.Duration) { waits = append(waits, wait) })
	want := []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 3 * time.Millisecond}
	if n != len(results) || len(waits) != len(want) {
		t.Fatalf("%d attempts, waits %v", n, waits)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
}

// TestRetryStops: it returns when ctx ends, during a wait.
func TestRetryStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		Retry(ctx, time.Hour, time.Hour, func() (bool, error) { return false, nil }, nil)
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Retry did not return after cancel")
	}
}
