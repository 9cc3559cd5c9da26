package sim

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var quoteTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openAt(t testing.TB, dir string, opts ...Option) *Platform {
	t.Helper()
	opts = append([]Option{WithClock(func() time.Time { return quoteTime })}, opts...)
	p, err := Open(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestQuoteLayout(t *testing.T) {
	m := sha256.Sum256([]byte("worker build"))
	p := openAt(t, t.TempDir(), WithMeasurement(m))
	var rd [64]byte
	copy(rd[:], "report data")
	b, err := p.Quote(rd)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != QuoteSize || QuoteSize != 209 {
		t.Fatalf("quote is %d bytes, QuoteSize %d, want 209", len(b), QuoteSize)
	}
	// The documented layout, byte by byte.
	vk := p.VendorPublicKey()
	if string(b[0:8]) != "COVESIMQ" || b[8] != 1 || !bytes.Equal(b[9:41], m[:]) || !bytes.Equal(b[41:105], rd[:]) ||
		binary.BigEndian.Uint64(b[105:113]) != uint64(quoteTime.Unix()) || !bytes.Equal(b[113:145], vk) ||
		!ed25519.Verify(vk, b[:145], b[145:209]) {
		t.Fatalf("quote does not follow the documented layout: %x", b)
	}
	q, err := VerifyQuote(b, [][]byte{[]byte("short"), vk})
	if err != nil {
		t.Fatal(err)
	}
	if q.Measurement != m || q.ReportData != rd || !q.Time().Equal(quoteTime) || !bytes.Equal(q.VendorKey[:], vk) || q.Version != 1 {
		t.Fatalf("parsed %+v", q)
	}
}

func TestVerifyQuoteRefusals(t *testing.T) {
	p := openAt(t, t.TempDir())
	good, _ := p.Quote([64]byte{1})
	keys := [][]byte{p.VendorPublicKey()}

	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 1; return b }
	other := openAt(t, t.TempDir())
	for _, c := range []struct {
		name  string
		quote []byte
		keys  [][]byte
		want  error
	}{
		{"empty", nil, keys, ErrQuoteFormat},
		{"magic", flip(0), keys, ErrQuoteFormat},
		{"version", flip(8), keys, ErrQuoteFormat},
		{"short", good[:QuoteSize-1], keys, ErrQuoteFormat},
		{"long", append(bytes.Clone(good), 0), keys, ErrQuoteFormat},
		{"measurement flipped", flip(9), keys, ErrQuoteSignature},
		{"report data flipped", flip(41), keys, ErrQuoteSignature},
		{"timestamp flipped", flip(112), keys, ErrQuoteSignature},
		{"signature flipped", flip(200), keys, ErrQuoteSignature},
		{"vendor key replaced", flip(113), keys, ErrUnknownVendor},
		{"no trusted keys", good, nil, ErrUnknownVendor},
		{"another vendor", good, [][]byte{other.VendorPublicKey()}, ErrUnknownVendor},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := VerifyQuote(c.quote, c.keys); !errors.Is(err, c.want) {
				t.Fatalf("VerifyQuote: %v, want %v", err, c.want)
			}
		})
	}
	// A vendor that re-signs a changed quote with its own key is still
	// refused when the chain does not trust it.
	forged := signQuote(other.vendor, p.Measurement(), [64]byte{1}, uint64(quoteTime.Unix()))
	if _, err := VerifyQuote(forged, keys); !errors.Is(err, ErrUnknownVendor) {
		t.Fatalf("forged: %v", err)
	}
}

func TestVendorKeyFile(t *testing.T) {
	dir := t.TempDir()
	p := openAt(t, dir)
	// Reopening keeps the key; ReadVendorKey reads it.
	if p2 := openAt(t, dir); !bytes.Equal(p2.VendorPublicKey(), p.VendorPublicKey()) {
		t.Fatal("reopen changed the vendor key")
	}
	k, err := ReadVendorKey(dir)
	if err != nil || !bytes.Equal(k.Public().(ed25519.PublicKey), p.VendorPublicKey()) {
		t.Fatalf("ReadVendorKey: %v", err)
	}
	// A given key is installed in a new dir and shared.
	_, shared, _ := ed25519.GenerateKey(nil)
	a := openAt(t, t.TempDir(), WithVendorKey(shared))
	b := openAt(t, t.TempDir(), WithVendorKey(shared))
	if !bytes.Equal(a.VendorPublicKey(), b.VendorPublicKey()) || !bytes.Equal(a.VendorPublicKey(), shared.Public().(ed25519.PublicKey)) {
		t.Fatal("WithVendorKey did not install the key")
	}
	// A dir holding another key refuses to switch silently.
	if _, err := Open(dir, WithVendorKey(shared)); err == nil {
		t.Fatal("Open with another vendor key than the dir's succeeded")
	}
	if err := os.WriteFile(filepath.Join(dir, VendorKeyFile), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil {
		t.Fatal("Open with a corrupt vendor key succeeded")
	}
}

func TestMeasurementIsExecutableHash(t *testing.T) {
	path, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := openAt(t, t.TempDir())
	if p.Measurement() != sha256.Sum256(b) {
		t.Fatal("measurement is not SHA-256 of the executable")
	}
	m := [32]byte{7}
	if openAt(t, t.TempDir(), WithMeasurement(m)).Measurement() != m {
		t.Fatal("WithMeasurement ignored")
	}
	if !p.Insecure() || p.Name() != "sim" {
		t.Fatal("the sim platform must say it is insecure")
	}
}

func FuzzParseQuote(f *testing.F) {
	p := openAt(f, f.TempDir())
	good, _ := p.Quote([64]byte{1, 2, 3})
	f.Add(good)
	f.Add(good[:100])
	f.Add([]byte(QuoteMagic))
	f.Add([]byte{})
	keys := [][]byte{p.VendorPublicKey()}
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := ParseQuote(b)
		if err != nil {
			if !errors.Is(err, ErrQuoteFormat) {
				t.Fatalf("error %v does not wrap ErrQuoteFormat", err)
			}
			return
		}
		// What parses re-encodes to the same bytes.
		enc := make([]byte, 0, QuoteSize)
		enc = append(enc, QuoteMagic...)
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
		if _, err := VerifyQuote(b, keys); err == nil && !bytes.Equal(b, good) {
			t.Fatalf("a quote other than the one signed verifies")
		}
	})
}
