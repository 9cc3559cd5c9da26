package client

import (
	"math/big"
	"testing"

	"github.com/cove-network/cove"
)

// TestPayerWordsContinue: a Payer keeps paying with its commitment only
// when the channel stands at one of its words (or at its base, before
// the first) with a word left and the price unchanged; otherwise it
// commits anew (ADR 26).
func TestPayerWordsContinue(t *testing.T) {
	hc := cove.HashChain{Base: big.NewInt(100), Unit: big.NewInt(10), Count: 5, Nonce: 3}
	for _, tc := range []struct {
		name          string
		amount, price int64
		nonce, k      uint64
		ok            bool
	}{
		{"before its first word", 100, 10, 2, 0, true},
		{"at its third word", 130, 10, 3, 3, true},
		{"used up", 150, 10, 3, 0, false},
		{"between words", 135, 10, 3, 0, false},
		{"a later voucher", 130, 10, 4, 0, false},
		{"the price changed", 130, 11, 3, 0, false},
		{"below its base", 90, 10, 2, 0, false},
		{"moved past its base with another payment", 110, 10, 2, 0, false},
	} {
		w := &payerWords{hc: hc, k: 99}
		ok := w.continues(big.NewInt(tc.amount), tc.nonce, big.NewInt(tc.price))
		if ok != tc.ok || ok && w.k != tc.k {
			t.Errorf("%s: continues %v at word %d, want %v at %d", tc.name, ok, w.k, tc.ok, tc.k)
		}
	}
}
