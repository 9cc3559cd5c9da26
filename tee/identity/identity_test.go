package identity

import (
	"bytes"
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
