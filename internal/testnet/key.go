package testnet

import (
	"crypto/ecdsa"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
)

// Key is a throwaway account key made for one test. It signs transaction
// digests as account.Signer does (r ‖ s ‖ v, v = 27 or 28), so it is a
// client.Signer; it prints as its address.
type Key struct {
	priv *ecdsa.PrivateKey
	addr cove.Address
}

// NewKey makes a fresh random key.
func NewKey(t testing.TB) *Key {
	t.Helper()
	priv, err := crypto.GenerateKey()
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return &Key{priv: priv, addr: cove.Address(crypto.PubkeyToAddress(priv.PublicKey))}
}

// Address returns the key's address.
func (k *Key) Address() cove.Address { return k.addr }

// Sign signs a 32-byte digest.
func (k *Key) Sign(digest cove.Hash) ([65]byte, error) {
	sig, err := crypto.Sign(digest[:], k.priv)
	if err != nil {
		return [65]byte{}, fmt.Errorf("sign: %w", err)
	}
	var out [65]byte
	copy(out[:], sig)
	out[64] += 27
	return out, nil
}

// String returns the key's address, never the key.
func (k *Key) String() string { return "key " + k.addr.String() }
