// Package cid computes and parses the content identifiers that name agent
// bundles: CIDv1 with multicodec raw (0x55) and a sha2-256 multihash, in
// multibase base32 lowercase ("bafkrei..."), as IPFS tools compute them for
// a single raw block. It is pure (no I/O), so the chain can check that a
// deployment's CID names its code hash; package blob stores bundles by it.
package cid

import (
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cove-network/cove"
)

// ErrInvalid is returned (wrapped, with the reason) by Parse, and by blob
// store operations given a string that is not a CID this package makes.
var ErrInvalid = errors.New("invalid cid")

// The one CID shape this package makes and accepts.
const (
	cidVersion = 1    // CIDv1
	codecRaw   = 0x55 // multicodec "raw": the bytes are the content
	hashSHA256 = 0x12 // multihash "sha2-256"
	digestLen  = 32   // sha2-256 digest length
	multibase  = 'b'  // multibase base32, lowercase, no padding (RFC 4648)
	// Prefix is how every CID made here begins: 'b' and the base32 of
	// 0x01 0x55 0x12 0x20 (the next character also holds digest bits).
	Prefix = "bafkrei"
	cidLen = 59 // 'b' + base32 of 36 bytes without padding
	// maxCIDInput bounds the work and the error text for hostile input; it
	// is long enough to decode and name the codec or hash of other CIDs.
	maxCIDInput = 256
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Of returns the content identifier of b: a CIDv1 with multicodec raw (0x55)
// and a sha2-256 multihash, in multibase base32 lowercase without padding
// ("bafkrei..."). IPFS computes the same CID for the same bytes stored as a
// single raw block (for example `ipfs add --cid-version 1 --raw-leaves` of a
// file under 256 KiB).
func Of(b []byte) string { return FromHash(cove.SHA256(b)) }

// FromHash returns the CID of the content whose SHA-256 digest is h, so a
// code hash and its CID convert both ways (see Parse).
func FromHash(h cove.Hash) string {
	buf := make([]byte, 0, 4+digestLen)
	buf = binary.AppendUvarint(buf, cidVersion)
	buf = binary.AppendUvarint(buf, codecRaw)
	buf = binary.AppendUvarint(buf, hashSHA256)
	buf = binary.AppendUvarint(buf, digestLen)
	buf = append(buf, h[:]...)
	return string(multibase) + b32.EncodeToString(buf)
}

// Parse returns the SHA-256 digest that s, a CID as made by Of, names. It
// accepts exactly that form and nothing else: the error, which wraps
// ErrInvalid, says which part is wrong (multibase, version, codec, hash
// function or digest length). Every CID it accepts is canonical:
// FromHash(Parse(s)) == s.
func Parse(s string) (cove.Hash, error) {
	h, err := parse(s)
	if err != nil {
		return cove.Hash{}, fmt.Errorf("%w %s: %s", ErrInvalid, quote(s), err)
	}
	return h, nil
}

func parse(s string) (cove.Hash, error) {
	var h cove.Hash
	switch {
	case s == "":
		return h, errors.New("empty")
	case len(s) > maxCIDInput:
		return h, fmt.Errorf("%d characters, want %d", len(s), cidLen)
	case strings.HasPrefix(s, "Qm") && len(s) == 46:
		return h, fmt.Errorf("CIDv0 (base58btc, dag-pb) is not supported, want a CIDv1 raw sha2-256 in base32 (%s...)", Prefix)
	case s[0] != multibase:
		return h, fmt.Errorf("multibase prefix %q, want 'b' (base32 lowercase)", s[0])
	}
	// Check the alphabet and length first: Go's decoder skips line breaks
	// and silently drops a dangling partial byte.
	enc := s[1:]
	for i := 0; i < len(enc); i++ {
		if c := enc[i]; (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return h, fmt.Errorf("character %q at offset %d is not lowercase base32", c, i+1)
		}
	}
	if b32.EncodedLen(b32.DecodedLen(len(enc))) != len(enc) {
		return h, fmt.Errorf("%d base32 characters is not a whole number of bytes", len(enc))
	}
	raw, err := b32.DecodeString(enc)
	if err != nil {
		return h, fmt.Errorf("not lowercase unpadded base32: %v", err)
	}
	version, raw, err := uvarint(raw, "version")
	if err != nil {
		return h, err
	}
	if version != cidVersion {
		return h, fmt.Errorf("CID version %d, want 1", version)
	}
	codec, raw, err := uvarint(raw, "codec")
	if err != nil {
		return h, err
	}
	if codec != codecRaw {
		return h, fmt.Errorf("codec 0x%x%s, want raw (0x55)", codec, codecName(codec))
	}
	fn, raw, err := uvarint(raw, "hash function")
	if err != nil {
		return h, err
	}
	if fn != hashSHA256 {
		return h, fmt.Errorf("hash function 0x%x, want sha2-256 (0x12)", fn)
	}
	n, raw, err := uvarint(raw, "digest length")
	if err != nil {
		return h, err
	}
	if n != digestLen {
		return h, fmt.Errorf("digest length %d, want 32", n)
	}
	if len(raw) != digestLen {
		return h, fmt.Errorf("digest is %d bytes, want 32", len(raw))
	}
	copy(h[:], raw)
	// Non-minimal varints and non-zero padding bits decode to the same
	// bytes as the CID; only one spelling is the CID.
	if FromHash(h) != s {
		return cove.Hash{}, errors.New("not in canonical form")
	}
	return h, nil
}

// uvarint reads one multiformats unsigned varint from b.
func uvarint(b []byte, what string) (uint64, []byte, error) {
	v, n := binary.Uvarint(b)
	switch {
	case n == 0:
		return 0, nil, fmt.Errorf("truncated before the %s", what)
	case n < 0 || n > 9: // multiformats caps varints at 9 bytes (63 bits)
		return 0, nil, fmt.Errorf("%s varint overflows", what)
	}
	return v, b[n:], nil
}

func codecName(c uint64) string {
	switch c {
	case 0x70:
		return " (dag-pb)"
	case 0x71:
		return " (dag-cbor)"
	case 0x0129:
		return " (dag-json)"
	case 0x0200:
		return " (json)"
	}
	return ""
}

// quote quotes s for an error message, shortened if it is long.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		return strconv.Quote(s[:max]) + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return strconv.Quote(s)
}
