package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// This file holds what a block carries besides its transactions (the
// proposer, the last commit's votes, evidence of misbehaviour), what it
// can hand back to consensus (validator updates), and the block hooks that
// run around its transactions. Staking will read the first and produce the
// second; nothing in this release writes either to state.

// ValidatorAddress is a validator's consensus address: the first 20 bytes
// of the SHA-256 of its Ed25519 public key (CometBFT's address).
type ValidatorAddress [20]byte

// String returns the address as 0x + 40 lowercase hex digits.
func (a ValidatorAddress) String() string { return "0x" + hex.EncodeToString(a[:]) }

// ValidatorAddressOf returns the address of the validator with the Ed25519
// public key pub.
func ValidatorAddressOf(pub []byte) ValidatorAddress {
	h := sha256.Sum256(pub)
	return ValidatorAddress(h[:20])
}

// Validator is a validator in the genesis: its name, its Ed25519 consensus
// public key (32 bytes) and its voting power.
type Validator struct {
	Name   string
	PubKey Bytes
	Power  int64
}

// Address returns v's consensus address.
func (v Validator) Address() ValidatorAddress { return ValidatorAddressOf(v.PubKey) }

// ValidatorUpdate changes a validator's voting power from the next blocks
// on: a new validator joins, power 0 removes it.
type ValidatorUpdate struct {
	PubKey []byte // Ed25519, 32 bytes
	Power  int64
}

// Vote is one validator's part in the commit of the previous block.
type Vote struct {
	Validator ValidatorAddress
	Power     int64
	// Signed is true when the validator's precommit is in the commit (for
	// the block or for nil), false when it is absent.
	Signed bool
}

// MisbehaviorKind is the kind of a validator's misbehaviour.
type MisbehaviorKind uint8

// Kinds of misbehaviour, as CometBFT reports evidence.
const (
	MisbehaviorUnknown MisbehaviorKind = iota
	// MisbehaviorDuplicateVote: two votes for different blocks at the same
	// height and round.
	MisbehaviorDuplicateVote
	// MisbehaviorLightClientAttack: a signed header that conflicts with the
	// chain, shown to a light client.
	MisbehaviorLightClientAttack
)

func (k MisbehaviorKind) String() string {
	switch k {
	case MisbehaviorUnknown:
		return "unknown"
	case MisbehaviorDuplicateVote:
		return "duplicate vote"
	case MisbehaviorLightClientAttack:
		return "light client attack"
	}
	return fmt.Sprintf("misbehavior %d", uint8(k))
}

// Misbehavior is evidence, committed in the block, that a validator
// misbehaved at an earlier height.
type Misbehavior struct {
	Kind      MisbehaviorKind
	Validator ValidatorAddress
	// Power is the validator's voting power at Height.
	Power  int64
	Height int64
	Time   time.Time
	// TotalVotingPower is the voting power of the whole validator set at
	// Height.
	TotalVotingPower int64
}

// blockHook is work FinalizeBlock does in every block, before or after its
// transactions, on the block's working state. It sees the block through
// ctx.block. It cannot fail: what it checks, it checks deterministically
// and records.
type blockHook struct {
	name string
	run  func(o *overlay, ctx execContext) ([]Event, []ValidatorUpdate)
}

// Block hooks, in the order they run. A hook writes state like a
// transaction does, so a new one is a state change (the app hash of
// every later block depends on it).
var (
	beginBlockHooks = []blockHook{
		{name: "tee policy", run: applyPendingTEEPolicy},
		{name: "heartbeat challenge", run: challengeHook},
	}
	endBlockHooks = []blockHook{
		{name: "block meta", run: writeBlockMeta},
		{name: "validator updates", run: applyValidatorUpdates},
		{name: "unresponsive workers", run: dueHook},
	}
)

// writeBlockMeta records the block's height and time (meta/block).
func writeBlockMeta(o *overlay, ctx execContext) ([]Event, []ValidatorUpdate) {
	putJSON(o, keyBlock, blockMeta{Height: ctx.height, Time: ctx.time})
	return nil, nil
}
