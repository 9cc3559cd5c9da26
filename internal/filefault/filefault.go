// Package filefault damages files for tests of what Cove does with a
// damaged data directory: a rewrite of a file through a function, and the
// damages the tests share.
package filefault

import (
	"os"
	"testing"
)

// Rewrite replaces the file at path with damage applied to its bytes,
// keeping its mode.
func Rewrite(t testing.TB, path string, damage func([]byte) []byte) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, damage(b), fi.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

// BboltMetaBytes is the size of a bbolt file's two meta pages (4 KiB pages).
const BboltMetaBytes = 2 * 4096

// GarbageAfter returns a copy of b with every byte from offset on replaced
// by a deterministic garbage pattern (the same for every call): after
// BboltMetaBytes, every page of a bbolt file but its meta pages.
func GarbageAfter(offset int) func([]byte) []byte {
	return func(b []byte) []byte {
		out := append([]byte(nil), b...)
		for i := offset; i < len(out); i++ {
			out[i] = byte(i*131 + 17)
		}
		return out
	}
}
