package account

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
)

// redacted is what a Signer prints instead of its key.
const redacted = "REDACTED"

// Signer signs with one decrypted key from a [Store]. It performs signatures
// and never hands out the private key: String, every fmt verb and slog print
// REDACTED. Get one with [Store.Signer]; the zero Signer cannot sign.
type Signer struct {
	name string
	priv *ecdsa.PrivateKey
	addr cove.Address
}

// Name returns the name of the key in its store.
func (s *Signer) Name() string { return s.name }

// Address returns the key's Ethereum address.
func (s *Signer) Address() cove.Address { return s.addr }

// Sign signs a 32-byte digest and returns r ‖ s ‖ v with s in the lower half
// of the group order and v = 27 or 28, as Solidity's ecrecover, ethers and
// viem expect.
//
// Security: Sign signs whatever digest it is given; callers must only pass
// digests of messages the user means to send, built with a domain that cannot
// be confused with another protocol's (an Ethereum transaction, say).
func (s *Signer) Sign(digest cove.Hash) ([65]byte, error) {
	if s == nil || s.priv == nil {
		return [65]byte{}, errors.New("sign: signer has no key")
	}
	return ethsig.Sign(s.priv, digest)
}

// String returns "REDACTED"; the key is never printed.
func (Signer) String() string { return redacted }

// LogValue implements slog.LogValuer; the key is never logged.
func (Signer) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format implements fmt.Formatter so that no verb prints the key.
func (Signer) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }
