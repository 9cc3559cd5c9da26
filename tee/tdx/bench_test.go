package tdx

import (
	"os"
	"path/filepath"
	"testing"
)

// The benchmarks time what a validator does per quote: parse and verify
// from bytes.

func benchmarkVerify(b *testing.B, file string, opts Options) {
	raw := readVector(b, file)
	b.ReportAllocs()
	for b.Loop() {
		q, err := Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Verify(q, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyV4(b *testing.B) { benchmarkVerify(b, quoteV4, Options{Now: atChain}) }

func BenchmarkVerifyV5(b *testing.B) { benchmarkVerify(b, quoteV5, Options{Now: atChain}) }

// BenchmarkVerifyWithCollateral verifies the v4 quote with its collateral
// (parsed once, as a node keeps it in memory).
func BenchmarkVerifyWithCollateral(b *testing.B) {
	benchmarkVerify(b, quoteV4, Options{Collateral: readCollateral(b, collateralV4), Now: atV4})
}

func BenchmarkParseCollateral(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join(vectorsDir, collateralV4))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCollateral(raw); err != nil {
			b.Fatal(err)
		}
	}
}
