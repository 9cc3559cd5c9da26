package identity

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cove-network/cove/tee/sim"
)

func TestSealedFileHoldsNoSeed(t *testing.T) {
	p, err := sim.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "id.sealed")
	id, created, err := Load(p, "test/identity/v1", path)
	if err != nil || !created {
		t.Fatalf("load: %v %v", created, err)
	}
	sealed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, id.sign.Seed()) {
		t.Fatal("identity file holds the signing seed in plaintext")
	}
	// Another label does not open it.
	if _, _, err := Load(p, "other/identity/v1", path); err == nil {
		t.Fatal("an identity sealed for one role opened as another")
	}
	again, created, err := Load(p, "test/identity/v1", path)
	if err != nil || created || !bytes.Equal(again.PublicKey(), id.PublicKey()) {
		t.Fatalf("reload: created %v err %v", created, err)
	}
}
func TestIdentityRedacted(t *testing.T) {
	id, err := New(strings.NewReader(strings.Repeat("s", 64)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "id", id)
	for _, s := range []string{fmt.Sprint(id), fmt.Sprintf("%v %s %d %+v %#v", id, id, id, id, id), buf.String()} {
		if !strings.Contains(s, "REDACTED") || strings.Contains(s, "{") || strings.Contains(s, "73737373") { // 73 = the seed byte s
			t.Errorf("identity printed as %q", s)
		}
	}
}

func TestParseKeyRefuses(t *testing.T) {
	id, _ := New(strings.NewReader(strings.Repeat("s", 64)))
	pub := id.PublicKey()
	for _, b := range [][]byte{nil, pub[:100], append(pub, 0), append([]byte{2}, pub[1:]...)} {
		if _, err := ParseKey(b); !errors.Is(err, ErrKey) {
			t.Errorf("%d bytes: %v", len(b), err)
		}
	}
}

func FuzzParseKey(f *testing.F) {
	id, _ := New(strings.NewReader(strings.Repeat("f", 64)))
	pub := id.PublicKey()
	f.Add(pub)
	f.Add(pub[:33])
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKey(b)
		if err != nil {
			if !errors.Is(err, ErrKey) {
				t.Fatalf("error %v does not wrap ErrKey", err)
			}
			return
		}
		if len(k.Signing) != ed25519.PublicKeySize || !bytes.Equal(k.KEM.Bytes(), b[33:]) {
			t.Fatal("parsed key does not hold the input's halves")
		}
	})
}
