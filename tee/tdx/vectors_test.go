package tdx

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The real quotes and collateral in testdata/tdx (see its README).
const (
	quoteV4      = "phala-tdx-quote.bin"
	quoteV5      = "phala-tdx-quote-outdated.bin"
	quoteWorker  = "phala-worker-quote.hex"
	quoteGoogle  = "google-spr-quote.dat"
	collateralV4 = "phala-tdx-quote-collateral.json"
	collateralV5 = "phala-tdx-quote-outdated-collateral.json"
	vectorsDir   = "../../testdata/tdx"
)

var (
	// Times inside every window of each collateral file (TCB info, QE
	// identity, PCK CRL, root CA CRL).
	atV4 = mustTime("2025-07-01T00:00:00Z")
	atV5 = mustTime("2026-03-01T00:00:00Z")
	// A time inside every quote's PCK certificate validity.
	atChain = mustTime("2026-03-01T00:00:00Z")
)

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// readVector returns a test vector's bytes, hex files decoded.
func readVector(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectorsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadQuoteFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readCollateral(t testing.TB, name string) *Collateral {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectorsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCollateral(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func parseVector(t testing.TB, name string) *Quote {
	t.Helper()
	q, err := Parse(readVector(t, name))
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return q
}
