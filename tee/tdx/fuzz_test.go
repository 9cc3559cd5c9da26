package tdx

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse, and what parses to Verify
// (certificate and signature decoding): neither may panic, and a parsed
// quote must be self-consistent.
func FuzzParse(f *testing.F) {
	for _, file := range []string{quoteV4, quoteV5, quoteWorker, quoteGoogle} {
		f.Add(readVector(f, file))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := Parse(b)
		if err != nil {
			return
		}
		want := headerSize + tdReport10Size
		if q.Header.Version == 5 {
			want = headerSize + descriptorSize + tdReport10Size
			if q.BodyType == BodyTDReport15 {
				want = headerSize + descriptorSize + tdReport15Size
			}
		}
		if len(q.Signed) != want {
			t.Fatalf("signed region %d bytes, want %d", len(q.Signed), want)
		}
		Verify(q, Options{Now: atChain})
	})
}

// FuzzParseCollateral feeds arbitrary bytes to ParseCollateral.
func FuzzParseCollateral(f *testing.F) {
	for _, file := range []string{collateralV4, collateralV5} {
		b, err := os.ReadFile(filepath.Join(vectorsDir, file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseCollateral(b)
	})
}
