package keys

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
	"github.com/ethereum/go-ethereum/crypto"
)

// Agent is the key of one agent within a cluster. Every worker of the
// cluster derives the same Agent, so any of them can sign as the agent.
type Agent struct{ b [32]byte }

// Derive returns 32 bytes that are stable for this agent and path:
// KDF(agent, "derive", path) with path as its UTF-8 bytes. It backs the
// agent's cove.deriveKey(path) in JavaScript.
//
// Security: the result is a secret of the agent (it may seed a wallet); only
// code running as this agent inside a TEE may see it.
func (a Agent) Derive(path string) [32]byte {
	return KDF(a.b[:], labelDerive, []byte(path))
}

// Attestor returns the agent's attestor: the secp256k1 key that signs its
// receipts, signerFrom(agent, "attestor").
func (a Agent) Attestor() *Attestor { return signerFrom(a.b[:], labelAttestor) }

// String returns "REDACTED"; the key is never printed.
func (Agent) String() string { return redacted }

// LogValue implements slog.LogValuer; the key is never logged.
func (Agent) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format implements fmt.Formatter so that no verb prints the key.
func (Agent) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// Signer signs with a secp256k1 key whose Ethereum address is published on
// the chain and pinned by contracts: an agent's attestor ([Agent.Attestor])
// or a key epoch's EVM signer ([Cluster.EpochSigner]). It performs
// signatures and never hands out the private key; the zero Signer cannot
// sign.
type Signer struct {
	priv *ecdsa.PrivateKey
	addr cove.Address
}

// Attestor signs on behalf of one agent; see [Agent.Attestor].
type Attestor = Signer

// signerFrom derives the secp256k1 key of one labelled purpose of key: its
// scalar is KDF(key, label, [counter]) read as a big-endian 256-bit
// integer, where counter is a single byte tried from 0 upwards until the
// scalar lies in [1, n-1] (n the secp256k1 group order). Counter 0 is
// almost always the one used: another is needed with probability about
// 2^-128.
func signerFrom(key []byte, label string) *Signer {
	for counter := 0; counter < 256; counter++ {
		scalar := KDF(key, label, []byte{byte(counter)})
		priv, err := crypto.ToECDSA(scalar[:])
		if err != nil {
			continue // zero or not below n
		}
		return &Signer{priv: priv, addr: cove.Address(crypto.PubkeyToAddress(priv.PublicKey))}
	}
	panic("keys: no valid secp256k1 scalar in 256 tries") // probability ~2^-32768
}

// Address returns the signer's Ethereum address.
func (a *Signer) Address() cove.Address { return a.addr }

// Sign signs a 32-byte digest (an EIP-712 or other prehashed message) and
// returns r ‖ s ‖ v with s in the lower half of the group order and
// v = 27 or 28, as Solidity's ecrecover, ethers and viem expect.
//
// Security: Sign signs whatever digest it is given; callers must only pass
// digests of messages the key means to vouch for (receipts, attestor
// grants), with a domain that cannot be confused with an Ethereum
// transaction.
func (a *Signer) Sign(digest cove.Hash) ([65]byte, error) {
	if a == nil || a.priv == nil {
		return [65]byte{}, errors.New("sign: signer has no key")
	}
	return ethsig.Sign(a.priv, digest)
}

// String returns "REDACTED"; the key is never printed.
func (Signer) String() string { return redacted }

// LogValue implements slog.LogValuer; the key is never logged.
func (Signer) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format implements fmt.Formatter so that no verb prints the key.
func (Signer) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }
