// Package idkey is the public half of a role's TEE identity (package
// tee/identity): its wire format, parsing, and sealing to it. It does no I/O,
// so the chain can check the keys that workers and gatekeepers register
// without linking the code that keeps identities in sealed files.
package idkey

import (
	"crypto/ed25519"
	"crypto/hpke"
	"errors"
	"fmt"
)

// The identity public key is what a worker or gatekeeper registers on the
// chain (RegisterWorker.PublicKey) and what its quote's report data commits
// to, so it is a wire format. Byte by byte (1249 bytes):
//
//	offset  size  field
//	0       1     version 0x01
//	1       32    Ed25519 public key: signs the role's messages
//	33      1216  HPKE public key, KEM MLKEM768-X25519 (0x647a): gatekeepers
//	              seal cluster keys to it
const (
	// Version is the key version this package writes and reads.
	Version byte = 0x01
	// Size is the size of an encoded identity public key.
	Size = 1 + ed25519.PublicKeySize + kemSize

	kemSize = 1216
)

// ErrInvalid is returned by Parse for bytes that are not an identity public
// key of a version this package reads.
var ErrInvalid = errors.New("not an identity public key")

// Key is a parsed identity public key.
type Key struct {
	// Signing verifies the role's signatures.
	Signing ed25519.PublicKey
	// KEM is the HPKE public key to seal to the role.
	KEM hpke.PublicKey
}

// Parse decodes an identity public key (a RegisterWorker or
// RegisterGatekeeper PublicKey). It fails with ErrInvalid.
func Parse(b []byte) (Key, error) {
	if len(b) != Size || b[0] != Version {
		return Key{}, fmt.Errorf("%w: %d bytes of version %d, want %d bytes of version %d", ErrInvalid, len(b), first(b), Size, Version)
	}
	kem, err := hpke.MLKEM768X25519().NewPublicKey(b[1+ed25519.PublicKeySize:])
	if err != nil {
		return Key{}, fmt.Errorf("%w: hpke key: %v", ErrInvalid, err)
	}
	return Key{Signing: ed25519.PublicKey(append([]byte(nil), b[1:1+ed25519.PublicKeySize]...)), KEM: kem}, nil
}

// Bytes returns the encoding of k that Parse reads. k must hold an Ed25519
// key and an MLKEM768-X25519 HPKE key, as Parse makes them.
func (k Key) Bytes() []byte {
	b := make([]byte, 0, Size)
	b = append(b, Version)
	b = append(b, k.Signing...)
	return append(b, k.KEM.Bytes()...)
}

// Seal seals plaintext to the key with info: an HPKE single-shot ciphertext
// (RFC 9180 base mode: KEM MLKEM768-X25519, KDF HKDF-SHA256, AEAD
// ChaCha20Poly1305, enc followed by the ciphertext) that the identity's
// Open opens.
func (k Key) Seal(info, plaintext []byte) ([]byte, error) {
	return hpke.Seal(k.KEM, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, plaintext)
}

func first(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}
