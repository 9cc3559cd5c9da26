// Package identity is the key pair a role (a worker, a gatekeeper) makes
// inside its TEE: an Ed25519 signing key and an HPKE key pair (ML-KEM-768 +
// X25519) that gatekeepers seal keys to. It is kept on disk only sealed by
// the TEE; its public key (format and parsing in package tee/identity/idkey)
// is what the role registers on the chain and what its quote's report data
// commits to.
package identity

import (
	"crypto"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/cove-network/cove/internal/atomicfile"
	"github.com/cove-network/cove/tee/identity/idkey"
)

// The sealed private part is version 0x01 ‖ Ed25519 seed (32) ‖ HPKE
// private key (32, the KEM's serialised private key). The public key's
// encoding is idkey's.
const (
	privVersion        byte = 0x01
	hpkePrivateKeySize      = 32
	identityPrivSize        = 1 + ed25519.SeedSize + hpkePrivateKeySize
)

// Sealer seals data to the TEE the role runs in (tee.Platform is one).
type Sealer interface {
	Seal(label string, plaintext []byte) ([]byte, error)
	Unseal(label string, sealed []byte) ([]byte, error)
}

// Identity is a role's identity: an Ed25519 signing key and an HPKE key
// pair (ML-KEM-768 + X25519) for receiving sealed keys. It is made inside
// the TEE and leaves it only sealed; it performs operations and never
// hands out its private keys, and prints as REDACTED.
type Identity struct {
	sign ed25519.PrivateKey
	kem  hpke.PrivateKey
	pub  []byte
}

// Load unseals the identity at path with s (sealed under label, which
// names the role: "worker/identity/v1"), or, when there is none,
// makes a new one and stores it sealed there. created reports which.
//
// Security: the private keys exist in plaintext only in this process's
// memory; the file holds them sealed to the TEE, so another TEE (another
// machine, or another sim data dir) cannot use them.
func Load(s Sealer, label, path string) (id *Identity, created bool, err error) {
	sealed, err := os.ReadFile(path)
	switch {
	case err == nil:
		b, err := s.Unseal(label, sealed)
		if err != nil {
			return nil, false, fmt.Errorf("load identity %s: %w", path, err)
		}
		defer clear(b)
		id, err := identityFromBytes(b)
		if err != nil {
			return nil, false, fmt.Errorf("load identity %s: %w", path, err)
		}
		return id, false, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, false, fmt.Errorf("load identity: %w", err)
	}
	id, err = New(rand.Reader)
	if err != nil {
		return nil, false, err
	}
	b := id.privateBytes()
	defer clear(b)
	sealed, err = s.Seal(label, b)
	if err != nil {
		return nil, false, fmt.Errorf("seal identity: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("store identity: %w", err)
	}
	if err := atomicfile.Write(path, sealed); err != nil {
		return nil, false, fmt.Errorf("store identity: %w", err)
	}
	return id, true, nil
}

// New makes a new identity from the randomness of r.
func New(r io.Reader) (*Identity, error) {
	b := make([]byte, identityPrivSize)
	defer clear(b)
	b[0] = privVersion
	if _, err := io.ReadFull(r, b[1:]); err != nil {
		return nil, fmt.Errorf("new identity: %w", err)
	}
	// Derive the HPKE key from the drawn bytes, so that any 32 bytes make
	// a valid key.
	k, err := hpke.MLKEM768X25519().DeriveKeyPair(b[1+ed25519.SeedSize:])
	if err != nil {
		return nil, fmt.Errorf("new identity: %w", err)
	}
	kb, err := k.Bytes()
	if err != nil || len(kb) != hpkePrivateKeySize {
		return nil, fmt.Errorf("new identity: hpke private key: %v", err)
	}
	copy(b[1+ed25519.SeedSize:], kb)
	clear(kb)
	return identityFromBytes(b)
}

func identityFromBytes(b []byte) (*Identity, error) {
	if len(b) != identityPrivSize || b[0] != privVersion {
		return nil, fmt.Errorf("sealed identity is %d bytes of version %d, want %d bytes of version %d", len(b), first(b), identityPrivSize, privVersion)
	}
	sign := ed25519.NewKeyFromSeed(b[1 : 1+ed25519.SeedSize])
	kem, err := hpke.MLKEM768X25519().NewPrivateKey(b[1+ed25519.SeedSize:])
	if err != nil {
		return nil, fmt.Errorf("sealed identity: hpke key: %v", err)
	}
	pub := idkey.Key{Signing: sign.Public().(ed25519.PublicKey), KEM: kem.PublicKey()}.Bytes()
	if len(pub) != idkey.Size {
		return nil, fmt.Errorf("identity public key is %d bytes, want %d", len(pub), idkey.Size)
	}
	return &Identity{sign: sign, kem: kem, pub: pub}, nil
}

func first(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}

func (id *Identity) privateBytes() []byte {
	kb, _ := id.kem.Bytes() // NewPrivateKey or DeriveKeyPair made it: it serialises
	b := make([]byte, 0, identityPrivSize)
	b = append(b, privVersion)
	b = append(b, id.sign.Seed()...)
	b = append(b, kb...)
	clear(kb)
	return b
}

// PublicKey returns the encoded identity public key (see package idkey for
// the layout): what the role registers and its quote commits to.
func (id *Identity) PublicKey() []byte { return append([]byte(nil), id.pub...) }

// Sign signs msg with the identity's Ed25519 key.
//
// Security: Sign signs whatever it is given; callers must put a domain
// label in msg so that a signature cannot be read as another protocol's.
func (id *Identity) Sign(msg []byte) []byte { return ed25519.Sign(id.sign, msg) }

// TLSSigner returns the identity's Ed25519 key as a crypto.Signer for TLS
// 1.3 (a worker's link certificate, package workerlink): it signs whole
// messages (crypto.Hash(0)), as TLS 1.3 does with Ed25519, and refuses
// anything else. The private key stays inside; the signer prints as
// REDACTED.
//
// Security: TLS 1.3 signs 64 spaces and its own context string ahead of
// the transcript hash, so no TLS signature reads as one of Cove's labelled
// messages.
func (id *Identity) TLSSigner() crypto.Signer { return tlsSigner{id} }

type tlsSigner struct{ id *Identity }

func (s tlsSigner) Public() crypto.PublicKey { return s.id.sign.Public() }

func (s tlsSigner) Sign(_ io.Reader, msg []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts.HashFunc() != 0 {
		return nil, errors.New("identity: the Ed25519 identity signs whole messages, not digests")
	}
	if o, ok := opts.(*ed25519.Options); ok && o.Context != "" {
		return nil, errors.New("identity: the Ed25519 identity signs without a context")
	}
	return ed25519.Sign(s.id.sign, msg), nil
}

func (tlsSigner) String() string { return "REDACTED" }

// Open opens an HPKE single-shot ciphertext (RFC 9180 base mode: KEM
// MLKEM768-X25519, KDF HKDF-SHA256, AEAD ChaCha20Poly1305, enc followed by
// the ciphertext, as crypto/hpke.Seal makes it) sealed to the identity's
// HPKE public key with info.
func (id *Identity) Open(info, ciphertext []byte) ([]byte, error) {
	out, err := hpke.Open(id.kem, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, ciphertext)
	if err != nil {
		return nil, fmt.Errorf("open sealed to identity: %w", err)
	}
	return out, nil
}

// String returns "REDACTED"; the keys are never printed.
func (*Identity) String() string { return "REDACTED" }

// LogValue implements slog.LogValuer; the keys are never logged.
func (*Identity) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// Format implements fmt.Formatter so that no verb prints the keys.
func (*Identity) Format(f fmt.State, _ rune) { io.WriteString(f, "REDACTED") }
