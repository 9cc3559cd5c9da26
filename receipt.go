package cove

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
)

// Receipt versions. Version 1 covers the request (method, target, body),
// the status and the response body; version 2 adds HeadersHash, over the
// request's Host and the response headers in ReceiptHeaders. Version 3
// covers what version 2 does, signed in a batch: one signature over the
// Merkle root of several responses' receipts, each receipt carrying its
// Merkle proof. Workers sign version 2 for a response signed alone and
// version 3 under load; version 1 receipts still verify. See
// docs/PROTOCOL.md, docs/adr/0013-receipt-v2-headers.md and
// docs/adr/0018-batched-receipts.md.
const (
	ReceiptV1 = 1
	ReceiptV2 = 2
	ReceiptV3 = 3
)

// MaxReceiptProof bounds a version-3 receipt's Merkle proof: 8 levels, a
// batch of at most 256 responses. Verifiers (package receipt, the EVM
// anchor) refuse longer proofs, so a receipt's size and the gas to check it
// stay bounded.
const MaxReceiptProof = 8

// Receipt is what an agent's attestor vouches for about one call: which
// agent and code answered which request with which response. Package
// receipt signs, encodes and verifies it; docs/PROTOCOL.md fixes the
// format.
type Receipt struct {
	// Version is ReceiptV1, ReceiptV2 or ReceiptV3; 0 (the zero value, and what a
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
	// HeadersHash (versions 2 and 3; zero in version 1) is [HeadersHash]
	// of the request's Host and the response headers that the receipt
	// covers.
	HeadersHash Hash `json:"headersHash"`
	// Salt (version 3 only) is 32 random bytes mixed into this receipt's
	// leaf ([Receipt.Leaf]), so that the leaf, which the proofs of the
	// other receipts of its batch carry, reveals nothing a batch-mate
	// could confirm a guess of this call's request or response with.
	Salt Hash `json:"salt"`
	// Proof (version 3 only) is the Merkle proof from this receipt's leaf
	// to the root of its batch, which the signature covers: the sibling
	// hashes from the leaf up ([Receipt.BatchRoot]).
	Proof []Hash `json:"proof,omitempty"`
}

// V returns the receipt's version: 1, 2 or 3 (0 counts as 1).
func (r Receipt) V() uint8 {
	if r.Version == 0 {
		return ReceiptV1
	}
	return r.Version
}

// CoversHeaders reports whether the receipt covers the request's Host and
// the response headers (versions 2 and 3). A version-1 receipt says
// nothing about them: a gateway or proxy may have changed Content-Type or
// Location.
func (r Receipt) CoversHeaders() bool { return r.V() >= ReceiptV2 }

// SignedReceipt is a receipt with the attestor's signature over its
// Digest and the address that signed it.
type SignedReceipt struct {
	Receipt   Receipt
	Signature [65]byte // r ‖ s ‖ v, v = 27 or 28
	Signer    Address
}

// MarshalJSON writes the receipt JSON of r's version (AppendJSON).
func (r Receipt) MarshalJSON() ([]byte, error) {
	return r.AppendJSON(make([]byte, 0, 640)), nil
}

// AppendJSON appends the receipt JSON of r's version to b, compact, fields
// in this order: version 1 as the six fields (no version field, as before
// version 2 existed), {"agent","codeHash","requestHash","status",
// "responseHash","timestamp"}; version 2 with "version" first and
// "headersHash" last; version 3 as version 2, then "salt" and "proof" (an
// array of hashes, [] when empty). Hashes are "0x" + 64 lowercase hex
// digits, numbers decimal: the bytes encoding/json writes for the same
// fields (a test holds it to that), made without reflection, since every
// response's receipt header is one.
func (r Receipt) AppendJSON(b []byte) []byte {
	hash := func(b []byte, name string, h Hash) []byte {
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":"0x`...)
		b = hex.AppendEncode(b, h[:])
		return append(b, `",`...)
	}
	v := r.V()
	b = append(b, '{')
	if v >= ReceiptV2 {
		b = append(b, `"version":`...)
		b = strconv.AppendUint(b, uint64(r.Version), 10)
		b = append(b, ',')
	}
	b = hash(b, "agent", Hash(r.Agent))
	b = hash(b, "codeHash", r.CodeHash)
	b = hash(b, "requestHash", r.RequestHash)
	b = append(b, `"status":`...)
	b = strconv.AppendUint(b, uint64(r.Status), 10)
	b = append(b, ',')
	b = hash(b, "responseHash", r.ResponseHash)
	b = append(b, `"timestamp":`...)
	b = strconv.AppendUint(b, r.Timestamp, 10)
	if v >= ReceiptV2 {
		b = append(b, ',')
		b = hash(b, "headersHash", r.HeadersHash)
		b = b[:len(b)-1] // the comma
	}
	if v == ReceiptV3 {
		b = append(b, ',')
		b = hash(b, "salt", r.Salt)
		b = append(b, `"proof":[`...)
		for i, h := range r.Proof {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `"0x`...)
			b = hex.AppendEncode(b, h[:])
			b = append(b, '"')
		}
		b = append(b, ']')
	}
	return append(b, '}')
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
	// ReceiptLeafType is the EIP-712 type of a version-3 receipt's leaf:
	// its version-2 receipt and its salt (EIP-712 appends the referenced
	// Receipt type).
	ReceiptLeafType = "ReceiptLeaf(Receipt receipt,bytes32 salt)" + ReceiptTypeV2
	// ReceiptBatchType is the EIP-712 type a version-3 receipt's
	// signature is over (domain version "3"): the Merkle root of a batch
	// of receipts' leaves.
	ReceiptBatchType = "ReceiptBatch(bytes32 root)"
)

var (
	receiptTypeHash   = Keccak256([]byte(ReceiptType))
	receiptTypeHashV2 = Keccak256([]byte(ReceiptTypeV2))
	receiptLeafHash   = Keccak256([]byte(ReceiptLeafType))
	receiptBatchHash  = Keccak256([]byte(ReceiptBatchType))
	// receiptDomain, receiptDomainV2 and receiptDomainV3 are
	// hashStruct(EIP712Domain{name: "Cove", version: "1"}) and the same
	// with versions "2" and "3".
	receiptDomain   = receiptDomainHash("1")
	receiptDomainV2 = receiptDomainHash("2")
	receiptDomainV3 = receiptDomainHash("3")
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
//	version 2: the same with ReceiptTypeV2's hash and ‖ headersHash appended
//	           ([Receipt.StructHashV2]);
//	version 3: hashStruct(ReceiptBatch{root: r.BatchRoot()}) =
//	           keccak256(keccak256(ReceiptBatchType) ‖ root), domain version "3".
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
		sh := r.StructHashV2()
		return Keccak256([]byte("\x19\x01"), receiptDomainV2[:], sh[:])
	case ReceiptV3:
		return ReceiptBatchDigest(r.BatchRoot())
	}
	return Hash{}
}

// StructHashV2 returns r's version-2 EIP-712 struct hash, whatever
// r.Version says: keccak256(keccak256(ReceiptTypeV2) ‖ agent ‖ codeHash ‖
// requestHash ‖ uint256(status) ‖ responseHash ‖ uint256(timestamp) ‖
// headersHash). It is what a version-2 signature covers (under domain
// version "2").
func (r Receipt) StructHashV2() Hash {
	return Keccak256(receiptTypeHashV2[:], r.Agent[:], r.CodeHash[:], r.RequestHash[:],
		word(uint64(r.Status)), r.ResponseHash[:], word(r.Timestamp), r.HeadersHash[:])
}

// Leaf returns r's leaf in its batch's Merkle tree (version 3): the
// EIP-712 struct hash of ReceiptLeaf{receipt: r as version 2, salt:
// r.Salt}, keccak256(keccak256(ReceiptLeafType) ‖ r.StructHashV2() ‖
// salt).
func (r Receipt) Leaf() Hash {
	sh := r.StructHashV2()
	return Keccak256(receiptLeafHash[:], sh[:], r.Salt[:])
}

// BatchRoot returns the root that r's Merkle proof leads to from r's leaf:
// starting from h = r.Leaf(), h = MerkleParent(h, sibling) for each hash of
// r.Proof in order. With an empty proof it is the leaf itself.
func (r Receipt) BatchRoot() Hash {
	h := r.Leaf()
	for _, sib := range r.Proof {
		h = MerkleParent(h, sib)
	}
	return h
}

// MerkleParent returns the parent of two nodes of a receipt batch's Merkle
// tree: keccak256 of the two hashes, the smaller (as a big-endian number)
// first. Sorting the pair makes a proof a plain list of siblings, with no
// left/right bits (as OpenZeppelin's MerkleProof); a node's preimage is 64
// bytes and a leaf's 96, so no node can pass as a leaf.
func MerkleParent(a, b Hash) Hash {
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	return Keccak256(a[:], b[:])
}

// ReceiptBatchDigest returns the EIP-712 digest a version-3 signature is
// over: keccak256("\x19\x01" ‖ domain{name: "Cove", version: "3"} ‖
// keccak256(keccak256(ReceiptBatchType) ‖ root)).
func ReceiptBatchDigest(root Hash) Hash {
	structHash := Keccak256(receiptBatchHash[:], root[:])
	return Keccak256([]byte("\x19\x01"), receiptDomainV3[:], structHash[:])
}

// ReceiptMerkleTree returns the root of the Merkle tree over leaves and
// each leaf's proof, for a version-3 batch: the leaves are paired in
// order, level by level, each pair replaced by its MerkleParent; a node
// left without a pair (an odd count) goes up to the next level unchanged.
// One leaf is its own root with an empty proof. leaves must not be empty.
func ReceiptMerkleTree(leaves []Hash) (root Hash, proofs [][]Hash) {
	n := len(leaves)
	depth := 0
	for m := n; m > 1; m = (m + 1) / 2 {
		depth++
	}
	// Leaf i's node is i>>k on level k: a pair (2j, 2j+1) and a node left
	// without a pair (the last, at an even index) both go up to j. Its
	// proof takes its node's sibling on each level that has one. The
	// proofs share one array, each at most depth long.
	proofs = make([][]Hash, n)
	var spare []Hash
	if depth > 0 {
		spare = make([]Hash, n*depth)
	}
	level := append([]Hash(nil), leaves...)
	for k := 0; len(level) > 1; k++ {
		for i := range n {
			if sib := (i >> k) ^ 1; sib < len(level) {
				if proofs[i] == nil {
					proofs[i] = spare[i*depth : i*depth : (i+1)*depth]
				}
				proofs[i] = append(proofs[i], level[sib])
			}
		}
		// The next level, in place: node j is written after nodes 2j and
		// 2j+1 are read.
		next := level[:(len(level)+1)/2]
		for j := range next {
			if 2*j+1 == len(level) {
				next[j] = level[2*j]
			} else {
				next[j] = MerkleParent(level[2*j], level[2*j+1])
			}
		}
		level = next
	}
	return level[0], proofs
}

// word encodes v as a 32-byte big-endian ABI word.
func word(v uint64) []byte {
	var w [32]byte
	binary.BigEndian.PutUint64(w[24:], v)
	return w[:]
}
