//go:build !cgo || cove_purego || !(linux || darwin) || !(amd64 || arm64)

package sandbox

import (
	"testing"
	"time"
)

// TestModerncTimeout: no time left is a timeout already past, never 0,
// which modernc takes as no timeout (TestEngineDeadlinePast cannot hit an
// exact 0 between enter's check and the timeout's reading).
func TestModerncTimeout(t *testing.T) {
	for _, c := range []struct{ left, want time.Duration }{
		{time.Second, time.Second},
		{1, 1},
		{0, -1},
		{-time.Second, -1},
	} {
		if got := moderncTimeout(c.left); got != c.want {
			t.Errorf("moderncTimeout(%v) = %v, want %v", c.left, got, c.want)
		}
	}
}
