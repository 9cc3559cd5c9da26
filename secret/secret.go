// Package secret seals an agent's secrets to a cluster's HPKE public key and
// opens them inside a TEE. Sealed secrets are stored on the chain forever, so
// the suite is post-quantum (a hybrid ML-KEM-768 + X25519 KEM) and the
// envelope below is a permanent format.
//
// The suite (RFC 9180 HPKE, base mode, single-shot Seal/Open with no AAD):
//
//	KEM  MLKEM768-X25519 (X-Wing, draft-ietf-hpke-pq)  id 0x647a  [KEMID]
//	KDF  HKDF-SHA256                                   id 0x0001  [KDFID]
//	AEAD ChaCha20Poly1305                              id 0x0003  [AEADID]
//
// The envelope, byte by byte:
//
//	offset  size  field
//	0       4     magic "COVS" (0x43 0x4f 0x56 0x53)
//	4       1     version 0x01
//	5       4     epoch: the cluster key epoch sealed to, uint32 big-endian
//	9       1120  enc: the KEM encapsulation (1088 bytes ML-KEM-768 ‖ 32 bytes X25519)
//	1129    n+16  ciphertext of the n-byte plaintext and its 16-byte Poly1305 tag
//
// Bytes 9 onwards are exactly the output of crypto/hpke.Seal. The HPKE info
// binds the envelope to one agent and one epoch, so a sealed set cannot be
// replayed to another agent or relabelled with another epoch:
//
//	info = "cove/secrets/v1" ‖ 0x00 ‖ agent id (32 bytes) ‖ epoch (4 bytes, big-endian)
//
// The plaintext is the JSON object of names to values as encoding/json
// marshals a map[string]string (keys sorted, no whitespace, HTML characters
// escaped). Names look like environment variable names,
// [A-Za-z_][A-Za-z0-9_]{0,63}; a set holds at most [MaxSecrets] secrets of
// at most [MaxTotalSize] bytes of names and values together, and values are
// valid UTF-8 (base64-encode binary values).
package secret

import (
	"bytes"
	"crypto/hpke"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cove-network/cove"
)

// The HPKE suite of every envelope.
const (
	KEMID  uint16 = 0x647a // MLKEM768-X25519
	KDFID  uint16 = 0x0001 // HKDF-SHA256
	AEADID uint16 = 0x0003 // ChaCha20Poly1305
)

// Envelope constants.
const (
	// Magic starts every envelope.
	Magic = "COVS"
	// Version is the envelope version this package writes and reads.
	Version byte = 0x01
	// InfoLabel starts the HPKE info of version 1.
	InfoLabel = "cove/secrets/v1"
	// HeaderSize is the size of magic, version and epoch.
	HeaderSize = len(Magic) + 1 + 4
)

// Limits of a secret set.
const (
	MaxSecrets   = 64
	MaxNameLen   = 64
	MaxTotalSize = 64 << 10 // bytes of names and values together
)

var (
	// ErrMalformed means the bytes are not a Cove secrets envelope of a
	// version this package reads.
	ErrMalformed = errors.New("malformed sealed secrets")
	// ErrOpen means the envelope did not decrypt: wrong cluster key or
	// epoch, wrong agent, or tampered bytes.
	ErrOpen = errors.New("open sealed secrets")
	// ErrInvalid means a secret set breaks the naming or size rules.
	ErrInvalid = errors.New("invalid secrets")
)

func kem() hpke.KEM   { return hpke.MLKEM768X25519() }
func kdf() hpke.KDF   { return hpke.HKDFSHA256() }
func aead() hpke.AEAD { return hpke.ChaCha20Poly1305() }

func info(agent cove.AgentID, epoch uint32) []byte {
	b := make([]byte, 0, len(InfoLabel)+1+32+4)
	b = append(b, InfoLabel...)
	b = append(b, 0)
	b = append(b, agent[:]...)
	return binary.BigEndian.AppendUint32(b, epoch)
}

// Seal encrypts secrets for agent to the cluster public key pub (the
// serialized ML-KEM-768+X25519 HPKE public key of the cluster's key epoch
// epoch) and returns the envelope. A nil or empty map seals an empty set.
//
// Security: the result is public (it goes on the chain); only a holder of the
// cluster's private key, inside a TEE, can open it. Seal never logs or
// returns the plaintext.
func Seal(pub []byte, epoch uint32, agent cove.AgentID, secrets map[string]string) ([]byte, error) {
	if err := Validate(secrets); err != nil {
		return nil, fmt.Errorf("seal secrets: %w", err)
	}
	pk, err := kem().NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("seal secrets: cluster public key: %w", err)
	}
	if secrets == nil {
		secrets = map[string]string{}
	}
	plain, err := json.Marshal(secrets)
	if err != nil {
		return nil, fmt.Errorf("seal secrets: %w", err)
	}
	ct, err := hpke.Seal(pk, kdf(), aead(), info(agent, epoch), plain)
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("seal secrets: %w", err)
	}
	out := make([]byte, 0, HeaderSize+len(ct))
	out = append(out, Magic...)
	out = append(out, Version)
	out = binary.BigEndian.AppendUint32(out, epoch)
	return append(out, ct...), nil
}

// Epoch returns the key epoch an envelope was sealed to, so the opener can
// pick the cluster key of that epoch. It checks only the header: the epoch
// is authenticated when the envelope is opened.
func Epoch(sealed []byte) (uint32, error) {
	if len(sealed) < HeaderSize {
		return 0, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrMalformed, len(sealed), HeaderSize)
	}
	if string(sealed[:len(Magic)]) != Magic {
		return 0, fmt.Errorf("%w: does not start with %q", ErrMalformed, Magic)
	}
	if v := sealed[len(Magic)]; v != Version {
		return 0, fmt.Errorf("%w: version %d, this build reads version %d", ErrMalformed, v, Version)
	}
	return binary.BigEndian.Uint32(sealed[len(Magic)+1:]), nil
}

// Open decrypts an envelope sealed for agent with the cluster private key
// priv of the envelope's epoch (see [Epoch]), and checks the set it holds.
//
// Security: call Open only inside a TEE. The returned Set holds plaintext
// secrets; it prints and logs only names, but its values must go nowhere but
// the agent's sandbox.
func Open(priv hpke.PrivateKey, agent cove.AgentID, sealed []byte) (Set, error) {
	epoch, err := Epoch(sealed)
	if err != nil {
		return nil, err
	}
	if priv == nil {
		return nil, errors.New("open sealed secrets: no private key")
	}
	if id := priv.KEM().ID(); id != KEMID {
		return nil, fmt.Errorf("open sealed secrets: private key is for KEM %#04x, want %#04x (MLKEM768-X25519)", id, KEMID)
	}
	plain, err := hpke.Open(priv, kdf(), aead(), info(agent, epoch), sealed[HeaderSize:])
	if err != nil {
		return nil, fmt.Errorf("%w for agent %s at epoch %d: wrong key, wrong agent or tampered envelope", ErrOpen, agent, epoch)
	}
	defer clear(plain)
	dec := json.NewDecoder(bytes.NewReader(plain))
	var set Set
	if err := dec.Decode(&set); err != nil || set == nil {
		return nil, fmt.Errorf("%w: plaintext is not a JSON object of strings", ErrMalformed)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	if err := Validate(set); err != nil {
		return nil, fmt.Errorf("open sealed secrets: %w", err)
	}
	return set, nil
}

// Validate checks secrets against the rules of the package comment (Seal
// refuses what it refuses); its errors, wrapping ErrInvalid, say what to
// change.
func Validate(secrets map[string]string) error {
	if len(secrets) > MaxSecrets {
		return fmt.Errorf("%w: %d secrets, at most %d are allowed; merge related values into one secret", ErrInvalid, len(secrets), MaxSecrets)
	}
	total := 0
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		if err := ValidName(name); err != nil {
			return err
		}
		if !utf8.ValidString(secrets[name]) {
			return fmt.Errorf("%w: value of %s is not valid UTF-8; base64-encode binary values", ErrInvalid, name)
		}
		total += len(name) + len(secrets[name])
	}
	if total > MaxTotalSize {
		return fmt.Errorf("%w: names and values take %d bytes, at most %d are allowed; keep large data outside secrets", ErrInvalid, total, MaxTotalSize)
	}
	return nil
}

// ValidName reports whether name is a valid secret name: a letter or
// underscore, then up to 63 letters, digits or underscores (ASCII), like an
// environment variable.
func ValidName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty secret name", ErrInvalid)
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("%w: secret name %.20q… is %d bytes, at most %d are allowed", ErrInvalid, name, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_'
		if letter || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return fmt.Errorf("%w: secret name %q: use only letters, digits and _, not starting with a digit (like MY_API_KEY)", ErrInvalid, name)
	}
	return nil
}

// Set is an opened set of secrets, by name. It prints and logs only the
// names: fmt and slog show {NAME=REDACTED, ...}, never a value.
type Set map[string]string

// Names returns the secret names in sorted order.
func (s Set) Names() []string { return slices.Sorted(maps.Keys(s)) }

// String returns the names with redacted values, as {A=REDACTED, B=REDACTED}.
func (s Set) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range s.Names() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(name)
		b.WriteString("=REDACTED")
	}
	b.WriteByte('}')
	return b.String()
}

// LogValue implements slog.LogValuer; it logs only the names.
func (s Set) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Format implements fmt.Formatter so that no verb (%v, %#v, %x...) prints a
// value.
func (s Set) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }
