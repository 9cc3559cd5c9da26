package cove

import "math/big"

// VoucherType is the EIP-712 type of a payment voucher (the Cove-Payment
// header of a paid call, docs/PROTOCOL.md "Paid calls"): the payer of
// payment channel channel owes its agent amount base units in all, for
// every call up to the one that carries voucher nonce. The chain's Redeem
// takes the same voucher.
const VoucherType = "CovePayment(uint64 channel,bytes32 agent,uint256 amount,uint64 nonce)"

var (
	voucherTypeHash = Keccak256([]byte(VoucherType))
	chainDomainType = Keccak256([]byte("EIP712Domain(string name,string version,uint256 chainId)"))
	coveName        = Keccak256([]byte("Cove"))
	coveVersion1    = Keccak256([]byte("1"))
)

// ChainDomain returns hashStruct(EIP712Domain{name: "Cove", version: "1",
// chainId}): the domain of chain transactions, Cove-Auth headers and
// vouchers on the chain chainID.
func ChainDomain(chainID uint64) Hash {
	return Keccak256(chainDomainType[:], coveName[:], coveVersion1[:], word(chainID))
}

// Voucher is one payment voucher: the EIP-712 message CovePayment{channel,
// agent, amount, nonce} in the chain's domain. Amount is cumulative: a
// voucher replaces every earlier one of its channel, and the agent's
// owner redeems only the highest.
type Voucher struct {
	ChainID uint64
	Channel uint64
	Agent   AgentID
	// Amount is the total owed, 0 ≤ Amount < 2^256.
	Amount *big.Int
	// Nonce grows by at least one with each voucher of the channel.
	Nonce uint64
}

// Digest returns the EIP-712 digest the channel's payer signs:
// keccak256("\x19\x01" ‖ ChainDomain(chainId) ‖ keccak256(typeHash ‖
// uint256(channel) ‖ agent ‖ uint256(amount) ‖ uint256(nonce))).
func (v Voucher) Digest() Hash {
	var amount [32]byte
	if v.Amount != nil {
		v.Amount.FillBytes(amount[:]) // panics past 2^256: callers check
	}
	domain := ChainDomain(v.ChainID)
	st := Keccak256(voucherTypeHash[:], word(v.Channel), v.Agent[:], amount[:], word(v.Nonce))
	return Keccak256([]byte("\x19\x01"), domain[:], st[:])
}
