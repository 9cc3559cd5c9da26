// Package testport hands tests loopback addresses for servers that must be
// configured with a fixed address before they start (CometBFT's P2P and
// RPC listeners). Ports come from 27000-31999, below Linux's ephemeral
// range (32768-60999), so no ":0" listener of another test can be given the
// same port between the check here and the server's own listen; the range
// is disjoint from that of Consecutive (10000-25999), which networks use.
package testport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"testing"
)

const (
	first = 27000
	count = 5000
)

// next walks the range from a random start, so concurrent test processes
// rarely probe the same ports.
var next atomic.Uint32

func init() { next.Store(rand.Uint32N(count)) }

// Addr returns "127.0.0.1:PORT" for a port that was free when checked.
func Addr(t testing.TB) string {
	t.Helper()
	for range count {
		p := first + int(next.Add(1)%count)
		a := fmt.Sprintf("127.0.0.1:%d", p)
		ln, err := net.Listen("tcp", a)
		if err != nil {
			continue
		}
		ln.Close()
		return a
	}
	t.Fatal("testport: no free port in 27000-31999")
	return ""
}

// Consecutive ranges: 10000-25999, disjoint from Addr's.
const (
	consecutiveFirst = 10000
	consecutiveEnd   = 26000
)

// Consecutive returns the first of n consecutive ports that were all free
// on 127.0.0.1 when checked, in 10000-25999 (below the ephemeral range and
// Addr's), for a node or a network whose ports are written into its
// configuration before it starts.
func Consecutive(n int) (int, error) {
	for range 100 {
		base := consecutiveFirst + rand.IntN(consecutiveEnd-consecutiveFirst-n)
		if free(base, n) {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no %d consecutive free ports on 127.0.0.1 between %d and %d", n, consecutiveFirst, consecutiveEnd-1)
}

// free reports whether ports base to base+n-1 can all be listened on.
func free(base, n int) bool {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for p := base; p < base+n; p++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		lns = append(lns, ln)
	}
	return true
}
