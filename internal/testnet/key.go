package testnet

import (
	"crypto/ecdsa"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
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
	return ethsig.Sign(k.priv, digest)
}

// String returns the key's address, never the key.
func (k *Key) String() string { return "key " + k.addr.String() }
