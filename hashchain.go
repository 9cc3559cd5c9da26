package cove

import (
	"crypto/sha256"
	"math/big"
)

// Hash-chain payments (ADR 26, docs/PROTOCOL.md "Paid calls"): the payer
// of a channel signs one HashChain commitment, and each call then carries
// the next word of a hash chain instead of a signature of its own. The
// payer draws a random seed w_count and computes w_{i-1} = SHA-256(w_i)
// down to the root w_0; showing w_k (k ≥ 1) proves the payer owes
// Base + k·Unit, because only the payer knows the words before they are
// shown. The channel's one verifier (ADR 25) checks a word with one hash
// against the word before it; the chain's RedeemHashChain checks it with
// k hashes back to the root.

// HashChainType is the EIP-712 type of a hash-chain commitment.
const HashChainType = "CoveHashChain(uint64 channel,bytes32 agent,uint256 base,uint256 unit,uint64 count,bytes32 root,uint64 nonce)"

// MaxHashChainCount bounds a commitment's words: redeeming word k costs
// the chain k hashes (~1.5 ms for 10,000 here).
const MaxHashChainCount = 10_000

var hashChainTypeHash = Keccak256([]byte(HashChainType))

// HashChain is a hash-chain commitment: the EIP-712 message
// CoveHashChain{channel, agent, base, unit, count, root, nonce} in the
// chain's domain, by which the channel's payer owes its agent Base +
// k·Unit in all once the word w_k of the chain whose root is Root is
// shown, for 1 ≤ k ≤ Count.
type HashChain struct {
	ChainID uint64
	Channel uint64
	Agent   AgentID
	// Base is what the channel owed when the commitment began; Unit what
	// each word adds (the agent's price).
	Base, Unit *big.Int
	Count      uint64
	Root       Hash
	// Nonce is in the channel's voucher nonces: above every earlier
	// voucher's or commitment's.
	Nonce uint64
}

// Digest returns the EIP-712 digest the channel's payer signs:
// keccak256("\x19\x01" ‖ ChainDomain(chainId) ‖ keccak256(typeHash ‖
// uint256(channel) ‖ agent ‖ uint256(base) ‖ uint256(unit) ‖
// uint256(count) ‖ root ‖ uint256(nonce))).
func (c HashChain) Digest() Hash {
	var base, unit [32]byte
	if c.Base != nil {
		c.Base.FillBytes(base[:]) // panics past 2^256: callers check
	}
	if c.Unit != nil {
		c.Unit.FillBytes(unit[:])
	}
	domain := ChainDomain(c.ChainID)
	st := Keccak256(hashChainTypeHash[:], word(c.Channel), c.Agent[:], base[:], unit[:], word(c.Count), c.Root[:], word(c.Nonce))
	return Keccak256([]byte("\x19\x01"), domain[:], st[:])
}

// Amount returns what word k says the payer owes: Base + k·Unit.
func (c HashChain) Amount(k uint64) *big.Int {
	a := new(big.Int).SetUint64(k)
	a.Mul(a, c.Unit)
	return a.Add(a, c.Base)
}

// HashBack returns the word steps words before w: SHA-256 applied steps
// times. w_k hashed back k steps is the root.
func HashBack(w Hash, steps uint64) Hash {
	for range steps {
		w = sha256.Sum256(w[:])
	}
	return w
}

// NewHashChain returns the root and the words w_1..w_count of the hash
// chain of seed (words[k-1] is w_k): what a payer keeps to pay count
// calls.
func NewHashChain(seed Hash, count uint64) (root Hash, words []Hash) {
	words = make([]Hash, count)
	w := seed
	for k := count; k >= 1; k-- {
		words[k-1] = w
		w = sha256.Sum256(w[:])
	}
	return w, words
}
