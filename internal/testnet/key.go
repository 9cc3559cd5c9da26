package testnet

import (
	"testing"

	"github.com/cove-network/cove/internal/testchain"
)

// Key is a throwaway account key made for one test (see testchain.Key): a
// client.Signer that prints as its address.
type Key = testchain.Key

// NewKey makes a fresh random key.
func NewKey(t testing.TB) *Key { return testchain.NewKey(t) }
