package cove

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"strings"
)

// Receipt versions. Version 1 covers the request (method, target, body),
// the status and the response body; version 2 adds HeadersHash, over the
// request's Host and the response headers in ReceiptHeaders. Workers sign
// version 2; version 1 receipts still verify. See docs/PROTOCOL.md and
// docs/adr/0013-receipt-v2-headers.md.
const (
	ReceiptV1 = 1
	ReceiptV2 = 2
)

// Receipt is what an agent's attestor vouches for about one call: which
// agent and code answered which request with which response. Package
// receipt signs, encodes and verifies it; docs/PROTOCOL.md fixes the
// format.
type Receipt struct {
	// Version is ReceiptV1 or ReceiptV2; 0 (the zero value, and what a
	// version-1 receipt JSON decodes to) means version 1. It picks the
	// EIP-712 domain version and type the receipt is signed under.
	Version uint8 `json:"version,omitempty"`
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
	// Timestamp is when the response was made, in Unix seconds, by the
	// clock of the worker's host. It is not attested: a TEE (TDX included)
	// has no trusted time, so the host's operator can set it to anything.
	// Take it as the worker's claim, never as proof of when a call ran.
	Timestamp uint64 `json:"timestamp"`
	// HeadersHash (version 2 only; zero in version 1) is [HeadersHash] of
	// the request's Host and the response headers that a version-2 receipt
	// covers.
	HeadersHash Hash `json:"headersHash"`
}

// V returns the receipt's version: 1 or 2 (0 counts as 1).
func (r Receipt) V() uint8 {
	if r.Version == 0 {
		return ReceiptV1
	}
	return r.Version
}

// CoversHeaders reports whether the receipt covers the request's Host and
// the response headers (version 2). A version-1 receipt says nothing about
// them: a gateway or proxy may have changed Content-Type or Location.
func (r Receipt) CoversHeaders() bool { return r.V() >= ReceiptV2 }

// SignedReceipt is a receipt with the attestor's signature over its
// Digest and the address that signed it.
type SignedReceipt struct {
	Receipt   Receipt
	Signature [65]byte // r ‖ s ‖ v, v = 27 or 28
	Signer    Address
}

// receiptV1JSON and receiptV2JSON are the receipt JSON of each version:
// wire formats restating Receipt's fields, so a field added to Receipt
// must be added here (and to the EIP-712 types) in a new version.
type receiptV1JSON struct {
	Agent        AgentID `json:"agent"`
	CodeHash     Hash    `json:"codeHash"`
	RequestHash  Hash    `json:"requestHash"`
	Status       uint16  `json:"status"`
	ResponseHash Hash    `json:"responseHash"`
	Timestamp    uint64  `json:"timestamp"`
}

type receiptV2JSON struct {
	Version uint8 `json:"version"`
	receiptV1JSON
	HeadersHash Hash `json:"headersHash"`
}

// MarshalJSON writes the receipt JSON of r's version: version 1 as the six
// fields (no version field, as before version 2 existed), version 2 with
// "version": 2 first and "headersHash" last.
func (r Receipt) MarshalJSON() ([]byte, error) {
	v1 := receiptV1JSON{r.Agent, r.CodeHash, r.RequestHash, r.Status, r.ResponseHash, r.Timestamp}
	if r.V() == ReceiptV1 {
		return json.Marshal(v1)
	}
	return json.Marshal(receiptV2JSON{Version: r.Version, receiptV1JSON: v1, HeadersHash: r.HeadersHash})
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

// ReceiptHeaders are the response headers a version-2 receipt covers, in
// the order HeadersHash encodes them: the ones that change what a body
// means (its type, encoding, language, range, whether it is a download) or
// where a client goes next. Changing the list is a new receipt version.
var ReceiptHeaders = [...]string{
	"Content-Type",
	"Content-Encoding",
	"Content-Disposition",
	"Content-Language",
	"Content-Range",
	"Location",
}

// headersHashLabel starts the HeadersHash encoding.
const headersHashLabel = "cove/receipt-headers/v2"

// receiptHeaderNames are ReceiptHeaders in lower case, as HeadersHash
// encodes them.
var receiptHeaderNames = func() (out [len(ReceiptHeaders)]string) {
	for i, name := range ReceiptHeaders {
		out[i] = strings.ToLower(name)
	}
	return out
}()

// HeadersHash returns the SHA-256 that a version-2 receipt's headersHash
// holds: of the request's Host as the gateway received it and of the
// response header fields in ReceiptHeaders, read from h (keys in canonical
// form, as net/http's). With lp(x) = uint32 BE len(x) ‖ x, it hashes
//
//	lp("cove/receipt-headers/v2") ‖ lp(host) ‖
//	for each name in ReceiptHeaders: lp(lowercase name) ‖ uint32 BE count ‖ lp(value)…
//
// where the values are the field's values in order (count 0: absent), each
// without leading and trailing spaces and tabs (HTTP's optional whitespace,
// which parsers drop).
func HeadersHash(host string, h Header) Hash {
	b := make([]byte, 0, 256)
	lp := func(s string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	lp(headersHashLabel)
	lp(host)
	for i, name := range ReceiptHeaders {
		lp(receiptHeaderNames[i])
		vs := h[name]
		b = binary.BigEndian.AppendUint32(b, uint32(len(vs)))
		for _, v := range vs {
			lp(strings.Trim(v, " \t"))
		}
	}
	return sha256.Sum256(b)
}

// EIP-712 type strings of receipts and their precomputed hashes.
const (
	receiptDomainType = "EIP712Domain(string name,string version)"
	// ReceiptType is the EIP-712 type of a version-1 receipt (domain
	// version "1").
	ReceiptType = "Receipt(bytes32 agent,bytes32 codeHash,bytes32 requestHash,uint16 status,bytes32 responseHash,uint64 timestamp)"
	// ReceiptTypeV2 is the EIP-712 type of a version-2 receipt (domain
	// version "2"): version 1's fields in the same order, then headersHash.
	ReceiptTypeV2 = "Receipt(bytes32 agent,bytes32 codeHash,bytes32 requestHash,uint16 status,bytes32 responseHash,uint64 timestamp,bytes32 headersHash)"
)

var (
	receiptTypeHash   = Keccak256([]byte(ReceiptType))
	receiptTypeHashV2 = Keccak256([]byte(ReceiptTypeV2))
	// receiptDomain and receiptDomainV2 are hashStruct(EIP712Domain{name:
	// "Cove", version: "1"}) and the same with version "2".
	receiptDomain   = receiptDomainHash("1")
	receiptDomainV2 = receiptDomainHash("2")
)

func receiptDomainHash(version string) Hash {
	t, n, v := Keccak256([]byte(receiptDomainType)), Keccak256([]byte("Cove")), Keccak256([]byte(version))
	return Keccak256(t[:], n[:], v[:])
}

// Digest returns the EIP-712 digest of r,
// keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(r)), with the domain
// {name: "Cove", version: "1" or "2"} (r's version; no chainId, no
// verifyingContract) and
//
//	version 1: hashStruct(r) = keccak256(typeHash ‖ agent ‖ codeHash ‖ requestHash ‖
//	           uint256(status) ‖ responseHash ‖ uint256(timestamp)) for ReceiptType;
//	version 2: the same with ReceiptTypeV2's hash and ‖ headersHash appended.
//
// A receipt of any other version has the zero digest, which no signature
// verifies against (package receipt refuses such versions first).
func (r Receipt) Digest() Hash {
	switch r.V() {
	case ReceiptV1:
		structHash := Keccak256(receiptTypeHash[:], r.Agent[:], r.CodeHash[:], r.RequestHash[:],
			word(uint64(r.Status)), r.ResponseHash[:], word(r.Timestamp))
		return Keccak256([]byte("\x19\x01"), receiptDomain[:], structHash[:])
	case ReceiptV2:
		structHash := Keccak256(receiptTypeHashV2[:], r.Agent[:], r.CodeHash[:], r.RequestHash[:],
			word(uint64(r.Status)), r.ResponseHash[:], word(r.Timestamp), r.HeadersHash[:])
		return Keccak256([]byte("\x19\x01"), receiptDomainV2[:], structHash[:])
	}
	return Hash{}
}

// word encodes v as a 32-byte big-endian ABI word.
func word(v uint64) []byte {
	var w [32]byte
	binary.BigEndian.PutUint64(w[24:], v)
	return w[:]
}
