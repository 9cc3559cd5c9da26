package worker

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cove-network/cove/tee"
	"github.com/cove-network/cove/tee/identity"
	"github.com/cove-network/cove/tee/identity/idkey"
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
	if len(pub) != idkey.Size || idkey.Size != 1249 || pub[0] != idkey.Version {
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
	k, err := idkey.Parse(pub)
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
	fresh, _ := identity.New(strings.NewReader(strings.Repeat("k", 64)))
	if _, err := fresh.Open([]byte("info"), ct); err == nil {
		t.Fatal("another identity opened the ciphertext")
	}
}
