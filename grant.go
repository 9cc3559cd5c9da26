package cove

// AttestorGrantType is the EIP-712 type of an attestor grant: a key epoch's
// EVM signer vouching that attestor signs agent's receipts. CoveAnchor's
// registerAttestor takes it (docs/PROTOCOL.md, "EVM anchor").
const AttestorGrantType = "AttestorGrant(bytes32 agent,address attestor,uint64 epoch)"

var attestorGrantTypeHash = Keccak256([]byte(AttestorGrantType))

// AttestorGrantDigest returns the EIP-712 digest an epoch signer signs to
// grant attestor to agent: keccak256("\x19\x01" ‖ domainSeparator ‖
// keccak256(typeHash ‖ agent ‖ attestor (left-padded to 32 bytes) ‖
// uint256(epoch))) under the receipts' version-1 domain {name: "Cove",
// version: "1"} (no chain id: a grant says the same on every chain).
func AttestorGrantDigest(agent AgentID, attestor Address, epoch uint64) Hash {
	var addr [32]byte
	copy(addr[12:], attestor[:])
	structHash := Keccak256(attestorGrantTypeHash[:], agent[:], addr[:], word(epoch))
	return Keccak256([]byte("\x19\x01"), receiptDomain[:], structHash[:])
}
