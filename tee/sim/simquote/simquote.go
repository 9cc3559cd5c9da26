// Package simquote is the quote format of the simulated TEE (package
// tee/sim): encoding, parsing and vendor-signature verification. It does no
// I/O, so the chain's verifier (package attest) checks sim quotes without
// linking the simulated platform, which keeps its keys in files.
//
// Security: INSECURE. A sim quote proves only that the holder of the vendor
// key signed it; the sim platform keeps that key in a file.
package simquote

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// The format. It is a wire format: quotes travel in RegisterWorker
// transactions and are verified by every validator, so a change needs a new
// version byte. Byte by byte (209 bytes in all):
//
//	offset  size  field
//	0       8     magic "COVESIMQ"
//	8       1     version 0x01
//	9       32    measurement: SHA-256 of the executable the platform runs
//	41      64    report data, chosen by the software in the "TEE"
//	105     8     timestamp: Unix seconds, uint64 big-endian, from the host
//	              clock when the (simulated) vendor quoted
//	113     32    vendor public key (Ed25519)
//	145     64    Ed25519 signature by the vendor key over bytes 0 to 144
//
// Security: INSECURE. A sim quote proves only that the holder of the
// vendor key signed it; the vendor key is a file in the data directory.
const (
	// Magic starts every sim quote.
	Magic = "COVESIMQ"
	// Version is the quote version this package writes and reads.
	Version byte = 0x01
	// Size is the size of a version 1 quote.
	Size = len(Magic) + 1 + 32 + 64 + 8 + ed25519.PublicKeySize + ed25519.SignatureSize

	offMeasurement = len(Magic) + 1
	offReportData  = offMeasurement + 32
	offTimestamp   = offReportData + 64
	offVendor      = offTimestamp + 8
	offSignature   = offVendor + ed25519.PublicKeySize
)

// Errors of Parse and Verify, tested with errors.Is. Each failure wraps one
// of them with the detail.
var (
	// ErrFormat: the bytes are not a sim quote of a version this package
	// reads.
	ErrFormat = errors.New("sim quote format")
	// ErrUnknownVendor: the quote names a vendor key that is not trusted.
	ErrUnknownVendor = errors.New("sim quote vendor key not trusted")
	// ErrSignature: the vendor signature does not verify.
	ErrSignature = errors.New("sim quote signature invalid")
)

// Quote is a parsed sim quote.
type Quote struct {
	Version     byte
	Measurement [32]byte
	ReportData  [64]byte
	// Timestamp is when the vendor quoted, in Unix seconds.
	Timestamp uint64
	// VendorKey is the Ed25519 public key that signed the quote.
	VendorKey [32]byte
	Signature [64]byte
}

// Time returns the quote's timestamp as a time (UTC). A timestamp beyond
// what time.Time holds saturates.
func (q Quote) Time() time.Time {
	const maxUnix = 1<<63 - 1 - 62135596800 // keeps Unix() from overflowing
	if q.Timestamp > maxUnix {
		return time.Unix(maxUnix, 0).UTC()
	}
	return time.Unix(int64(q.Timestamp), 0).UTC()
}

// Parse decodes a sim quote without verifying its signature. It fails with
// ErrFormat for anything but exactly Size bytes starting with Magic and
// Version.
func Parse(b []byte) (Quote, error) {
	if len(b) < len(Magic) || string(b[:len(Magic)]) != Magic {
		return Quote{}, fmt.Errorf("%w: does not start with %q", ErrFormat, Magic)
	}
	if len(b) < offMeasurement || b[len(Magic)] != Version {
		return Quote{}, fmt.Errorf("%w: unsupported version (want %d)", ErrFormat, Version)
	}
	if len(b) != Size {
		return Quote{}, fmt.Errorf("%w: %d bytes, want %d", ErrFormat, len(b), Size)
	}
	var q Quote
	q.Version = b[len(Magic)]
	copy(q.Measurement[:], b[offMeasurement:])
	copy(q.ReportData[:], b[offReportData:])
	q.Timestamp = binary.BigEndian.Uint64(b[offTimestamp:])
	copy(q.VendorKey[:], b[offVendor:])
	copy(q.Signature[:], b[offSignature:])
	return q, nil
}

// Verify parses quote and checks that its vendor key is one of vendorKeys
// (Ed25519 public keys; others are ignored) and that the vendor signature
// verifies. It fails with ErrFormat, ErrUnknownVendor or ErrSignature. It
// does not judge the timestamp, the measurement or the report data: that is
// the caller's policy.
//
// Security: INSECURE. See the package comment: a sim quote is only as good
// as the secrecy of a file.
func Verify(quote []byte, vendorKeys [][]byte) (Quote, error) {
	q, err := Parse(quote)
	if err != nil {
		return Quote{}, err
	}
	trusted := false
	for _, k := range vendorKeys {
		if bytes.Equal(k, q.VendorKey[:]) {
			trusted = true
			break
		}
	}
	if !trusted {
		return Quote{}, fmt.Errorf("%w: vendor key 0x%s is not among the %d trusted", ErrUnknownVendor, hex.EncodeToString(q.VendorKey[:]), len(vendorKeys))
	}
	if !ed25519.Verify(ed25519.PublicKey(q.VendorKey[:]), quote[:offSignature], q.Signature[:]) {
		return Quote{}, fmt.Errorf("%w: the signature does not verify with vendor key 0x%s", ErrSignature, hex.EncodeToString(q.VendorKey[:]))
	}
	return q, nil
}

// Sign encodes a quote of measurement, reportData and timestamp (Unix
// seconds) and signs it with the vendor key.
//
// Security: INSECURE. Whoever holds a vendor key makes quotes of anything.
func Sign(vendor ed25519.PrivateKey, measurement [32]byte, reportData [64]byte, timestamp uint64) []byte {
	b := make([]byte, offSignature, Size)
	copy(b, Magic)
	b[len(Magic)] = Version
	copy(b[offMeasurement:], measurement[:])
	copy(b[offReportData:], reportData[:])
	binary.BigEndian.PutUint64(b[offTimestamp:], timestamp)
	copy(b[offVendor:], vendor.Public().(ed25519.PublicKey))
	return append(b, ed25519.Sign(vendor, b)...)
}
