package sim

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cove-network/cove/tee/sim/simquote"
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

// TestQuote checks that the platform's quotes are sim quotes of its
// measurement, the report data and its clock, signed by its vendor key.
func TestQuote(t *testing.T) {
	m := sha256.Sum256([]byte("worker build"))
	p := openAt(t, t.TempDir(), WithMeasurement(m))
	var rd [64]byte
	copy(rd[:], "report data")
	b, err := p.Quote(rd)
	if err != nil {
		t.Fatal(err)
	}
	vk := p.VendorPublicKey()
	q, err := simquote.Verify(b, [][]byte{vk})
	if err != nil {
		t.Fatal(err)
	}
	if q.Measurement != m || q.ReportData != rd || !q.Time().Equal(quoteTime) || !bytes.Equal(q.VendorKey[:], vk) || q.Version != simquote.Version {
		t.Fatalf("parsed %+v", q)
	}
	other := openAt(t, t.TempDir())
	if _, err := simquote.Verify(b, [][]byte{other.VendorPublicKey()}); !errors.Is(err, simquote.ErrUnknownVendor) {
		t.Fatalf("a quote verified with another platform's vendor key: %v", err)
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
