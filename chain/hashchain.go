package chain

import (
	"math/big"
	"strconv"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
)

// Hash-chain payments (ADR 26): a channel's payer signs one commitment
// (cove.HashChain) and pays each call with the next word of its hash
// chain; the agent's owner redeems the highest word the channel's
// verifier accepted with RedeemHashChain, as it redeems a voucher with
// Redeem. Both pay what the signed total adds to the channel's redeemed
// total, so a payer may mix vouchers and commitments: only the highest
// total is ever paid.

// RedeemHashChain pays the agent's owner (the sender) what the word Word,
// the K-th of the hash chain the channel's payer committed to (the
// commitment {Channel, the channel's agent, Base, Unit, Count, Root,
// VoucherNonce}, signed by the payer), says is owed, Base + K·Unit, adds
// to the channel's redeemed total.
type RedeemHashChain struct {
	Channel      uint64    `eip712:"channel"`
	Base         *big.Int  `eip712:"base"`
	Unit         *big.Int  `eip712:"unit"`
	Count        uint64    `eip712:"count"`
	Root         cove.Hash `eip712:"root"`
	VoucherNonce uint64    `eip712:"voucherNonce"`
	// Signature is the payer's 65 bytes r ‖ s ‖ v over the commitment's
	// EIP-712 digest (cove.HashChain.Digest).
	Signature Bytes     `eip712:"signature"`
	K         uint64    `eip712:"k"`
	Word      cove.Hash `eip712:"word"`
	MaxFee    *big.Int  `eip712:"maxFee,,optional"`
	Nonce     uint64    `eip712:"nonce"`
}

func (RedeemHashChain) Type() string                    { return "RedeemHashChain" }
func (m RedeemHashChain) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *RedeemHashChain) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (RedeemHashChain) isMsg()                          {}

// Commitment returns the commitment m redeems a word of, on chain
// chainID for channel c.
func (m RedeemHashChain) Commitment(chainID uint64, c ChannelRecord) cove.HashChain {
	return cove.HashChain{ChainID: chainID, Channel: c.ID, Agent: c.Agent, Base: m.Base, Unit: m.Unit, Count: m.Count, Root: m.Root, Nonce: m.VoucherNonce}
}

func execRedeemHashChain(o *overlay, sender cove.Address, m RedeemHashChain, ctx execContext) ([]Event, *failure) {
	c, payee, f := redeemer(o, sender, m.Channel)
	if f != nil {
		return nil, f
	}
	hc := m.Commitment(ctx.chainID, c)
	amount, reason, ok := CheckHashChainWord(c, hc, m.Signature, m.K, m.Word)
	if !ok {
		return nil, fail(CodeUnauthorized, "%s", reason)
	}
	return redeemTo(o, c, payee, amount, m.VoucherNonce)
}

// CheckHashChainCommitment checks hc, a commitment of channel c, and its
// signature as the chain's RedeemHashChain does, the word aside: a count
// from 1 to cove.MaxHashChainCount, amounts (0 to 2^256-1), and the
// signature (65 bytes, v 27 or 28, low s) recovering to c's payer. It
// returns the payer's public key, and the public reason of a refusal.
func CheckHashChainCommitment(c ChannelRecord, hc cove.HashChain, sig []byte) (pub []byte, reason string, ok bool) {
	if hc.Channel != c.ID || hc.Agent != c.Agent {
		return nil, "the commitment is not of channel " + u64s(c.ID), false
	}
	if hc.Count == 0 || hc.Count > cove.MaxHashChainCount {
		return nil, "the commitment's count is " + u64s(hc.Count) + ", want 1 to " + strconv.Itoa(cove.MaxHashChainCount), false
	}
	if hc.Base == nil || checkAmount(hc.Base) != nil || hc.Unit == nil || checkAmount(hc.Unit) != nil {
		return nil, "the commitment's base or unit is not an amount (0 to 2^256-1)", false
	}
	if len(sig) != ethsig.Size {
		return nil, "the commitment's signature is " + strconv.Itoa(len(sig)) + " bytes, want 65 (r ‖ s ‖ v)", false
	}
	if v := sig[64]; v != 27 && v != 28 {
		return nil, "the commitment's v is " + strconv.Itoa(int(v)) + ", want 27 or 28", false
	}
	pub, got, err := ethsig.RecoverPublicKey(hc.Digest(), [ethsig.Size]byte(sig))
	if err != nil {
		return nil, "the commitment's signature: " + ethsig.Reason(err), false
	}
	if got != c.Payer {
		return nil, "the commitment is not signed by channel " + u64s(c.ID) + "'s payer " + c.Payer.String() + " (or it names another agent, channel or chain)", false
	}
	return pub, "", true
}

// CheckHashChainWord checks word, the k-th of the hash chain of hc (a
// commitment of channel c signed sig), as the chain's RedeemHashChain
// does: the commitment (CheckHashChainCommitment), 1 ≤ k ≤ count, the
// total Base + k·Unit within the deposit (CheckVoucherAmount), and the
// word hashing back k times to the root. It returns the total, and the
// public reason of a refusal.
func CheckHashChainWord(c ChannelRecord, hc cove.HashChain, sig []byte, k uint64, word cove.Hash) (amount *big.Int, reason string, ok bool) {
	if _, reason, ok := CheckHashChainCommitment(c, hc, sig); !ok {
		return nil, reason, false
	}
	if amount, reason, ok = CheckHashChainIndex(c, hc, k); !ok {
		return nil, reason, false
	}
	if cove.HashBack(word, k) != hc.Root {
		return nil, "word " + u64s(k) + " does not hash back to the commitment's root: it is not the payer's", false
	}
	return amount, "", true
}

// CheckHashChainIndex checks that word k of hc is one (1 ≤ k ≤ count)
// whose total, Base + k·Unit, is within c's deposit, and returns it.
func CheckHashChainIndex(c ChannelRecord, hc cove.HashChain, k uint64) (amount *big.Int, reason string, ok bool) {
	if k == 0 || k > hc.Count {
		return nil, "word " + u64s(k) + " is not of the commitment: want 1 to its count " + u64s(hc.Count), false
	}
	amount = hc.Amount(k)
	if reason, ok := CheckVoucherAmount(c, amount); !ok {
		return nil, reason, false
	}
	return amount, "", true
}
