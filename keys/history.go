package keys

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// historyVersion starts an encoded master-key history.
const historyVersion byte = 0x01

// History is the master key of every epoch, index = epoch: what a
// gatekeeper holds and what a new gatekeeper receives sealed to its
// attested identity key. It prints as REDACTED like the keys it holds.
type History []Master

// Cluster returns the key of cluster id in epoch e; ok is false for an
// epoch the history does not hold.
func (h History) Cluster(e uint64, id ClusterID) (c Cluster, ok bool) {
	if e >= uint64(len(h)) {
		return Cluster{}, false
	}
	return h[e].Cluster(id), true
}

// Encode returns the history as bytes:
//
//	version 0x01 ‖ uint32 big-endian count ‖ count × 32-byte master keys (epoch 0 first)
//
// Security: the result holds every master key in plaintext; seal it at
// once (to the TEE or to an attested gatekeeper) and clear it.
func (h History) Encode() []byte {
	b := make([]byte, 0, 5+Size*len(h))
	b = append(b, historyVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(len(h)))
	for _, m := range h {
		b = append(b, m.b[:]...)
	}
	return b
}

// DecodeHistory reads the encoding of History.Encode.
func DecodeHistory(b []byte) (History, error) {
	if len(b) < 5 || b[0] != historyVersion {
		return nil, errors.New("master-key history: not version 1")
	}
	n := binary.BigEndian.Uint32(b[1:5])
	if n == 0 || uint64(len(b)-5) != uint64(n)*Size {
		return nil, fmt.Errorf("master-key history: %d bytes for %d keys", len(b)-5, n)
	}
	h := make(History, n)
	for i := range h {
		copy(h[i].b[:], b[5+i*Size:])
	}
	return h, nil
}

// String returns "REDACTED"; the keys are never printed.
func (History) String() string { return redacted }

// ProvisionInfo is the HPKE info of key material a gatekeeper seals to a
// recipient's identity key (chain ProvisionKey):
//
//	"cove/provision/v1" ‖ 0x00 ‖ kind ‖ 0x00 ‖ recipient (32 bytes) ‖ epoch (8 bytes, big-endian)
//
// where kind is "worker" (the sealed plaintext is the 32-byte cluster key
// of the epoch) or "gatekeeper" (History.Encode of epochs 0 to epoch). It
// binds the ciphertext to one recipient, kind and epoch, so it cannot be
// replayed to another.
func ProvisionInfo(kind string, recipient [32]byte, epoch uint64) []byte {
	b := []byte("cove/provision/v1\x00" + kind + "\x00")
	b = append(b, recipient[:]...)
	return binary.BigEndian.AppendUint64(b, epoch)
}
