package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/pokt-network/smt"

	"github.com/cove-network/cove"
)

// ErrBadProof marks a state proof that does not decode or does not prove
// what it claims against the app hash it is checked with.
var ErrBadProof = errors.New("bad state proof")

// ErrNoProof means the chain cannot prove state yet: no block has been
// committed since the node started (the previous height's tree is not
// kept across a restart). The next block fixes it.
var ErrNoProof = errors.New("no provable height yet: retry after the next block")

// StateProof proves the value of one state key at a height, or that the
// key had none: it is checked against the app hash after block Height,
// which CometBFT puts in the header of block Height+1.
type StateProof struct {
	Height int64
	Key    []byte
	// Value is the key's value, nil if the key was absent.
	Value []byte
	// Proof is the Merkle proof in the encoding of the package comment
	// ("State proofs").
	Proof []byte
}

// Verify checks that p proves p.Key holds p.Value (or, with a nil Value,
// no value) in the state whose app hash is appHash. Its errors match
// ErrBadProof.
//
// Security: appHash must come from a header the caller verified (for
// height p.Height+1), not from whoever sent the proof; Verify only binds
// the key and value to that hash.
func (p StateProof) Verify(appHash []byte) error {
	if len(appHash) != sha256.Size {
		return fmt.Errorf("%w: app hash is %d bytes, want %d", ErrBadProof, len(appHash), sha256.Size)
	}
	if p.Value != nil && len(p.Value) == 0 {
		return fmt.Errorf("%w: key %q: an empty value is never stored", ErrBadProof, p.Key)
	}
	proof, err := decodeProof(p.Proof)
	if err != nil {
		return fmt.Errorf("%w: key %q: %v", ErrBadProof, p.Key, err)
	}
	if p.Value != nil && proof.NonMembershipLeafData != nil {
		return fmt.Errorf("%w: key %q: a proof of a value carries no other leaf", ErrBadProof, p.Key)
	}
	spec := smt.NewTrieSpec(sha256.New(), false)
	ok, err := smt.VerifyProof(proof, appHash, p.Key, p.Value, &spec)
	if err != nil {
		return fmt.Errorf("%w: key %q: %v", ErrBadProof, p.Key, err)
	}
	if !ok {
		what := "its value"
		if p.Value == nil {
			what = "its absence"
		}
		return fmt.Errorf("%w: key %q: the proof of %s does not lead to app hash %x", ErrBadProof, p.Key, what, appHash)
	}
	return nil
}

// Proof encoding (a state format; see the package comment):
//
//	uint16 big-endian n, the number of side nodes (at most 256), leaf first
//	ceil(n/8) bytes of bit mask: bit i (most significant first) set if side
//	    node i is an empty subtree (32 zero bytes), which is not written
//	the other side nodes, 32 bytes each, in order
//	one byte m, 0 or 65, then m bytes: for a proof of absence that ends at
//	    another key's leaf, that leaf (0x00 ‖ path ‖ value hash)
const (
	maxSideNodes = 256
	leafDataLen  = 1 + 32 + 32
)

var emptySubtree = make([]byte, sha256.Size)

func encodeProof(p *smt.SparseMerkleProof) ([]byte, error) {
	n := len(p.SideNodes)
	if n > maxSideNodes {
		return nil, fmt.Errorf("encode proof: %d side nodes", n)
	}
	if p.NonMembershipLeafData != nil && len(p.NonMembershipLeafData) != leafDataLen {
		return nil, fmt.Errorf("encode proof: leaf data is %d bytes", len(p.NonMembershipLeafData))
	}
	out := binary.BigEndian.AppendUint16(nil, uint16(n))
	mask := make([]byte, (n+7)/8)
	var nodes []byte
	for i, sn := range p.SideNodes {
		if len(sn) != sha256.Size {
			return nil, fmt.Errorf("encode proof: side node %d is %d bytes", i, len(sn))
		}
		if bytes.Equal(sn, emptySubtree) {
			mask[i/8] |= 0x80 >> (i % 8)
			continue
		}
		nodes = append(nodes, sn...)
	}
	out = append(out, mask...)
	out = append(out, nodes...)
	out = append(out, byte(len(p.NonMembershipLeafData)))
	return append(out, p.NonMembershipLeafData...), nil
}

// decodeProof decodes an encoded proof strictly: one encoding per proof.
func decodeProof(b []byte) (*smt.SparseMerkleProof, error) {
	if len(b) < 2 {
		return nil, errors.New("proof is too short")
	}
	n := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if n > maxSideNodes {
		return nil, fmt.Errorf("%d side nodes, at most %d", n, maxSideNodes)
	}
	if len(b) < (n+7)/8 {
		return nil, errors.New("proof ends in the bit mask")
	}
	mask := b[:(n+7)/8]
	b = b[(n+7)/8:]
	if n%8 != 0 && mask[len(mask)-1]&(0xff>>(n%8)) != 0 {
		return nil, errors.New("bit mask has bits set past the last side node")
	}
	p := &smt.SparseMerkleProof{}
	for i := range n {
		if mask[i/8]&(0x80>>(i%8)) != 0 {
			p.SideNodes = append(p.SideNodes, bytes.Clone(emptySubtree))
			continue
		}
		if len(b) < sha256.Size {
			return nil, fmt.Errorf("proof ends in side node %d", i)
		}
		p.SideNodes = append(p.SideNodes, bytes.Clone(b[:sha256.Size]))
		b = b[sha256.Size:]
	}
	if len(b) < 1 {
		return nil, errors.New("proof ends before its leaf length")
	}
	m := int(b[0])
	b = b[1:]
	switch {
	case m != 0 && m != leafDataLen:
		return nil, fmt.Errorf("leaf is %d bytes, want 0 or %d", m, leafDataLen)
	case len(b) != m:
		return nil, fmt.Errorf("%d bytes after the side nodes, want %d", len(b), m)
	case m == leafDataLen && b[0] != 0:
		return nil, errors.New("leaf does not start with 0x00")
	case m == leafDataLen:
		p.NonMembershipLeafData = bytes.Clone(b)
	}
	return p, nil
}

// The state keys a client proves (see the package comment for the rest).

// LatestEpochKey is the state key holding the latest published key epoch,
// the one new secrets are sealed to.
func LatestEpochKey() []byte { return []byte(keyLatestEpoch) }

// EpochKey is the state key of key epoch e's EpochRecord.
func EpochKey(e uint64) []byte { return []byte(epochKey(e)) }

// ChainIDKey is the state key holding the numeric chain id, the chainId
// of the EIP-712 domain transactions and Cove-Auth headers sign for.
func ChainIDKey() []byte { return []byte(keyChainID) }

// ParamsKey is the state key of the chain's Params (the TEE policy among
// them).
func ParamsKey() []byte { return []byte(keyParams) }

// AgentKey is the state key of an agent's AgentRecord.
func AgentKey(id cove.AgentID) []byte { return []byte(agentKey(id)) }
