package cove

import "encoding/binary"

// Receipt is what an agent's attestor vouches for about one call: which
// agent and code answered which request with which response. Package
// receipt signs, encodes and verifies it; docs/PROTOCOL.md fixes the
// format.
type Receipt struct {
	// Agent is the id of the agent that answered.
	Agent AgentID `json:"agent"`
	// CodeHash is the SHA-256 of the deployed bundle that ran.
	CodeHash Hash `json:"codeHash"`
	// RequestHash is [RequestHash] of the request as the gateway received it.
	RequestHash Hash `json:"requestHash"`
	// Status is the HTTP status of the response.
	Status uint16 `json:"status"`
	// ResponseHash is the SHA-256 of the response body.
	ResponseHash Hash `json:"responseHash"`
	// Timestamp is when the response was made, in Unix seconds.
	Timestamp uint64 `json:"timestamp"`
}

// SignedReceipt is a receipt with the attestor's signature over its
// Digest and the address that signed it.
type SignedReceipt struct {
	Receipt   Receipt
	Signature [65]byte // r ‖ s ‖ v, v = 27 or 28
	Signer    Address
}

// RequestHash returns SHA-256(method ‖ "\n" ‖ pathWithRawQuery ‖ "\n" ‖ body),
// where pathWithRawQuery is the path and raw query exactly as the gateway
// received them (for example "/agents/0x…/hello?name=a%20b").
func RequestHash(method, pathWithRawQuery string, body []byte) Hash {
	b := make([]byte, 0, len(method)+len(pathWithRawQuery)+2+len(body))
	b = append(b, method...)
	b = append(b, '\n')
	b = append(b, pathWithRawQuery...)
	b = append(b, '\n')
	b = append(b, body...)
	return SHA256(b)
}

// EIP-712 type strings of receipts and their precomputed hashes.
const (
	receiptDomainType = "EIP712Domain(string name,string version)"
	// ReceiptType is the EIP-712 type of a receipt.
	ReceiptType = "Receipt(bytes32 agent,bytes32 codeHash,bytes32 requestHash,uint16 status,bytes32 responseHash,uint64 timestamp)"
)

var (
	receiptTypeHash = Keccak256([]byte(ReceiptType))
	// receiptDomain is hashStruct(EIP712Domain{name: "Cove", version: "1"}).
	receiptDomain = func() Hash {
		t, n, v := Keccak256([]byte(receiptDomainType)), Keccak256([]byte("Cove")), Keccak256([]byte("1"))
		return Keccak256(t[:], n[:], v[:])
	}()
)

// Digest returns the EIP-712 digest of r with the domain {name: "Cove",
// version: "1"} (no chainId, no verifyingContract):
// keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(r)), with
// hashStruct(r) = keccak256(typeHash ‖ agent ‖ codeHash ‖ requestHash ‖
// uint256(status) ‖ responseHash ‖ uint256(timestamp)).
func (r Receipt) Digest() Hash {
	structHash := Keccak256(
		receiptTypeHash[:],
		r.Agent[:],
		r.CodeHash[:],
		r.RequestHash[:],
		word(uint64(r.Status)),
		r.ResponseHash[:],
		word(r.Timestamp),
	)
	return Keccak256([]byte("\x19\x01"), receiptDomain[:], structHash[:])
}

// word encodes v as a 32-byte big-endian ABI word.
func word(v uint64) []byte {
	var w [32]byte
	binary.BigEndian.PutUint64(w[24:], v)
	return w[:]
}
