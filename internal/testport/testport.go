// Package testport hands tests loopback addresses for servers that must be
// configured with a fixed address before they start (CometBFT's P2P and
// RPC listeners). Ports come from 27000-31999, below Linux's ephemeral
// range (32768-60999), so no ":0" listener of another test can be given the
// same port between the check here and the server's own listen; the range
// is disjoint from internal/testnet's.
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
