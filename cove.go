// Package cove holds the domain types every Cove role shares: agent ids,
// hashes, Ethereum-style addresses and the deployed-agent record. It has no
// I/O and depends on nothing but hashing, so any package may import it.
package cove

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/sha3"
)

// ErrBadHex is returned when a 0x-prefixed hex value has the wrong form.
var ErrBadHex = errors.New("malformed hex value")

// Hash is a 32-byte digest, written 0x + 64 hex digits.
type Hash [32]byte

// String returns h as 0x + 64 lowercase hex digits.
func (h Hash) String() string {
	var b [2 + 2*len(h)]byte
	return string(h.appendHex(b[:0]))
}

// AppendText implements encoding.TextAppender: h as String writes it.
func (h Hash) AppendText(b []byte) ([]byte, error) { return h.appendHex(b), nil }

func (h Hash) appendHex(b []byte) []byte { return hex.AppendEncode(append(b, "0x"...), h[:]) }

// MarshalText implements encoding.TextMarshaler.
func (h Hash) MarshalText() ([]byte, error) { return h.appendHex(make([]byte, 0, 2+2*len(h))), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := parseFixedHex(string(b), 32)
	if err != nil {
		return err
	}
	copy(h[:], v)
	return nil
}

// IsZero reports whether h is all zero bytes.
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash parses 0x + 64 hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	err := h.UnmarshalText([]byte(s))
	return h, err
}

// SHA256 returns the SHA-256 digest of b as a Hash.
func SHA256(b []byte) Hash { return sha256.Sum256(b) }

// Keccak256 returns the Keccak-256 (Ethereum) digest of the concatenated parts.
func Keccak256(parts ...[]byte) Hash {
	d := sha3.NewLegacyKeccak256()
	for _, p := range parts {
		d.Write(p)
	}
	var h Hash
	d.Sum(h[:0])
	return h
}

// AgentID names a deployed agent: 32 bytes, written 0x + 64 hex digits in
// URLs, on the command line and in JSON.
type AgentID Hash

// String returns the id as 0x + 64 lowercase hex digits.
func (id AgentID) String() string { return Hash(id).String() }

// MarshalText implements encoding.TextMarshaler.
func (id AgentID) MarshalText() ([]byte, error) { return Hash(id).MarshalText() }

// AppendText implements encoding.TextAppender: id as String writes it.
func (id AgentID) AppendText(b []byte) ([]byte, error) { return Hash(id).AppendText(b) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *AgentID) UnmarshalText(b []byte) error { return (*Hash)(id).UnmarshalText(b) }

// ParseAgentID parses 0x + 64 hex digits.
func ParseAgentID(s string) (AgentID, error) {
	h, err := ParseHash(s)
	if err != nil {
		return AgentID{}, fmt.Errorf("agent id %q: want 0x followed by 64 hex digits", s)
	}
	return AgentID(h), nil
}

// agentIDDomain separates agent-id preimages from every other Keccak input.
const agentIDDomain = "cove.agent.v1"

// DeriveAgentID returns the id of the agent that owner deploys with the given
// code hash and salt: Keccak-256("cove.agent.v1" ‖ owner ‖ codeHash ‖ salt).
// Anyone can compute it before the deployment lands, so secrets can be sealed
// to it in advance.
func DeriveAgentID(owner Address, codeHash, salt Hash) AgentID {
	return AgentID(Keccak256([]byte(agentIDDomain), owner[:], codeHash[:], salt[:]))
}

// Address is an Ethereum-style 20-byte account address.
type Address [20]byte

// String returns the EIP-55 checksummed form, 0x + 40 hex digits.
func (a Address) String() string {
	if s, ok := eip55Cache.m.Load(a); ok {
		return s.(string)
	}
	var b [2 + 2*len(a)]byte
	s := string(a.appendEIP55(b[:0]))
	if eip55Cache.n.Add(1) > eip55CacheMax {
		eip55Cache.m.Clear()
		eip55Cache.n.Store(1)
	}
	eip55Cache.m.Store(a, s)
	return s
}

// eip55Cache keeps the EIP-55 text of the addresses written: a worker
// writes its agents' receipt signers into every response, and the
// checksum is a Keccak-256 each time. Past eip55CacheMax addresses it
// starts over.
var eip55Cache struct {
	m sync.Map // Address -> string
	n atomic.Int64
}

const eip55CacheMax = 4096

// appendEIP55 appends a as String writes it: the lower-case hex digits,
// each letter upper-cased where the same nibble of their Keccak-256 is 8
// or more.
func (a Address) appendEIP55(b []byte) []byte {
	b = append(b, "0x"...)
	start := len(b)
	b = hex.AppendEncode(b, a[:])
	digits := b[start:]
	sum := Keccak256(digits)
	for i, c := range digits {
		if c < 'a' {
			continue
		}
		nibble := sum[i/2]
		if i%2 == 0 {
			nibble >>= 4
		}
		if nibble&0xf >= 8 {
			digits[i] = c - 'a' + 'A'
		}
	}
	return b
}

// MarshalText implements encoding.TextMarshaler (EIP-55 form).
func (a Address) MarshalText() ([]byte, error) {
	return a.appendEIP55(make([]byte, 0, 2+2*len(a))), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. Mixed-case input must
// carry a valid EIP-55 checksum; all-lower or all-upper input is accepted.
func (a *Address) UnmarshalText(b []byte) error {
	s := string(b)
	v, err := parseFixedHex(s, 20)
	if err != nil {
		return err
	}
	var out Address
	copy(out[:], v)
	digits := s[2:]
	if digits != strings.ToLower(digits) && digits != strings.ToUpper(digits) && out.String() != s {
		return fmt.Errorf("address %s: bad EIP-55 checksum", s)
	}
	*a = out
	return nil
}

// IsZero reports whether a is the zero address.
func (a Address) IsZero() bool { return a == Address{} }

// ParseAddress parses 0x + 40 hex digits (EIP-55 checked when mixed case).
func ParseAddress(s string) (Address, error) {
	var a Address
	err := a.UnmarshalText([]byte(s))
	return a, err
}

func parseFixedHex(s string, n int) ([]byte, error) {
	if len(s) != 2+2*n || (s[:2] != "0x" && s[:2] != "0X") {
		return nil, fmt.Errorf("%w: want 0x followed by %d hex digits, got %q", ErrBadHex, 2*n, truncate(s, 80))
	}
	v, err := hex.DecodeString(s[2:])
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrBadHex, truncate(s, 80))
	}
	return v, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Errors shared by every reader of Cove records (the chain's views, the
// worker, the gateway), so that consumers can tell them apart with
// errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)
