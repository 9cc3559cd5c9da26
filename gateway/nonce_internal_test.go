package gateway

import (
	"errors"
	"testing"
	"time"

	"github.com/cove-network/cove"
)

// TestNonceQuotaPerSigner: one signer (any agent owner) cannot fill the
// gateway's memory of used Cove-Auth nonces and lock the other owners out
// (issue 15 review): past its quota it alone is refused; the control, a
// second signer in the same state, is accepted; once the first signer's
// headers expire it is accepted again.
func TestNonceQuotaPerSigner(t *testing.T) {
	c := newNonceCache(64 * 20)
	if c.perSigner != 20 {
		t.Fatalf("quota %d, want 20", c.perSigner)
	}
	now := time.Unix(1_800_000_000, 0)
	exp := now.Add(time.Minute)
	greedy, other := cove.Address{1}, cove.Address{2}
	for i := range 20 {
		if err := c.use(greedy, cove.Hash{byte(i)}, exp, now); err != nil {
			t.Fatalf("nonce %d within the quota: %v", i, err)
		}
	}
	if err := c.use(greedy, cove.Hash{99}, exp, now); !errors.Is(err, errSignerBusy) {
		t.Fatalf("past the quota: %v, want errSignerBusy", err)
	}
	if err := c.use(other, cove.Hash{99}, exp, now); err != nil {
		t.Fatalf("control: another signer in the same state: %v", err)
	}
	if err := c.use(greedy, cove.Hash{0}, exp, now); !errors.Is(err, errNonceUsed) {
		t.Fatalf("a used nonce: %v, want errNonceUsed", err)
	}
	later := exp.Add(time.Second)
	if err := c.use(greedy, cove.Hash{99}, later.Add(time.Minute), later); err != nil {
		t.Fatalf("after the first headers expired: %v", err)
	}
	if n := c.bySigner[greedy]; n != 1 {
		t.Fatalf("greedy signer holds %d entries after the sweep, want 1", n)
	}
}
