package cove

import (
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestAddressString holds Address.String to EIP-55: the specification's
// own examples, and go-ethereum's checksum of random addresses (every
// nibble pattern of the hash is met), MarshalText included, each written
// twice (the second from the cache) and more of them than the cache keeps.
func TestAddressString(t *testing.T) {
	for _, want := range []string{
		// EIP-55's test cases: all caps, all lower, mixed.
		"0x52908400098527886E0F7030069857D2E4169EE7",
		"0x8617E340B3D01FA5F11F306F4090FD50E238070D",
		"0xde709f2102306220921060314715629080e2fb77",
		"0x27b1fdb04752bbc536007a920d24acb045561c26",
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
		"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
		"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	} {
		var a Address
		if err := a.UnmarshalText([]byte(want)); err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		if got := a.String(); got != want {
			t.Errorf("String() = %s, want %s", got, want)
		}
	}
	r := rand.New(rand.NewPCG(55, 55))
	for range eip55CacheMax + 1000 {
		var a Address
		for i := range a {
			a[i] = byte(r.Uint32())
		}
		want := common.Address(a).Hex()
		for range 2 {
			if got := a.String(); got != want {
				t.Fatalf("String() = %s, go-ethereum says %s", got, want)
			}
		}
		if b, err := a.MarshalText(); err != nil || string(b) != want {
			t.Fatalf("MarshalText() = %s, %v; want %s", b, err, want)
		}
	}
	if n := eip55Cache.n.Load(); n < 1 || n > eip55CacheMax {
		t.Fatalf("the cache holds %d addresses, at most %d", n, eip55CacheMax)
	}
}
