package sim

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cove-network/cove/tee"
)

func TestSealRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := p.Seal("a", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("secret")) {
		t.Fatal("sealed data holds the plaintext")
	}
	// A reopened platform (a restart) unseals; another label does not.
	p2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p2.Unseal("a", sealed)
	if err != nil || string(got) != "secret" {
		t.Fatalf("unseal = %q, %v", got, err)
	}
	if _, err := p2.Unseal("b", sealed); !errors.Is(err, tee.ErrUnseal) {
		t.Fatalf("other label: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := p2.Unseal("a", sealed); !errors.Is(err, tee.ErrUnseal) {
		t.Fatalf("tampered: %v", err)
	}
	// Another instance (another data dir) cannot unseal.
	p3, _ := Open(t.TempDir())
	sealed[len(sealed)-1] ^= 1
	if _, err := p3.Unseal("a", sealed); !errors.Is(err, tee.ErrUnseal) {
		t.Fatalf("other instance: %v", err)
	}
	if _, err := p3.Unseal("a", []byte{1, 2}); !errors.Is(err, tee.ErrUnseal) {
		t.Fatalf("short: %v", err)
	}
}
