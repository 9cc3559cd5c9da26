// Package receipt makes and checks the signed receipt that comes with every
// agent response, so that a caller, a contract or `cove verify` can tell which
// agent code answered which request with which response.
//
// A receipt travels in three HTTP headers:
//
//	Cove-Receipt:   base64url (no padding) of the receipt JSON
//	Cove-Signature: 0x + 65 bytes r ‖ s ‖ v (v = 27 or 28) over Receipt.Digest
//	Cove-Signer:    the agent's attestor address, EIP-55 checksummed
//
// The digest is EIP-712 with the domain {name: "Cove", version: "1"} (no
// chainId, no verifyingContract) and the type
//
//	Receipt(bytes32 agent,bytes32 codeHash,bytes32 requestHash,uint16 status,bytes32 responseHash,uint64 timestamp)
//
// so ethers' and viem's verifyTypedData and Solidity's ecrecover all accept
// it (testdata/js checks the first two).
package receipt

import (
	"encoding/binary"

	"github.com/cove-network/cove"
)

// Receipt is what an agent's attestor vouches for about one call.
type Receipt struct {
	// Agent is the id of the agent that answered.
	Agent cove.AgentID `json:"agent"`
	// CodeHash is the SHA-256 of the deployed bundle that ran.
	CodeHash cove.Hash `json:"codeHash"`
	// RequestHash is [RequestHash] of the request as the gateway received it.
	RequestHash cove.Hash `json:"requestHash"`
	// Status is the HTTP status of the response.
	Status uint16 `json:"status"`
	// ResponseHash is the SHA-256 of the response body.
	ResponseHash cove.Hash `json:"responseHash"`
	// Timestamp is when the response was made, in Unix seconds.
	Timestamp uint64 `json:"timestamp"`
}

// RequestHash returns SHA-256(method ‖ "\n" ‖ pathWithRawQuery ‖ "\n" ‖ body),
// where pathWithRawQuery is the path and raw query exactly as the gateway
// received them (for example "/agents/0x…/hello?name=a%20b").
func RequestHash(method, pathWithRawQuery string, body []byte) cove.Hash {
	b := make([]byte, 0, len(method)+len(pathWithRawQuery)+2+len(body))
	b = append(b, method...)
	b = append(b, '\n')
	b = append(b, pathWithRawQuery...)
	b = append(b, '\n')
	b = append(b, body...)
	return cove.SHA256(b)
}

// EIP-712 type strings and their precomputed hashes.
const (
	domainType  = "EIP712Domain(string name,string version)"
	receiptType = "Receipt(bytes32 agent,bytes32 codeHash,bytes32 requestHash,uint16 status,bytes32 responseHash,uint64 timestamp)"
	domainName  = "Cove"
	domainVer   = "1"
)

var (
	receiptTypeHash = cove.Keccak256([]byte(receiptType))
	// domainSeparator is hashStruct(EIP712Domain{name: "Cove", version: "1"}).
	domainSeparator = cove.Keccak256(
		hashBytes(cove.Keccak256([]byte(domainType))),
		hashBytes(cove.Keccak256([]byte(domainName))),
		hashBytes(cove.Keccak256([]byte(domainVer))),
	)
)

func hashBytes(h cove.Hash) []byte { return h[:] }

// uint256 encodes v as a 32-byte big-endian ABI word.
func uint256(v uint64) []byte {
	var w [32]byte
	binary.BigEndian.PutUint64(w[24:], v)
	return w[:]
}

// Digest returns the EIP-712 digest of r:
// keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(r)), with
// hashStruct(r) = keccak256(typeHash ‖ agent ‖ codeHash ‖ requestHash ‖
// uint256(status) ‖ responseHash ‖ uint256(timestamp)).
func (r Receipt) Digest() cove.Hash {
	structHash := cove.Keccak256(
		receiptTypeHash[:],
		r.Agent[:],
		r.CodeHash[:],
		r.RequestHash[:],
		uint256(uint64(r.Status)),
		r.ResponseHash[:],
		uint256(r.Timestamp),
	)
	return cove.Keccak256([]byte("\x19\x01"), domainSeparator[:], structHash[:])
}
