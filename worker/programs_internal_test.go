package worker

import (
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/worker/sandbox"
)

// TestProgramCache: programs are kept within the byte budget, the least
// recently used dropped first; a look-up makes a program recent; one
// larger than the budget is kept alone.
func TestProgramCache(t *testing.T) {
	e, err := NewSandbox(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	prog := func(src string) *sandbox.Program {
		p, err := e.Compile([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := prog(`var __cove_agent = { default: { fetch() { return new Response("a"); } } };`)
	size := a.Size()
	c := newProgramCache(3 * size) // room for three of this size
	h := func(i byte) cove.Hash { return cove.Hash{i} }
	for i := byte(1); i <= 3; i++ {
		c.put(h(i), a)
	}
	if c.len() != 3 || c.bytes() != 3*size {
		t.Fatalf("three within the budget: %d programs, %d bytes", c.len(), c.bytes())
	}
	c.get(h(1)) // 1 is now the most recent; 2 the least
	c.put(h(4), a)
	if c.get(h(2)) != nil || c.get(h(1)) == nil || c.get(h(3)) == nil || c.get(h(4)) == nil {
		t.Fatal("the least recently used program was not the one dropped")
	}
	big := prog(`var __cove_agent = { default: { fetch() { return new Response("big` + repeat("x", 8*size) + `"); } } };`)
	c.put(h(5), big)
	if c.len() != 1 || c.get(h(5)) == nil {
		t.Fatalf("a program over the budget: %d programs kept", c.len())
	}
}

func repeat(s string, n int) string {
	b := make([]byte, 0, n)
	for len(b) < n {
		b = append(b, s...)
	}
	return string(b)
}
