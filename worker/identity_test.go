package worker

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

	"github.com/cove-network/cove/tee"
	"github.com/cove-network/cove/tee/sim"
)

func TestIdentitySealedAndStable(t *testing.T) {
	dir := t.TempDir()
	p, err := sim.Open(filepath.Join(dir, "tee"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "worker", IdentityFile)
	id, created, err := LoadIdentity(p, path)
	if err != nil || !created {
		t.Fatalf("first load: created %v, %v", created, err)
	}
	pub := id.PublicKey()
	if len(pub) != IdentityPublicKeySize || IdentityPublicKeySize != 1249 || pub[0] != IdentityVersion {
		t.Fatalf("public key is %d bytes, version %d", len(pub), pub[0])
	}
	// The file is sealed: it holds neither the seed nor anything that
	// opens without the TEE.
	sealed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, pub[1:33]) {
		t.Fatal("identity file holds key material in plaintext") // tee/identity checks the seed itself
	}
	other, _ := sim.Open(t.TempDir())
	if _, _, err := LoadIdentity(other, path); !errors.Is(err, tee.ErrUnseal) {
		t.Fatalf("another TEE opened the identity: %v", err)
	}
	// A restart loads the same identity.
	id2, created, err := LoadIdentity(p, path)
	if err != nil || created || !bytes.Equal(id2.PublicKey(), pub) {
		t.Fatalf("reload: created %v, same key %v, %v", created, bytes.Equal(id2.PublicKey(), pub), err)
	}

	// The public key parses; its halves work.
	k, err := ParseIdentityKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("cove/worker/test\x00hello")
	if !ed25519.Verify(k.Signing, msg, id2.Sign(msg)) {
		t.Fatal("signature does not verify with the parsed key")
	}
	ct, err := k.Seal([]byte("info"), []byte("cluster key"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := id2.Open([]byte("info"), ct)
	if err != nil || string(got) != "cluster key" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := id2.Open([]byte("other info"), ct); err == nil {
		t.Fatal("Open with other info succeeded")
	}
	fresh, _ := NewIdentity(strings.NewReader(strings.Repeat("k", 64)))
	if _, err := fresh.Open([]byte("info"), ct); err == nil {
		t.Fatal("another identity opened the ciphertext")
	}
}

func TestIdentityRedacted(t *testing.T) {
	id, err := NewIdentity(strings.NewReader(strings.Repeat("s", 64)))
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

func TestParseIdentityKeyRefuses(t *testing.T) {
	id, _ := NewIdentity(strings.NewReader(strings.Repeat("s", 64)))
	pub := id.PublicKey()
	for _, b := range [][]byte{nil, pub[:100], append(pub, 0), append([]byte{2}, pub[1:]...)} {
		if _, err := ParseIdentityKey(b); !errors.Is(err, ErrIdentityKey) {
			t.Errorf("%d bytes: %v", len(b), err)
		}
	}
}

func FuzzParseIdentityKey(f *testing.F) {
	id, _ := NewIdentity(strings.NewReader(strings.Repeat("f", 64)))
	pub := id.PublicKey()
	f.Add(pub)
	f.Add(pub[:33])
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseIdentityKey(b)
		if err != nil {
			if !errors.Is(err, ErrIdentityKey) {
				t.Fatalf("error %v does not wrap ErrIdentityKey", err)
			}
			return
		}
		if len(k.Signing) != ed25519.PublicKeySize || !bytes.Equal(k.KEM.Bytes(), b[33:]) {
			t.Fatal("parsed key does not hold the input's halves")
		}
	})
}
