package simquote

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

var quoteTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func vendorKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func TestLayout(t *testing.T) {
	m := sha256.Sum256([]byte("worker build"))
	var rd [64]byte
	copy(rd[:], "report data")
	vendor := vendorKey(1)
	b := Sign(vendor, m, rd, uint64(quoteTime.Unix()))
	if len(b) != Size || Size != 209 {
		t.Fatalf("quote is %d bytes, Size %d, want 209", len(b), Size)
	}
	// The documented layout, byte by byte.
	vk := vendor.Public().(ed25519.PublicKey)
	if string(b[0:8]) != "COVESIMQ" || b[8] != 1 || !bytes.Equal(b[9:41], m[:]) || !bytes.Equal(b[41:105], rd[:]) ||
		binary.BigEndian.Uint64(b[105:113]) != uint64(quoteTime.Unix()) || !bytes.Equal(b[113:145], vk) ||
		!ed25519.Verify(vk, b[:145], b[145:209]) {
		t.Fatalf("quote does not follow the documented layout: %x", b)
	}
	q, err := Verify(b, [][]byte{[]byte("short"), vk})
	if err != nil {
		t.Fatal(err)
	}
	if q.Measurement != m || q.ReportData != rd || !q.Time().Equal(quoteTime) || !bytes.Equal(q.VendorKey[:], vk) || q.Version != 1 {
		t.Fatalf("parsed %+v", q)
	}
}

func TestVerifyRefusals(t *testing.T) {
	vendor, other := vendorKey(1), vendorKey(2)
	m := sha256.Sum256([]byte("worker build"))
	good := Sign(vendor, m, [64]byte{1}, uint64(quoteTime.Unix()))
	keys := [][]byte{vendor.Public().(ed25519.PublicKey)}

	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 1; return b }
	for _, c := range []struct {
		name  string
		quote []byte
		keys  [][]byte
		want  error
	}{
		{"empty", nil, keys, ErrFormat},
		{"magic", flip(0), keys, ErrFormat},
		{"version", flip(8), keys, ErrFormat},
		{"short", good[:Size-1], keys, ErrFormat},
		{"long", append(bytes.Clone(good), 0), keys, ErrFormat},
		{"measurement flipped", flip(9), keys, ErrSignature},
		{"report data flipped", flip(41), keys, ErrSignature},
		{"timestamp flipped", flip(112), keys, ErrSignature},
		{"signature flipped", flip(200), keys, ErrSignature},
		{"vendor key replaced", flip(113), keys, ErrUnknownVendor},
		{"no trusted keys", good, nil, ErrUnknownVendor},
		{"another vendor", good, [][]byte{other.Public().(ed25519.PublicKey)}, ErrUnknownVendor},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Verify(c.quote, c.keys); !errors.Is(err, c.want) {
				t.Fatalf("Verify: %v, want %v", err, c.want)
			}
		})
	}
	// A vendor that re-signs a changed quote with its own key is still
	// refused when the chain does not trust it.
	forged := Sign(other, m, [64]byte{1}, uint64(quoteTime.Unix()))
	if _, err := Verify(forged, keys); !errors.Is(err, ErrUnknownVendor) {
		t.Fatalf("forged: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	vendor := vendorKey(1)
	good := Sign(vendor, [32]byte{9}, [64]byte{1, 2, 3}, uint64(quoteTime.Unix()))
	f.Add(good)
	f.Add(good[:100])
	f.Add([]byte(Magic))
	f.Add([]byte{})
	keys := [][]byte{vendor.Public().(ed25519.PublicKey)}
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		// What parses re-encodes to the same bytes.
		enc := make([]byte, 0, Size)
		enc = append(enc, Magic...)
		enc = append(enc, q.Version)
		enc = append(enc, q.Measurement[:]...)
		enc = append(enc, q.ReportData[:]...)
		enc = binary.BigEndian.AppendUint64(enc, q.Timestamp)
		enc = append(enc, q.VendorKey[:]...)
		enc = append(enc, q.Signature[:]...)
		if !bytes.Equal(enc, b) {
			t.Fatalf("parse is not the inverse of the layout")
		}
		_ = q.Time()
		if _, err := Verify(b, keys); err == nil && !bytes.Equal(b, good) {
			t.Fatalf("a quote other than the one signed verifies")
		}
	})
}
